import { TomlDate } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import type { AitwsDocument, TomlValue } from '../../src/document/types.js';
import { AitwsError } from '../../src/errors.js';
import {
  cloneDocument,
  decodeDocument,
  decodeHistoryEntry,
  decodeSavedDocument,
  encodeDocument,
  encodeHistoryEntry,
  encodeSavedDocument,
  historyEntryVersion,
} from '../../src/session/codec.js';
import type { HistoryEntry } from '../../src/session/port.js';
import { dateForms, richDocument, simpleDocument } from '../contracts/session-store.fixtures.js';

/** Paths of every table (not tag, not array) whose prototype is not null, as smol-toml never makes. */
function prototypedTables(value: TomlValue, path = ''): string[] {
  if (Array.isArray(value))
    return value.flatMap((item, index) => prototypedTables(item, `${path}[${index}]`));
  if (typeof value !== 'object' || value instanceof Date) return [];
  const own = Object.getPrototypeOf(value) === null ? [] : [path];
  return [
    ...own,
    ...Object.entries(value).flatMap(([key, item]) => prototypedTables(item, `${path}.${key}`)),
  ];
}

/** Documents that exercise every branch of the fast paths: plain, tagged, tag look-alikes. */
function documents(): AitwsDocument[] {
  const proto: AitwsDocument = JSON.parse('{"__proto__": {"polluted": true}, "x": [{"__proto__": 1}]}');
  return [
    simpleDocument('plain', { list: [1, 2.5, 'x', true, [[]], { deep: { er: 'y' } }] }),
    richDocument(),
    { top: { $toml_date: 'not a tag at the top' } },
    { $float: 'top-level look-alike' },
    { nested: [{ $bigint: { $table: { $float: 'nan' } } }] },
    { when: [new Date('2020-01-02T03:04:05.000Z')], zero: [-0, 0], big: [1n] },
    proto,
    {},
  ];
}

function unreadable(run: () => unknown): AitwsError {
  try {
    run();
  } catch (error) {
    if (error instanceof AitwsError) return error;
    throw error;
  }
  throw new Error('expected an AitwsError');
}

describe('codec', () => {
  it('tags what JSON cannot hold and nothing else', () => {
    const encoded = encodeDocument({
      date: new TomlDate('1979-05-27'),
      time: new TomlDate('07:32:00'),
      plain: new Date('2020-01-02T03:04:05.000Z'),
      floats: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1.5],
      big: 5n,
      lookalike: { $float: 'nan' },
      text: 'plain',
    });
    expect(encoded).toEqual({
      date: { $toml_date: '1979-05-27' },
      time: { $toml_date: '07:32:00.000' },
      plain: { $toml_date: '2020-01-02T03:04:05.000Z' },
      floats: [{ $float: 'nan' }, { $float: 'inf' }, { $float: '-inf' }, { $float: '-0' }, 0, 1.5],
      big: { $bigint: '5' },
      lookalike: { $table: { $float: 'nan' } },
      text: 'plain',
    });
  });

  it('never mistakes a table for a tag, at the top level or nested', () => {
    for (const original of [
      { $toml_date: 'x' },
      { $table: { $float: 'nan' } },
      { a: { $bigint: { $table: 'y' } } },
    ]) {
      expect(decodeDocument(JSON.parse(JSON.stringify(encodeDocument(original))))).toEqual(original);
    }
  });

  it('round-trips a rich document through JSON text, keeping date forms', () => {
    const original = richDocument();
    const decoded = decodeDocument(JSON.parse(JSON.stringify(encodeDocument(original))));
    expect(decoded).toEqual(original);
    expect(dateForms(decoded)).toEqual(dateForms(original));
    expect(Object.keys(decoded.tricky ?? {})).toContain('__proto__');
  });

  it('round-trips history entries and saved documents', () => {
    const document = richDocument();
    const entry: HistoryEntry = { version: 2, document, at: 'a', by: 'b', change: '/add', reverts: 1 };
    expect(decodeHistoryEntry(encodeHistoryEntry(entry))).toEqual(entry);
    const { reverts: _, ...plain } = entry;
    const decodedPlain = decodeHistoryEntry(encodeHistoryEntry(plain));
    expect(decodedPlain).toEqual(plain);
    expect('reverts' in decodedPlain).toBe(false);
    const saved = { name: 'x', document, at: 'a', by: 'b' };
    expect(decodeSavedDocument(encodeSavedDocument(saved))).toEqual(saved);
  });

  it('rejects unreadable data with one error naming the source and the path', () => {
    const notJson = unreadable(() => decodeHistoryEntry('{oops', 'channels/x.json'));
    expect(notJson.code).toBe('STORAGE_UNAVAILABLE');
    expect(notJson.retryable).toBe(false);
    expect(notJson.message).toContain('channels/x.json');
    expect(notJson.message).toContain('not valid JSON');

    const badShape = unreadable(() => decodeHistoryEntry('{"version":-1,"document":null}', 'redis key k'));
    expect(badShape.message).toContain('redis key k');
    expect(badShape.details.join('\n')).toContain('version');

    const badDate = unreadable(() => decodeDocument({ a: [{ when: { $toml_date: 'yesterday' } }] }, 'f'));
    expect(badDate.details).toEqual(['a[0].when.$toml_date: invalid date "yesterday"']);

    for (const bad of [{ x: null }, { x: { $float: 'huge' } }, { x: { $bigint: '1.5' } }, [], 'text']) {
      expect(unreadable(() => decodeDocument(bad, 'f')).code).toBe('STORAGE_UNAVAILABLE');
    }
  });

  it('refuses to store values TOML cannot represent', () => {
    expect(() => encodeDocument({ when: new Date(Number.NaN) })).toThrow(AitwsError);
    expect(() => cloneDocument({ when: new Date(Number.NaN) })).toThrow(AitwsError);
  });

  it('gives back every document exactly as stored, with prototype-less tables', () => {
    for (const original of documents()) {
      const entry: HistoryEntry = { version: 1, document: original, at: 'a', by: 'b', change: 'c' };
      const decoded = decodeHistoryEntry(encodeHistoryEntry(entry));
      expect(decoded).toEqual(entry);
      const document = decoded.document ?? {};
      expect(Object.keys(document)).toEqual(Object.keys(original));
      expect(prototypedTables(document)).toEqual([]);
    }
  });

  it('keeps "__proto__" an ordinary key and never touches the prototype of decoded tables', () => {
    const decoded = decodeDocument(JSON.parse('{"__proto__":{"polluted":true},"t":{"__proto__":"x"}}'));
    expect(Object.getPrototypeOf(decoded)).toBeNull();
    expect(Object.keys(decoded)).toEqual(['__proto__', 't']);
    expect(decoded.t).toEqual(JSON.parse('{"__proto__":"x"}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('copies never share structure with the original or with each other', () => {
    const original = richDocument();
    const copy = cloneDocument(original);
    expect(copy).toEqual(original);
    expect(copy.metadata).not.toBe(original.metadata);
    const json = encodeDocument(original);
    expect(decodeDocument(json).stages).not.toBe(decodeDocument(json).stages);
  });

  it('reports a bad document with the same error whether or not it sits in an envelope', () => {
    const bad = '{"a":[{"when":{"$toml_date":"yesterday"}}]}';
    const alone = unreadable(() => decodeDocument(JSON.parse(bad), 'k'));
    expect(alone.details).toEqual(['a[0].when.$toml_date: invalid date "yesterday"']);
    expect(unreadable(() => decodeDocument([1], 'k')).details).toEqual([
      '(top level): expected a document (a table)',
    ]);
    const envelopes = [
      () => decodeHistoryEntry(`{"version":1,"at":"a","by":"b","change":"c","document":${bad}}`, 'k'),
      () => decodeSavedDocument('{"name":"n","at":"a","by":"b","document":null}', 'k'),
    ];
    for (const decode of envelopes) {
      const error = unreadable(decode);
      expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', retryable: false });
      expect(error.message).toContain('k');
      expect(error.details.join()).toMatch(/^document/);
    }
    for (const text of [
      '{"version":0,"at":"a","by":"b","change":"c","document":null}',
      '{oops',
      'null',
      '[]',
    ]) {
      expect(unreadable(() => decodeHistoryEntry(text, 'k')).code).toBe('STORAGE_UNAVAILABLE');
    }
  });

  it('reads the version of an encoded history entry without decoding it', () => {
    const entry: HistoryEntry = { version: 42, document: null, at: 'a', by: 'b', change: 'c' };
    expect(historyEntryVersion(encodeHistoryEntry(entry))).toBe(42);
    expect(historyEntryVersion('{"at":"a","version":42}')).toBeUndefined();
    expect(historyEntryVersion('{"version":"42"}')).toBeUndefined();
  });
});
