/**
 * A value quoted back in an error or a warning is masked before it is cut to length: cut first, the
 * `@` that marks a URL password can fall off and leave the start of the password in the reply.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/reply.js';
import { createHarness, type Harness } from '../support/harness.js';

const PASSWORD = 's3cretpass';
/** The password starts at character 39, so a 40-character cut keeps its first letter and drops the `@`. */
const LONG_URL = `https://${'u'.repeat(30)}:${PASSWORD}@db.example.com/x`;

/** Everything a reply shows a person. */
function shown(reply: Reply): string {
  return JSON.stringify([reply.blocks, reply.warnings]);
}

describe('values quoted in messages', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await createHarness();
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
