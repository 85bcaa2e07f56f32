/**
 * What people read: did-you-mean suggestions, the paths in secret notices and limit errors, the
 * canonical output whatever the key order, and values the TOML writer refuses.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  checkLimits,
  parseDocument,
  stringifyDocument,
  suggest,
  validateDocument,
} from '../../src/document/index.js';
import { DEFAULT_LIMITS, type TomlTable, type TomlValue } from '../../src/document/types.js';
import { SAMPLE_TOML } from '../support/paths.js';

describe('suggestions', () => {
  it('pick the earliest of equally close names, and plural forms first', () => {
    expect(suggest('TaskC', ['TaskA', 'TaskB'])).toBe('TaskA');
    expect(suggest('stage', ['stags', 'stages'])).toBe('stages');
    expect(suggest('ErrorHandling', ['ErrorHandler', 'ErrorHandlings'])).toBe('ErrorHandlings');
    expect(suggest('Excution', ['Initialization', 'Execution', 'Evaluation'])).toBe('Execution');
  });

  it('ignore names too far off in length, but still take a unique prefix', () => {
    expect(suggest('Dep', ['Deployment', 'Evaluation'])).toBe('Deployment');
    expect(suggest('Dep', ['Deployment', 'Dependency'])).toBeUndefined();
    expect(suggest('abcdefghijkl', ['abc', 'abcdefghijklmnopqrstu'])).toBe('abcdefghijklmnopqrstu');
  });
});

describe('canonical output', () => {
  const text = `
[metadata]
name = "N"
version = "1"

[[stages]]
name = "S"
order = 1

[[stages.actions]]
name = "A"
type = "emit"
cfg = { a = 1, b = [ { c = 2 } ] }
`;

  it('is the same whether the document is already canonical or needs reordering', () => {
    const document = parseDocument(text);
    const once = stringifyDocument(document);
    const reversedTable = (table: TomlTable): TomlTable => {
      const out: TomlTable = {};
      for (const key of Object.keys(table).reverse()) out[key] = reversed(table[key] ?? '');
      return out;
    };
    const reversed = (value: TomlValue): TomlValue => {
      if (Array.isArray(value)) return value.map(reversed);
      if (typeof value !== 'object' || value instanceof Date) return value;
      return reversedTable(value);
    };
    expect(stringifyDocument(reversedTable(document))).toBe(once);
    expect(stringifyDocument(parseDocument(once))).toBe(once);
  });
});

describe('values the TOML writer refuses', () => {
  it('leaves values the writer refuses to the writer', () => {
    expect(() => checkLimits({ x: { when: new Date(Number.NaN) } })).toThrow('cannot serialize invalid date');
    const list: TomlValue[] = [];
    Reflect.set(list, 0, null);
    expect(() => checkLimits({ x: { list } })).toThrow(TypeError);
  });
});

describe('paths in messages', () => {
  const notices = (text: string) =>
    validateDocument(parseDocument(text)).notices.map((notice) => [notice.path, notice.code]);

  it('name secrets in malformed, unknown and nested places', () => {
    expect(notices('tasks = ["postgres://u:pw@h/db"]\n')).toEqual([['tasks[#1]', 'SECRET_IN_URL']]);
    expect(notices('[x_db]\nurl = "postgres://u:pw@h/db"\napi_key = "k"\n')).toEqual([
      ['x_db.url', 'SECRET_IN_URL'],
      ['x_db.api_key', 'SECRET_IN_DOCUMENT'],
    ]);
    expect(
      notices(
        '[[stages]]\nname = "S"\n[[stages.actions]]\nname = "A"\n' +
          'config = { url = "amqp://u:pw@h/v", token = "t" }\nlist = [["redis://:pw@h"]]\n',
      ),
    ).toEqual([
      ['stages[S].actions[A].config.url', 'SECRET_IN_URL'],
      ['stages[S].actions[A].config.token', 'SECRET_IN_DOCUMENT'],
      ['stages[S].actions[A].list[#1][#1]', 'SECRET_IN_URL'],
    ]);
    expect(
      notices('[[authorization]]\nrole = "Dev"\nnotes = [{ password = "p" }, "mysql://a:b@c"]\n'),
    ).toEqual([
      ['authorization[Dev].notes[#1].password', 'SECRET_IN_DOCUMENT'],
      ['authorization[Dev].notes[#2]', 'SECRET_IN_URL'],
    ]);
  });

  it('name the value that breaks a limit', () => {
    const limits = { ...DEFAULT_LIMITS, stringBytes: 16, entriesPerList: 3, nestingDepth: 5 };
    const message = (text: string): string => {
      try {
        parseDocument(text, limits);
        return 'ok';
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    };
    expect(message('[[authorization]]\nrole = "Dev"\nnotes = ["short", "a much longer string"]\n')).toBe(
      'A string at authorization[Dev].notes[#2] is 20 bytes; the limit is 16 bytes per string.',
    );
    expect(message('[[authorization]]\nrole = "Dev"\nnotes = [[1, 2, 3, 4]]\n')).toBe(
      'authorization[Dev].notes[#1] has 4 entries; the limit is 3 per list.',
    );
    expect(
      message('[[stages]]\nname = "S"\n[[stages.actions]]\nname = "A"\ncfg = { deep = { deeper = [1] } }\n'),
    ).toBe(
      'The value at stages[S].actions[A].cfg.deep is nested 6 levels deep; the limit is 5 levels of nesting.',
    );
    expect(message('[[roles]]\nname = "R"\nx = [{ constructor = 1 }]\n')).toBe(
      'The key "constructor" (at roles[R].x[#1]) is not allowed in an aiTWS document.',
    );
  });
});

describe('dangling references over many names', () => {
  it('finds and suggests among more names than a short list holds', () => {
    const stages = Array.from({ length: 20 }, (_, i) => `[[stages]]\nname = "Stage${i}"\n`).join('');
    const report = validateDocument(
      parseDocument(`${stages}[[pipelines]]\nname = "P"\nstages = ["Stage3", "Stgae7", "Ghost"]\n`),
    );
    expect(report.warnings.map((w) => [w.path, w.message, w.suggestion])).toEqual([
      ['pipelines[P].stages', 'unknown stages "Stgae7", "Ghost"', 'Stage7'],
    ]);
  });
});

describe('the size a save writes', () => {
  it('does not depend on the order of sections and fields', () => {
    const document = parseDocument(readFileSync(SAMPLE_TOML, 'utf8'));
    const reversed = (value: TomlValue): TomlValue => {
      if (Array.isArray(value)) return value.map(reversed);
      if (typeof value !== 'object' || value instanceof Date) return value;
      return Object.fromEntries(
        Object.entries(value)
          .reverse()
          .map(([key, item]) => [key, reversed(item)]),
      );
    };
    const canonical = stringifyDocument(document);
    expect(stringify(reversed(document))).not.toBe(canonical);
    expect(stringify(reversed(document)).length).toBe(canonical.length);
    expect(stringify(document).length).toBe(canonical.length);
  });
});
