/**
 * The console with standard input not a terminal, as a script or CI job runs it: the exit status
 * says whether every command succeeded, a bare /load takes the document that follows it up to a
 * line with only ".", and /exit stops reading.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-piped-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DOCUMENT =
  '[metadata]\nname = "Piped"\nversion = "2.0.0"\n\n[[roles]]\nname = "Ops"\nprivileges = ["read"]\n';

describe('the exit status of a piped console', () => {
  it('is 0 when every command succeeded', async () => {
    const result = await runCli(['console'], {
      cwd: dir,
      input: '/create name="Fine"\n# a comment\n\n/show\n',
    });
    expect(result.code).toBe(0);
  });

  it('is 1 when any command failed, after running every command, in text and in --json', async () => {
    const input = '/create name="Mixed"\n/add nonsense x=1\n/add roles name="Ops" privileges=["read"]\n';
    const text = await runCli(['console'], { cwd: dir, input });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/✖ Unknown section "nonsense"/);
    expect(text.stdout).toMatch(/Added roles\[Ops\]/);
    const json = await runCli(['console', '--json', '--channel', 'other'], { cwd: dir, input });
    expect(json.code).toBe(1);
    expect(jsonLines(json.stdout).map((reply) => reply.ok)).toEqual([true, false, true]);
  });

  it('is 0 after a failed command with --exit-zero, the behaviour before', async () => {
    const result = await runCli(['console', '--exit-zero'], { cwd: dir, input: '/nonsense\n/create\n' });
    expect(result.stdout).toMatch(/Unknown command "\/nonsense"/);
    expect(result.code).toBe(0);
  });
});

describe('a bare /load in a piped console', () => {
  it('loads the lines after it, up to a line with only ".", as one document', async () => {
    const input = `/create name="Before"\n/load\n${DOCUMENT}.\n/show metadata\n`;
    const text = await runCli(['console'], { cwd: dir, input });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Loaded the pasted TOML \("Piped", 2 sections\) · v2$/m);
    expect(text.stdout).toMatch(/version = "2\.0\.0"/);
    const json = await runCli(['console', '--json', '--channel', 'json'], { cwd: dir, input });
    const replies = jsonLines(json.stdout);
    // The /load block is one command: one record, under the command that started it.
    expect(replies.map((reply) => [reply.command, reply.ok])).toEqual([
      ['/create name="Before"', true],
      ['/load', true],
      ['/show metadata', true],
    ]);
  });

  it('refuses a document whose "." line never came, with status 1', async () => {
    const result = await runCli(['console'], { cwd: dir, input: `/create name="Kept"\n/load\n${DOCUMENT}` });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/never ended with a line holding only "\."; nothing was loaded/);
    const shown = await runCli(['console'], { cwd: dir, input: '/show metadata\n' });
    expect(shown.stdout).toMatch(/name = "Kept"/);
  });

  it('refuses an invalid document and leaves the draft alone', async () => {
    const input = '/create name="Kept"\n/load\n[communication]\nport = 70000\n.\n/show metadata\n';
    const result = await runCli(['console'], { cwd: dir, input });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/the pasted TOML has errors; nothing was loaded/);
    expect(result.stdout).toMatch(/name = "Kept"/);
  });
});

describe('/exit in a piped console', () => {
  it('stops reading: later lines are not run', async () => {
    const result = await runCli(['console', '--json'], { cwd: dir, input: '/create\n/exit\n/nonsense\n' });
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout).map((reply) => reply.command)).toEqual(['/create', '/exit']);
  });
});
