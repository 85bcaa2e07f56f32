import { TomlDate } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import {
  decodeDocument,
  decodeHistoryEntry,
  decodeRecord,
  decodeSavedDocument,
  encodeDocument,
  encodeHistoryEntry,
  encodeRecord,
  encodeSavedDocument,
} from '../../src/session/codec.js';
import type { HistoryEntry } from '../../src/session/port.js';
import { dateForms, richDocument } from '../contracts/session-store.fixtures.js';

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

  it('round-trips records, history entries and saved documents', () => {
    const document = richDocument();
    const record = { version: 3, document, updatedAt: '2024-01-01T00:00:00.000Z', updatedBy: 'ann' };
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
    const empty = { version: 0, document: null, updatedAt: null, updatedBy: null };
    expect(decodeRecord(encodeRecord(empty))).toEqual(empty);
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
    const notJson = unreadable(() => decodeRecord('{oops', 'channels/x.json'));
    expect(notJson.code).toBe('STORAGE_UNAVAILABLE');
    expect(notJson.retryable).toBe(false);
    expect(notJson.message).toContain('channels/x.json');
    expect(notJson.message).toContain('not valid JSON');

    const badShape = unreadable(() => decodeRecord('{"version":-1,"document":null}', 'redis key k'));
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
  });
});
