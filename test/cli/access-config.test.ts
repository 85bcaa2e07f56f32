/**
 * AITWS_ADMINS and AITWS_DEFAULT_PRIVILEGES, read once and validated: a list the bot cannot read,
 * or a default that would hand out execute, approve or admin without a grant, stops the program
 * with one line naming the variable; good values shape who may do what.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { runCli } from '../support/cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-access-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('reads admins as platform:id and defaults to read,write for people without a grant', () => {
    const config = loadConfig({ AITWS_ADMINS: ' slack:U123 ,discord:456,console:root' }, ['access']);
    expect([...config.access.admins]).toEqual(['slack:U123', 'discord:456', 'console:root']);
    expect(config.access.defaultPrivileges).toEqual(['read', 'write']);
    expect(loadConfig({ AITWS_DEFAULT_PRIVILEGES: 'read' }, ['access']).access.defaultPrivileges).toEqual([
      'read',
    ]);
    expect(loadConfig({ AITWS_DEFAULT_PRIVILEGES: '' }, ['access']).access.defaultPrivileges).toEqual([]);
  });

  it.each([
    ['AITWS_ADMINS', 'U123'],
    ['AITWS_ADMINS', 'teams:U1'],
    ['AITWS_DEFAULT_PRIVILEGES', 'read,approve'],
    ['AITWS_DEFAULT_PRIVILEGES', 'admin'],
    ['AITWS_DEFAULT_PRIVILEGES', 'everything'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value }, ['access'])).toThrow(
      expect.objectContaining({ code: 'CONFIG', details: [expect.stringContaining(name)] }),
    );
  });
});

describe('the console', () => {
  it('stops with one line naming a bad AITWS_DEFAULT_PRIVILEGES', async () => {
    const result = await runCli(['console'], {
      cwd: dir,
      input: '/help\n',
      env: { AITWS_DEFAULT_PRIVILEGES: 'read,execute' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('AITWS_DEFAULT_PRIVILEGES: may list only read and write');
  });

  it('with AITWS_DEFAULT_PRIVILEGES=read, someone without a grant can look but not change', async () => {
    const result = await runCli(['console', '--exit-zero'], {
      cwd: dir,
      input: '/create name="Locked"\n/help create\n',
      env: { AITWS_DEFAULT_PRIVILEGES: 'read' },
    });
    expect(result.stdout).toContain('✖ /create needs the write privilege; you hold read here.');
    expect(result.stdout).toContain(
      'Needs: write; admin for /create force=true once someone holds a grant in the channel.',
    );
  });
});
