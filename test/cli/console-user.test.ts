/** `--user` is who /grant names in the console, so it must be a name /grant accepts. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

it('refuses a --user that /grant could not name, before opening any store, with exit 2', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-user-'));
  try {
    const refused = await runCli(['console', '--user', 'Mary Ann'], { cwd: dir, input: '/help\n' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--user "Mary Ann" is not a user name');
    const accepted = await runCli(['console', '--user', 'mary.ann'], { cwd: dir, input: '/members\n' });
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain('Nobody holds a role in this channel yet.');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
