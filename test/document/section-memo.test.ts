/**
 * A new version of a draft reuses what validation, limits, the size bound and encoding found for
 * the sections (and entries) it shares with the version it was made from. Whatever the edits, the
 * answers must be exactly those of a full pass over an unshared copy.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeDocument, encodeDocumentText } from '../../src/session/codec.js';
import { addToDocument, removeFromDocument } from '../../src/document/edit.js';
import { freezeDeep } from '../../src/document/frozen.js';
import {
  checkLimits,
  cloneValue,
  DEFAULT_LIMITS,
  isTable,
  type Limits,
  parseDocument,
  validateDocument,
} from '../../src/document/index.js';
import { derivedFrom } from '../../src/document/section-memo.js';
import { serialisedBound } from '../../src/document/size-bound.js';
import type { AitwsDocument, TomlTable, TomlValue } from '../../src/document/types.js';
import { random } from '../support/random.js';

const SAMPLE = path.resolve(import.meta.dirname, '../../../shared/corpus/ruvnet-AiToml/ai.toml');

function pick<T>(next: () => number, items: readonly T[]): T {
  const item = items[Math.floor(next() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** A deep copy that shares nothing and has no history: what a full pass sees. */
function unshared(document: AitwsDocument): AitwsDocument {
  const copy = cloneValue(document);
  if (!isTable(copy)) throw new Error('a document copies to a table');
  return copy;
}

function limitOutcome(document: AitwsDocument, limits: Limits): string {
  try {
    checkLimits(document, limits);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

function listOf(document: AitwsDocument, name: string): TomlTable[] {
  const value = document[name];
  return Array.isArray(value) ? value.filter((entry): entry is TomlTable => isTable(entry)) : [];
}

/** How a document refers to a secret rather than holding it: `${secret:NAME}`. */
const SECRET_REFERENCE = ['$', '{secret:DB_PASSWORD}'].join('');
const NAMES = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon'];
const ROLES = ['Administrator', 'Developer', 'Nobody'];

type Edit = (document: AitwsDocument, next: () => number) => AitwsDocument;

/** Edits as commands make them (copies along the changed path), and a few shapes only /load makes. */
const EDITS: readonly Edit[] = [
  (document, next) =>
    addToDocument(document, 'tasks', [
      { key: 'name', value: pick(next, NAMES) },
      { key: 'priority', value: pick(next, ['high', 'low', 'urgentish']) },
      { key: 'description', value: `step ${Math.floor(next() * 100)}` },
    ]).document,
  (document, next) =>
    addToDocument(document, 'roles', [
      { key: 'name', value: pick(next, ['Administrator', 'Developer', 'Reviewer']) },
      { key: 'privileges', value: pick(next, [['read'], ['read', 'write'], ['fly']]) },
    ]).document,
  (document, next) =>
    addToDocument(document, 'authorization', [
      { key: 'role', value: pick(next, ROLES) },
      { key: 'permissions', value: ['read'] },
    ]).document,
  (document, next) =>
    addToDocument(document, 'external_services', [
      { key: 'name', value: pick(next, NAMES) },
      { key: 'url', value: pick(next, ['https://api.example.com', 'https://bob:hunter2@db.example.com']) },
      { key: 'password', value: pick(next, ['hunter2', SECRET_REFERENCE]) },
    ]).document,
  (document, next) =>
    addToDocument(document, 'logging', [{ key: 'level', value: pick(next, ['info', 'debug', 7]) }]).document,
  (document, next) => {
    const section = pick(next, ['tasks', 'roles', 'external_services']);
    const entries = listOf(document, section);
    const victim = entries[Math.floor(next() * entries.length)];
    const key = victim?.name;
    if (key === undefined) return document;
    return removeFromDocument(document, section, { assignments: [{ key: 'name', value: key }] }).document;
  },
  // An entry without its key is labelled by position, and its label moves when an entry before it goes.
  (document, next) => ({
    ...document,
    tasks: [...listOf(document, 'tasks'), { priority: pick(next, ['low', 'high']) }],
  }),
  (document) => ({ ...document, tasks: listOf(document, 'tasks').slice(1) }),
  // A duplicate key, a wrong shape, an unknown section, a section removed.
  (document) => ({
    ...document,
    roles: [...listOf(document, 'roles'), ...listOf(document, 'roles').slice(0, 1)],
  }),
  (document, next) => ({
    ...document,
    monitoring: pick<TomlValue>(next, ['oops', [1, 2], { enabled: true }]),
  }),
  (document, next) => ({ ...document, [pick(next, ['rolez', 'x_extra'])]: { note: 'kept' } }),
  (document, next) => {
    const { [pick(next, ['roles', 'tasks', 'logging', 'stages'])]: _removed, ...rest } = document;
    return rest;
  },
];

/** Every pass over `document` (frozen, linked to its parent) must match a full pass over a copy. */
function expectSameAnswers(document: AitwsDocument, limits: readonly Limits[]): void {
  const copy = unshared(document);
  expect(validateDocument(document, { mode: 'draft' })).toEqual(validateDocument(copy, { mode: 'draft' }));
  expect(validateDocument(document, { mode: 'run' })).toEqual(validateDocument(copy, { mode: 'run' }));
  for (const limit of limits) expect(limitOutcome(document, limit)).toBe(limitOutcome(copy, limit));
  expect(serialisedBound(document)).toBe(serialisedBound(copy));
  expect(encodeDocumentText(document)).toBe(JSON.stringify(encodeDocument(copy)));
}

describe('passes over a new version reuse what its parent found', () => {
  const sample = parseDocument(readFileSync(SAMPLE, 'utf8'));
  // Tight limits make some versions fail: a reused section must fail them exactly as a walk does.
  const limits = [DEFAULT_LIMITS, { ...DEFAULT_LIMITS, documentBytes: 4600, entriesPerList: 6 }];

  it.each([1, 2, 3, 4, 5, 6])('gives the answers of a full pass along a chain of edits (seed %i)', (seed) => {
    const next = random(seed);
    let current = sample;
    freezeDeep(current);
    expectSameAnswers(current, limits);
    for (let step = 0; step < 60; step++) {
      let proposed: AitwsDocument;
      try {
        proposed = pick(next, EDITS)(current, next);
      } catch {
        continue; // an edit the draft refuses (no such entry, a malformed list): nothing to compare
      }
      freezeDeep(proposed);
      derivedFrom(proposed, current);
      expectSameAnswers(proposed, limits);
      // The same version again (a /show or /validate of the draft) answers from its own results.
      expectSameAnswers(proposed, limits);
      current = proposed;
    }
  });

  it.each([7, 8, 9])(
    'stays right when two versions are made from one, and the first is read again (seed %i)',
    (seed) => {
      // Concurrent edits of one cached version, and a late /show of a version already edited:
      // each new version takes the kept results over from the one it was made from.
      const next = random(seed);
      let current = sample;
      freezeDeep(current);
      expectSameAnswers(current, limits);
      const versionsMade = (from: AitwsDocument): AitwsDocument[] => {
        const made: AitwsDocument[] = [];
        for (let attempt = 0; attempt < 4 && made.length < 2; attempt++) {
          try {
            const proposed = pick(next, EDITS)(from, next);
            freezeDeep(proposed);
            derivedFrom(proposed, from);
            made.push(proposed);
          } catch {
            // refused edits make no version
          }
        }
        return made;
      };
      for (let step = 0; step < 30; step++) {
        const made = versionsMade(current);
        for (const version of made) expectSameAnswers(version, limits);
        expectSameAnswers(current, limits);
        for (const version of [...made].reverse()) expectSameAnswers(version, limits);
        current = made[Math.floor(next() * made.length)] ?? current;
      }
    },
  );

  it('is not misled by a wrong parent link', () => {
    const next = random(42);
    const other = addToDocument(sample, 'tasks', [{ key: 'name', value: 'Other' }]).document;
    freezeDeep(other);
    expectSameAnswers(other, limits);
    let document = sample;
    for (let step = 0; step < 20; step++) {
      try {
        document = pick(next, EDITS)(document, next);
      } catch {
        // refused edits leave the document as it was
      }
    }
    freezeDeep(document);
    derivedFrom(document, other);
    expectSameAnswers(document, limits);
  });

  it('reuses nothing from a document that can still change', () => {
    const mutable = unshared(sample);
    expectSameAnswers(mutable, limits);
    const roles = listOf(mutable, 'roles');
    roles.push({ name: 'Late', privileges: 'not a list' });
    mutable.roles = roles;
    expect(validateDocument(mutable).errors.map((finding) => finding.path)).toContain(
      'roles[Late].privileges',
    );
    expectSameAnswers(mutable, limits);
  });
});
