/**
 * Names that read the same are the same, or are flagged: a name typed in decomposed form (e + the
 * combining acute accent) is stored in NFC and finds the entry typed precomposed; two entries
 * equal in NFC are duplicates; a name with a Cyrillic or Greek letter that passes for a Latin one
 * (`Аdmin` beside `Admin`) is a warning naming the entry it looks like, and so is a lone name that
 * mixes those scripts. Ordinary names in one script, or Latin with Han and Kana, are not.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderForConsole } from '../../src/adapters/console/render.js';
import type { Reply } from '../../src/commands/reply.js';
import { parseDocument, validateDocument } from '../../src/document/index.js';
import type { Harness } from '../support/harness.js';
import { STORE_KINDS, useStores } from './stores.js';

const stores = useStores();

const DECOMPOSED = 'Cafe\u0301';
const PRECOMPOSED = 'Caf\u00e9';
/** "Admin" with a Cyrillic capital A (U+0410). */
const CYRILLIC_ADMIN = '\u0410dmin';

function screen(reply: Reply): string {
  return renderForConsole(reply, false);
}

describe.each(STORE_KINDS)('entry names (%s store)', (kind) => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await stores.harnessOn(kind);
    expect((await harness.run('/create name="Names"')).ok).toBe(true);
  });
  afterEach(async () => {
    await harness.cleanup();
  });

  async function roleNames(): Promise<unknown[]> {
    const { document } = await harness.store.read(harness.channel);
    const roles = document?.roles;
    return Array.isArray(roles) ? roles.map((role) => (role as { name?: unknown }).name) : [];
  }

  it('stores a decomposed name in NFC, so the precomposed spelling updates the same entry', async () => {
    expect((await harness.run(`/add roles name="${DECOMPOSED}" privileges=["read"]`)).ok).toBe(true);
    expect(await roleNames()).toEqual([PRECOMPOSED]);
    const updated = await harness.run(`/add roles name="${PRECOMPOSED}" privileges=["read","write"]`);
    expect(updated.ok).toBe(true);
    expect(screen(updated)).toMatch(/Updated/);
    expect(await roleNames()).toEqual([PRECOMPOSED]);
    expect((await harness.run(`/remove roles name="${DECOMPOSED}"`)).ok).toBe(true);
    expect(await roleNames()).toEqual([]);
  });

  it('resolves a reference typed in the other form, with no dangling-reference warning', async () => {
    expect((await harness.run(`/add roles name="${PRECOMPOSED}" privileges=["read"]`)).ok).toBe(true);
    const granted = await harness.run(`/add authorization role="${DECOMPOSED}" allowed_actions=["read"]`);
    expect(granted.ok).toBe(true);
    expect(granted.warnings.join('\n')).not.toMatch(/unknown role/);
    const dangling = await harness.run('/add authorization role="Nobody" allowed_actions=["read"]');
    expect(dangling.warnings.join('\n')).toMatch(/unknown role "Nobody"/);
  });

  it('warns that a name with a Cyrillic letter looks like an existing one, naming it', async () => {
    expect((await harness.run('/add roles name="Admin" privileges=["read"]')).ok).toBe(true);
    const added = await harness.run(`/add roles name="${CYRILLIC_ADMIN}" privileges=["read","approve"]`);
    expect(added.ok).toBe(true);
    expect(added.warnings.join('\n')).toContain(
      `name "${CYRILLIC_ADMIN}" looks like "Admin" but is a different name (it mixes Cyrillic and Latin letters)`,
    );
    expect(await roleNames()).toEqual(['Admin', CYRILLIC_ADMIN]);
    expect(screen(await harness.run('/validate'))).toContain('looks like "Admin"');
  });

  it('warns about a lone name that mixes scripts', async () => {
    const added = await harness.run('/add roles name="Re\u0432iewer" privileges=["read"]');
    expect(added.ok).toBe(true);
    expect(added.warnings.join('\n')).toMatch(
      /mixes Latin and Cyrillic letters, so it can pass for another name/,
    );
  });

  it.each([['DataScientist'], ['Администратор'], ['データScientist'], ['Ops-2']])(
    'does not warn about %s',
    async (name) => {
      const added = await harness.run(`/add roles name="${name}" privileges=["read"]`);
      expect(added.ok).toBe(true);
      expect(added.warnings.join('\n')).not.toMatch(/looks like|mixes/);
    },
  );
});

describe('names in a loaded document', () => {
  it('counts two spellings of one name in NFC as a duplicate', () => {
    const document = parseDocument(
      `[metadata]\nname = "N"\n\n[[roles]]\nname = "${PRECOMPOSED}"\n\n[[roles]]\nname = "${DECOMPOSED}"\n`,
    );
    const { errors } = validateDocument(document);
    expect(errors.map((finding) => finding.code)).toContain('DUPLICATE_KEY');
  });

  it('warns about look-alike names in nested lists too', () => {
    const document = parseDocument(
      `[metadata]\nname = "N"\n\n[[stages]]\nname = "Build"\n\n[[stages.actions]]\nname = "Train"\ntype = "ai.invoke"\n\n[[stages.actions]]\nname = "Tr\u0430in"\ntype = "ai.invoke"\n`,
    );
    const { warnings } = validateDocument(document);
    expect(warnings.map((finding) => finding.message)).toContain(
      'name "Tr\u0430in" looks like "Train" but is a different name (it mixes Latin and Cyrillic letters)',
    );
  });
});
