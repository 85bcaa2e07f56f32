/**
 * A value quoted back in an error or a warning is masked before it is cut to length: cut first, the
 * `@` that marks a URL password can fall off and leave the start of the password in the reply.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/reply.js';
import type { Harness } from '../support/harness.js';

const stores = useStores();

import { STORE_KINDS, useStores } from './stores.js';

const PASSWORD = 's3cretpass';
/** The password starts at character 39, so a 40-character cut keeps its first letter and drops the `@`. */
const LONG_URL = `https://${'u'.repeat(30)}:${PASSWORD}@db.example.com/x`;

/** Everything a reply shows a person. */
function shown(reply: Reply): string {
  return JSON.stringify([reply.blocks, reply.warnings]);
}

describe.each(STORE_KINDS)('values quoted in messages (%s store)', (kind) => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await stores.harnessOn(kind);
    expect((await harness.run('/create name="Secrets"')).ok).toBe(true);
  });
  afterEach(async () => {
    await harness.cleanup();
  });

  it('masks a password in a warning about an unsupported value before cutting it', async () => {
    const reply = await harness.run(`/add communication protocol="${LONG_URL}"`);
    expect(reply.ok).toBe(true);
    expect(reply.warnings.join('\n')).toMatch(/is not a supported value/);
    expect(shown(reply)).not.toContain(':s');
    expect(shown(reply)).not.toContain(PASSWORD.slice(0, 3));
  });

  it('masks a password in a wrong-type error before cutting it', async () => {
    const reply = await harness.run(`/add monitors name="M" interval="${LONG_URL}"`);
    expect(reply.ok).toBe(false);
    expect(shown(reply)).toMatch(/not a duration/);
    expect(shown(reply)).not.toContain(':s');
    expect(shown(reply)).not.toContain(PASSWORD.slice(0, 3));
  });
});

describe.each(STORE_KINDS)('secrets in history (%s store)', (kind) => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await stores.harnessOn(kind);
    expect((await harness.run('/create name="Secrets"')).ok).toBe(true);
  });
  afterEach(async () => {
    await harness.cleanup();
  });

  /** The command as typed, and the secret in it that neither /history nor the store may keep. */
  const typed: readonly (readonly [string, string])[] = [
    ["/add x_db api_key='''sk-live-4f9a8b7c6d5e'''", 'sk-live-4f9a8b7c6d5e'],
    ['/add x_db password="""hunter2hunter2"""', 'hunter2hunter2'],
    ['/add x_db url="postgres://etl:pw9XyZq\\u0040db.internal/x"', 'pw9XyZq'],
    ['/add repositories name="Models" url="https://deploy:tok3nValue@git.example.com/m.git"', 'tok3nValue'],
    ['/add x_db creds={ client_secret = "cs-998877" }', 'cs-998877'],
  ];

  it.each(typed)('keeps %s with the secret masked', async (command, secret) => {
    const added = await harness.run(command);
    expect(added.ok).toBe(true);
    const history = await harness.run('/history');
    expect(shown(history)).not.toContain(secret);
    const stored = await harness.store.history(harness.channel);
    expect(stored[0]?.change).not.toContain(secret);
    expect(stored[0]?.change).toMatch(/^\/add /);
  });

  it('keeps a command with no secret exactly as typed', async () => {
    const command = '/add roles name="DataScientist" privileges=["read", "execute"]';
    expect((await harness.run(command)).ok).toBe(true);
    expect((await harness.store.history(harness.channel))[0]?.change).toBe(command);
  });
});
