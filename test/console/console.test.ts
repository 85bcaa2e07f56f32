import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli.js';
import { CLI_EXAMPLES, SAMPLE_TOML } from '../support/paths.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-cli-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('aitws console', () => {
  it('runs every spec example piped in, one JSON object per line', async () => {
    const input = await readFile(CLI_EXAMPLES, 'utf8');
    const result = await runCli(['console', '--json'], { cwd: dir, input });
    expect(result.code).toBe(0);
    const lines = input.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
    const replies = jsonLines(result.stdout);
    expect(replies).toHaveLength(lines.length);
    replies.forEach((reply, i) => {
      expect(reply).toMatchObject({ command: lines[i], ok: true });
      expect(reply).toHaveProperty('text');
      expect(reply).toHaveProperty('warnings');
    });
    // The embedded store defaults to .aitws/ in the working directory.
    expect((await stat(path.join(dir, '.aitws'))).isDirectory()).toBe(true);
  });

  it('keeps a session across processes in --data-dir, going on after a failed command', async () => {
    const first = await runCli(['console', '--data-dir', 'state', '--channel', 'ops'], {
      cwd: dir,
      input: '/create name="Ops"\n/add nonsense x=1\n/show metadata\n',
    });
    // A failed command is a reply, not a crash: the next one still runs, and the status says so.
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/name = "Ops"/);
    expect(first.stdout).toMatch(/Created "Ops"/);
    expect(first.stdout).toMatch(/Unknown section "nonsense"/);
    const second = await runCli(['console', '--data-dir', 'state', '--channel', 'ops', '--json'], {
      cwd: dir,
      input: '/show metadata\n',
    });
    expect(jsonLines(second.stdout)[0]).toMatchObject({ ok: true, data: { version: 1 } });
  });

  it('two console processes adding to one channel at once lose nothing', async () => {
    // Keep all 51 versions so the whole history can be checked for gaps.
    const env = { AITWS_HISTORY_LIMIT: '100' };
    const script = (who: string) =>
      `${Array.from({ length: 25 }, (_, i) => `/add roles name="${who}${i}" privileges=["read"]`).join('\n')}\n`;
    await runCli(['console'], { cwd: dir, env, input: '/create name="Race"\n' });
    const [a, b] = await Promise.all([
      runCli(['console', '--json', '--user', 'a'], { cwd: dir, env, input: script('A') }),
      runCli(['console', '--json', '--user', 'b'], { cwd: dir, env, input: script('B') }),
    ]);
    for (const run of [a, b]) {
      expect(run.code).toBe(0);
      expect(jsonLines(run.stdout).every((r) => r.ok === true)).toBe(true);
    }
    const shown = await runCli(['console', '--json'], {
      cwd: dir,
      env,
      input: '/show roles\n/history limit=100\n',
    });
    const [show, history] = jsonLines(shown.stdout);
    for (const who of ['A', 'B']) {
      for (let i = 0; i < 25; i++) expect(String(show?.text)).toContain(`name = "${who}${i}"`);
    }
    const versions = (history?.data as { versions: { version: number }[] } | undefined)?.versions.map(
      (v) => v.version,
    );
    expect(versions).toEqual(Array.from({ length: 51 }, (_, i) => 51 - i));
  });

  it('refuses paths outside the working directory', async () => {
    const result = await runCli(['console', '--json'], {
      cwd: dir,
      input: '/create\n/save ../escape.toml\n',
    });
    expect(jsonLines(result.stdout)[1]).toMatchObject({ ok: false });
    await expect(readFile(path.join(dir, '..', 'escape.toml'))).rejects.toThrow();
  });
});

describe('aitws validate', () => {
  it('passes the original sample: three dangling references, and one warning per action type no executor runs', async () => {
    const result = await runCli(['validate', SAMPLE_TOML], { cwd: dir });
    expect(result.code).toBe(0);
    const all = result.stdout.split('\n').filter((l) => l.includes(': warning: '));
    const actionTypes = all.filter((l) => /actions\[\w+\]\.type: .* is not a supported value/.test(l));
    expect(actionTypes).toHaveLength(8);
    const warnings = all.filter((l) => !actionTypes.includes(l));
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).toMatch(/ErrorHandling/);
    expect(warnings.join('\n')).toMatch(/Senior Developer/);
    expect(warnings.join('\n')).toMatch(/TaskA.*TaskB/);
    expect(result.stdout).not.toMatch(/: error: /);
    expect(result.stdout).not.toContain(':password@');
  });

  it('exits 1 with errors, 2 when a file cannot be read or parsed', async () => {
    await writeFile(path.join(dir, 'bad.toml'), '[communication]\nport = 70000\n');
    await writeFile(path.join(dir, 'broken.toml'), '[metadata\nname = "x"\n');
    const invalid = await runCli(['validate', 'bad.toml'], { cwd: dir });
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toMatch(/bad\.toml: error: communication\.port/);
    const broken = await runCli(['validate', 'broken.toml'], { cwd: dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.toml:1:\d+: error:/);
    const missing = await runCli(['validate', 'nope.toml'], { cwd: dir });
    expect(missing.code).toBe(2);
  });
});

describe('aitws fmt', () => {
  it('writes canonical TOML that is stable and keeps every value', async () => {
    await copyFile(SAMPLE_TOML, path.join(dir, 'ai.toml'));
    expect((await runCli(['fmt', 'ai.toml', '--check'], { cwd: dir })).code).toBe(1);
    expect((await runCli(['fmt', 'ai.toml', '--write'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['fmt', 'ai.toml', '--check'], { cwd: dir })).code).toBe(0);
    const printed = await runCli(['fmt', 'ai.toml'], { cwd: dir });
    expect(`${printed.stdout}`).toBe(await readFile(path.join(dir, 'ai.toml'), 'utf8'));
  });
});
