import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/registry.js';
import { runCli } from '../support/cli.js';

describe('aitws discord commands (through bin/aitws.js)', () => {
  it('prints one application command per registry command, with no credentials needed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-discord-cli-'));
    try {
      const result = await runCli(['discord', 'commands'], { cwd: dir });
      expect(result.code).toBe(0);
      const payload = JSON.parse(result.stdout) as { name: string; description: string }[];
      expect(payload.map((c) => c.name).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
      for (const command of payload) expect(command.description.length).toBeLessThanOrEqual(100);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
