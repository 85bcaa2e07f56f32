/**
 * Bad input gets a clear one-line reason and loses nothing: every case runs against a draft
 * holding the original sample and checks the store's bytes on disk are unchanged afterwards.
 */
import { copyFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, textOf } from '../support/harness.js';
import { SAMPLE_TOML } from '../support/paths.js';

const deep = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

const cases: { name: string; command: string | (() => string); reason: RegExp; code?: string }[] = [
  {
    name: 'unbalanced quotes',
    command: '/add roles name="Data',
    reason: /unterminated|unclosed|quote/i,
    code: 'PARSE',
  },
  {
    name: 'unknown command',
    command: '/ad roles name="X"',
    reason: /Unknown command "\/ad"/,
    code: 'UNKNOWN_COMMAND',
  },
  {
    name: 'unknown section',
    command: '/add rols name="X"',
    reason: /Unknown section "rols"/,
    code: 'UNKNOWN_SECTION',
  },
  {
    name: 'wrong type',
    command: '/add communication port="x"',
    reason: /communication\.port/,
    code: 'VALIDATION',
  },
  {
    name: 'out-of-range port',
    command: '/add communication port=70000',
    reason: /communication\.port/,
    code: 'VALIDATION',
  },
  {
    name: 'duplicate key',
    command: '/add roles name="A" name="B"',
    reason: /name.*(twice|more than once|duplicate)/i,
    code: 'PARSE',
  },
  {
    name: 'missing key field',
    command: '/add roles privileges=["read"]',
    reason: /roles needs name=/,
    code: 'USAGE',
  },
  {
    name: 'a 1 MiB line',
    command: () => `/add roles name="${'x'.repeat(1024 * 1024)}"`,
    reason: /too long|limit/i,
    code: 'LIMIT',
  },
  { name: 'deep nesting', command: `/add x_deep value=${deep(40)}`, reason: /nest/i },
  { name: 'NUL character', command: '/add roles name="a\u0000b"', reason: /control character|NUL/i },
  { name: 'control character', command: '/add roles name="a\u0007b"', reason: /control character/i },
  {
    name: 'string over the limit',
    command: () => `/add roles name="R" description="${'y'.repeat(9 * 1024)}"`,
    reason: /limit|too long/i,
    code: 'LIMIT',
  },
  {
    name: 'load of invalid TOML',
    command: '/load broken.toml',
    reason: /line 2, column \d+/,
    code: 'TOML_SYNTAX',
  },
  {
    name: 'load outside the working directory',
    command: '/load ../../etc/passwd',
    reason: /outside the working directory/,
    code: 'PATH_FORBIDDEN',
  },
  {
    name: 'load by absolute path outside',
    command: '/load /etc/hostname',
    reason: /outside the working directory/,
    code: 'PATH_FORBIDDEN',
  },
  {
    name: 'load through a symlink that leaves',
    command: '/load escape/hostname',
    reason: /outside the working directory/,
    code: 'PATH_FORBIDDEN',
  },
  {
    name: 'save outside the working directory',
    command: '/save ../stolen.toml',
    reason: /outside the working directory/,
    code: 'PATH_FORBIDDEN',
  },
  {
    name: 'a file that does not exist',
    command: '/load missing.toml',
    reason: /no file "missing\.toml"/,
    code: 'FILE_NOT_FOUND',
  },
  {
    name: 'remove of a missing entry',
    command: '/remove roles name="Nobody"',
    reason: /no roles entry "Nobody"/,
    code: 'UNKNOWN_ENTRY',
  },
  {
    name: 'create over an existing draft',
    command: '/create name="Other"',
    reason: /already has a draft/,
    code: 'DRAFT_EXISTS',
  },
  {
    name: 'nested action for a missing stage',
    command: '/add stages.actions stage="Nope" name="A" type="emit"',
    reason: /no stages entry "Nope"/,
    code: 'UNKNOWN_ENTRY',
  },
  { name: 'empty value', command: '/add roles name=', reason: /empty|quotes/i, code: 'PARSE' },
  { name: 'prototype pollution key', command: '/add x_ext __proto__="x"', reason: /__proto__/ },
];

describe('bad input changes nothing', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await createHarness();
    await copyFile(SAMPLE_TOML, path.join(h.workDir, 'ai.toml'));
    await writeFile(path.join(h.workDir, 'broken.toml'), '[metadata]\nname = "unterminated\n');
    await symlink('/etc', path.join(h.workDir, 'escape'));
    const loaded = await h.run('/load ai.toml');
    expect(loaded.ok).toBe(true);
  });

  afterEach(async () => {
    await h.cleanup();
  });

  it.each(cases)('$name', async ({ command, reason, code }) => {
    const before = await h.snapshot();
    const text = typeof command === 'function' ? command() : command;
    const reply = await h.run(text);
    expect(reply.ok).toBe(false);
    expect(reply.visibility).toBe('ephemeral');
    const [headline] = textOf(reply).split('\n');
    expect(headline).toMatch(reason);
    if (code !== undefined) expect(reply.data).toMatchObject({ error: { code } });
    expect(await h.snapshot()).toEqual(before);
  });

  it('never writes a file outside the working directory', async () => {
    const reply = await h.run('/save ../stolen.toml');
    expect(reply.ok).toBe(false);
    const { access } = await import('node:fs/promises');
    await expect(access(path.join(h.workDir, '..', 'stolen.toml'))).rejects.toThrow();
  });
});
