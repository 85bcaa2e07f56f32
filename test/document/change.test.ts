/**
 * An edit of one section is checked with validateChange (that section and the references); a
 * replaced draft with validateReplacement (everything). For an edit both must say the same.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addToDocument, editedSection } from '../../src/document/edit.js';
import { removeFromDocument } from '../../src/document/edit-remove.js';
import { parseDocument, validateChange, validateReplacement } from '../../src/document/index.js';
import type { AitwsDocument, TomlValue } from '../../src/document/types.js';
import { SAMPLE_TOML } from '../support/paths.js';

const sample = parseDocument(readFileSync(SAMPLE_TOML, 'utf8'));
const add = (path: string, fields: Record<string, TomlValue>) => (document: AitwsDocument) =>
  addToDocument(
    document,
    path,
    Object.entries(fields).map(([key, value]) => ({ key, value })),
  ).document;

const edits: readonly [string, string, (document: AitwsDocument) => AitwsDocument][] = [
  ['a role that resolves nothing', 'roles', add('roles', { name: 'Auditor', privileges: ['read'] })],
  [
    'a repository with an unknown role',
    'repositories',
    add('repositories', { name: 'R', access_role: 'Ghost' }),
  ],
  ['a stage that resolves a dangling branch', 'stages', add('stages', { name: 'ErrorHandling', order: 9 })],
  ['an out-of-range port', 'communication', add('communication', { port: 70000 })],
  ['an unknown field', 'logging', add('logging', { levle: 'debug' })],
  ['an action', 'stages', add('stages.actions', { stage: 'Execution', name: 'Fit', type: 'ai.invoke' })],
  ['a removed role', 'roles', (d) => removeFromDocument(d, 'roles', { assignments: [] }).document],
  ['an extension section', 'x_team', add('x_team', { owner: 'ml' })],
];

describe('validateChange', () => {
  it.each(edits)('finds what a full check finds for %s', (_, section, edit) => {
    const after = edit(sample);
    const change = validateChange(sample, after, section);
    const full = validateReplacement(sample, after);
    expect(change.errors).toEqual(full.errors);
    expect(change.newWarnings).toEqual(full.newWarnings);
  });

  it('has edits that find errors, new warnings and resolved ones among them', () => {
    const found = edits.map(([, section, edit]) => validateChange(sample, edit(sample), section));
    expect(found.some((change) => change.errors.length > 0)).toBe(true);
    expect(found.some((change) => change.newWarnings.length > 0)).toBe(true);
    const resolved = found[2];
    expect(resolved?.warnings.length).toBeLessThan(validateReplacement(null, sample).warnings.length);
  });

  it('is told the top-level section of a nested list', () => {
    expect(editedSection('stages.actions')).toBe('stages');
    expect(editedSection('roles')).toBe('roles');
  });
});
