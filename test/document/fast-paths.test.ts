/**
 * The shortcuts that keep load + validate + save cheap must give exactly what the plain way gives:
 * banded edit distances, plain schema checks before zod, writing canonical sections as they are,
 * a size bound before stringifying, and secret and limit paths rebuilt only for a message.
 */
import { describe, expect, it } from 'vitest';
import { LimitError } from '../../src/errors.js';
import {
  checkLimits,
  DEFAULT_LIMITS,
  editDistance,
  entrySchema,
  parseDocument,
  SECTIONS,
  stringifyDocument,
  suggest,
  validateDocument,
} from '../../src/document/index.js';
import { conformsTo } from '../../src/document/schema.js';
import { serialisedBound } from '../../src/document/size-bound.js';
import type { AitwsDocument, TomlTable, TomlValue } from '../../src/document/types.js';
import { random } from '../support/random.js';

function pickFrom<T>(next: () => number, items: readonly T[], fallback: T): T {
  return items[Math.floor(next() * items.length)] ?? fallback;
}

function word(next: () => number, alphabet: string, maxLength: number): string {
  const length = Math.floor(next() * (maxLength + 1));
  return Array.from({ length }, () => pickFrom(next, [...alphabet], 'a')).join('');
}

/** The textbook full-matrix optimal-string-alignment distance. */
function referenceDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row !== undefined) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

describe('edit distance and suggestions', () => {
  it('match the full-matrix distance on random words', () => {
    const next = random(7);
    for (let n = 0; n < 3000; n++) {
      const a = word(next, n % 2 === 0 ? 'ab' : 'abcde', 12);
      const b = word(next, n % 2 === 0 ? 'ab' : 'abcde', 12);
      expect(editDistance(a, b), `${a} / ${b}`).toBe(referenceDistance(a, b));
    }
  });

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

describe('plain schema checks', () => {
  const values: TomlValue[] = [
    'text',
    '',
    '30 days',
    '30 dayz',
    'https://h/p',
    'not a url',
    0,
    -1,
    1,
    443,
    70000,
    4.5,
    Number.NaN,
    true,
    [],
    ['a', 'b'],
    ['a', 1],
    { a: 1 },
    [{ name: 'A' }],
    [{ name: 'A', timeout: 'later' }],
    [{ type: 'emit' }],
    new Date(0),
  ];

  it('never pass a table that zod refuses', () => {
    const next = random(11);
    const specs = [...SECTIONS, ...SECTIONS.flatMap((section) => section.children ?? [])];
    for (let n = 0; n < 4000; n++) {
      const spec = pickFrom(next, specs, SECTIONS[0]);
      if (spec === undefined) continue;
      const table: TomlTable = {};
      for (const field of spec.fields) {
        if (next() < 0.6) table[field.name] = pickFrom(next, values, 'text');
      }
      if (conformsTo(spec, table)) expect(entrySchema(spec).safeParse(table).success).toBe(true);
    }
  });
});

describe('schema findings of in-memory tables', () => {
  it('judge a field that is owned but not enumerable as zod does', () => {
    const communication: TomlTable = { protocol: 'TLS' };
    Object.defineProperty(communication, 'port', { value: 'x', enumerable: false });
    expect(validateDocument({ communication }).errors.map((e) => [e.path, e.code])).toEqual([
      ['communication.port', 'WRONG_TYPE'],
    ]);
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

  it('still writes a registry field that is owned but not enumerable, as the copy always did', () => {
    const metadata: TomlTable = { name: 'N' };
    Object.defineProperty(metadata, 'version', { value: '2', enumerable: false });
    expect(stringifyDocument({ metadata })).toBe('[metadata]\nname = "N"\nversion = "2"\n');
  });

  it('drops undefined members of an in-memory draft', () => {
    const logging: TomlTable = { level: 'info' };
    Reflect.set(logging, 'destination', undefined);
    expect(stringifyDocument({ logging })).toBe('[logging]\nlevel = "info"\n');
  });
});

describe('checkLimits size bound', () => {
  const document = (count: number, text: string): AitwsDocument => ({
    x_notes: Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, text])),
  });

  it('is never under the written size', () => {
    const samples: AitwsDocument[] = [
      parseDocument('[metadata]\nname = "N"\n[[roles]]\nname = "R"\nprivileges = ["a"]\n'),
      document(5, 'plain'),
      document(5, 'quotes " and \\ and \u0001 and é and 😀'),
      { x: { list: [1, 2.5, -0, 1e300, 12345678901234567890n, true, new Date(0), [], {}] } },
      { x: { deep: { deeper: { tables: [{ a: 1 }, { b: { c: 'd' } }] } } } },
    ];
    for (const sample of samples) {
      expect(serialisedBound(sample)).toBeGreaterThanOrEqual(Buffer.byteLength(stringifyDocument(sample)));
    }
  });

  it('measures exactly when the bound reaches the limit', () => {
    // Escapes make the bound six times the text, so this passes only by measuring.
    const escaped = document(10, '\u0001'.repeat(100));
    const bytes = Buffer.byteLength(stringifyDocument(escaped));
    const limits = { ...DEFAULT_LIMITS, documentBytes: bytes };
    expect(serialisedBound(escaped)).toBeGreaterThan(bytes);
    expect(() => checkLimits(escaped, limits)).not.toThrow();
    expect(() => checkLimits(escaped, { ...limits, documentBytes: bytes - 1 })).toThrow(LimitError);
  });

  it('leaves values the writer refuses to the writer', () => {
    expect(() => checkLimits({ x: { when: new Date(Number.NaN) } })).toThrow('cannot serialize invalid date');
    const list: TomlValue[] = [];
    Reflect.set(list, 0, null);
    expect(() => checkLimits({ x: { list } })).toThrow(TypeError);
  });
});

describe('paths rebuilt for messages', () => {
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
