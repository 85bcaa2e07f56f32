import { describe, expect, it } from 'vitest';
import {
  checkLimits,
  DEFAULT_LIMITS,
  emptyDocument,
  parseDocument,
  stringifyDocument,
} from '../../src/document/index.js';
import type { AitwsDocument, TomlTable } from '../../src/document/types.js';
import { LimitError, TomlSyntaxError, ValidationError } from '../../src/errors.js';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

const nestedArray = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const roles = (count: number) =>
  Array.from({ length: count }, (_, i) => `[[roles]]\nname = "R${i}"\n`).join('\n');
const tableChain = (depth: number) =>
  `[${Array.from({ length: depth }, (_, i) => `t${i}`).join('.')}]\nx = 1\n`;

describe('parseDocument limits', () => {
  const cases: { name: string; text: () => string; message: RegExp }[] = [
    {
      name: 'a 300 KiB document',
      text: () =>
        `[x_big]\n${Array.from({ length: 300 }, (_, i) => `k${i} = "${'a'.repeat(1000)}"`).join('\n')}\n`,
      message: /document is .*KiB; the limit is 256 KiB/,
    },
    {
      name: '1,001 list entries',
      text: () => roles(1001),
      message: /^roles has 1001 entries; the limit is 1000 per list\.$/,
    },
    {
      name: 'an inline array of 1,001 values',
      text: () => `[x_list]\nvalues = [${Array.from({ length: 1001 }, (_, i) => i).join(', ')}]\n`,
      message: /x_list\.values has 1001 entries; the limit is 1000/,
    },
    {
      name: 'a 9 KiB string',
      text: () => `[[roles]]\nname = "R"\ndescription = "${'y'.repeat(9 * 1024)}"\n`,
      message: /^A string at roles\[R\]\.description is 9 KiB; the limit is 8 KiB per string\.$/,
    },
    {
      name: '17-deep inline nesting',
      text: () => `[x_deep]\nvalue = ${nestedArray(16)}\n`,
      message: /nested 17 levels deep; the limit is 16 levels of nesting/,
    },
    { name: '17-deep table headers', text: () => tableChain(17), message: /nested 17 levels deep/ },
  ];

  it.each(cases)('$name gives a LimitError', ({ text, message }) => {
    const error = thrown(() => parseDocument(text()));
    expect(error).toBeInstanceOf(LimitError);
    expect((error as LimitError).code).toBe('LIMIT');
    expect((error as LimitError).message).toMatch(message);
  });

  it('accepts values just inside every limit', () => {
    expect(() => parseDocument(roles(1000))).not.toThrow();
    expect(() => parseDocument(`[x_deep]\nvalue = ${nestedArray(15)}\n`)).not.toThrow();
    expect(() => parseDocument(tableChain(16))).not.toThrow();
    expect(() => parseDocument(`[metadata]\nname = "${'n'.repeat(8 * 1024)}"\n`)).not.toThrow();
  });

  it('counts string limits in UTF-8 bytes', () => {
    const error = thrown(() => parseDocument(`[metadata]\nname = "${'é'.repeat(5000)}"\n`));
    expect(error).toBeInstanceOf(LimitError);
  });

  // The size limit, not a string-length or syntax error: the text is refused before it is parsed.
  // How fast that is, is bench/'s business.
  it('rejects a 1 MiB single line on its size, before parsing', () => {
    const line = `[metadata]\nname = "${'x'.repeat(1024 * 1024)}"`;
    const error = thrown(() => parseDocument(line));
    expect(error).toBeInstanceOf(LimitError);
    expect((error as Error).message).toMatch(/^The document is 1(\.0)? MiB; the limit is 256 KiB\.$/);
  });

  it('honours limits passed in', () => {
    const limits = { ...DEFAULT_LIMITS, entriesPerList: 2 };
    expect(() => parseDocument(roles(3), limits)).toThrow(/limit is 2 per list/);
  });
});

describe('forbidden keys', () => {
  it.each([
    ['[x_ext]\n__proto__ = "x"\n', '__proto__', 'x_ext'],
    ['[x_ext.inner]\nconstructor = 1\n', 'constructor', 'x_ext.inner'],
    ['[[roles]]\nname = "A"\nprototype = { a = 1 }\n', 'prototype', 'roles[A]'],
    ['__proto__ = { polluted = true }\n', '__proto__', ''],
    ['[x]\nv = [{ "__proto__" = 1 }]\n', '__proto__', 'x.v[#1]'],
  ])('refuses %j', (text, key, at) => {
    const error = thrown(() => parseDocument(text));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(`"${key}"`);
    if (at !== '') expect((error as ValidationError).message).toContain(`(at ${at})`);
    expect((error as ValidationError).findings[0]?.code).toBe('FORBIDDEN_KEY');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('syntax errors', () => {
  it('carry line, column and a caret excerpt', () => {
    const error = thrown(() => parseDocument('[metadata]\nname = "unterminated\n'));
    expect(error).toBeInstanceOf(TomlSyntaxError);
    const syntax = error as TomlSyntaxError;
    expect(syntax.code).toBe('TOML_SYNTAX');
    expect(syntax.line).toBe(2);
    expect(syntax.column).toBe(21);
    expect(syntax.message).toMatch(/^Invalid TOML at line 2, column 21: /);
    expect(syntax.excerpt).toBe('2 | name = "unterminated\n  |                     ^');
    expect(syntax.details).toEqual([syntax.excerpt]);
  });

  it('cut a long line to a window around the column', () => {
    const text = `[x]\nv = "${'a'.repeat(500)}" oops ${'b'.repeat(500)}\n`;
    const syntax = thrown(() => parseDocument(text)) as TomlSyntaxError;
    expect(syntax).toBeInstanceOf(TomlSyntaxError);
    const [source = '', caret = ''] = (syntax.excerpt ?? '').split('\n');
    expect(source.length).toBeLessThan(100);
    expect(source.startsWith('2 | …')).toBe(true);
    const column = caret.indexOf('^');
    expect(source[column]).toBe('o');
  });

  it('report duplicate tables and integers that do not fit', () => {
    expect(() => parseDocument('[metadata]\n[metadata]\n')).toThrow(TomlSyntaxError);
    expect(() => parseDocument('[x]\nn = 99999999999999999999\n')).toThrow(/line 2/);
  });
});

describe('checkLimits on in-memory documents', () => {
  it('accepts the empty document and refuses oversized edits', () => {
    expect(() => checkLimits(emptyDocument())).not.toThrow();
    const many: TomlTable[] = Array.from({ length: 1001 }, (_, i) => ({ name: `R${i}` }));
    expect(() => checkLimits({ roles: many })).toThrow(LimitError);
  });

  it('refuses a draft that would serialise over the document limit', () => {
    const fields: TomlTable = {};
    for (let i = 0; i < 40; i++) fields[`k${i}`] = 'v'.repeat(8000);
    const error = thrown(() => checkLimits({ x_big: fields }));
    expect(error).toBeInstanceOf(LimitError);
    expect((error as Error).message).toMatch(/limit/);
  });

  it('refuses an own __proto__ key', () => {
    const table: TomlTable = Object.create(null) as TomlTable;
    Object.defineProperty(table, '__proto__', { value: 'x', enumerable: true });
    const document: AitwsDocument = { x_ext: table };
    expect(() => checkLimits(document)).toThrow(/__proto__/);
  });
});

describe('emptyDocument', () => {
  it('has defaults and takes a name and version', () => {
    expect(emptyDocument()).toEqual({ metadata: { name: 'Untitled workflow', version: '0.1.0' } });
    expect(emptyDocument('Pipeline', '2.0.0')).toEqual({ metadata: { name: 'Pipeline', version: '2.0.0' } });
    expect(stringifyDocument(emptyDocument())).toBe(
      '[metadata]\nname = "Untitled workflow"\nversion = "0.1.0"\n',
    );
  });

  it('round-trips', () => {
    expect(parseDocument(stringifyDocument(emptyDocument()))).toEqual(emptyDocument());
  });
});
