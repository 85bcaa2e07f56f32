/**
 * `aitws fmt` through the real `bin/aitws.js`: comments are kept beside what they are about, also
 * when sections and keys move into canonical order; formatting is idempotent; `--check` and
 * `--write` take several files and exit with the worst status; a file is never written when its
 * canonical form would read differently, and it is replaced atomically.
 */
import {
  chmod,
  copyFile,
  lstat,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseTOML } from 'toml-eslint-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { SAMPLE_TOML } from '../support/paths.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-fmt-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fmt(...args: string[]): ReturnType<typeof runCli> {
  return runCli(['fmt', ...args], { cwd: dir });
}

function read(name: string): Promise<string> {
  return readFile(path.join(dir, name), 'utf8');
}

/** The comments as a TOML parser sees them (a `#` inside a string or URL is not one). */
function comments(text: string): string[] {
  return parseTOML(text, { tomlVersion: '1.1' }).comments.map((comment) => `#${comment.value}`);
}

/** The line that follows `line` in `text`. */
function lineAfter(text: string, line: string): string | undefined {
  const lines = text.split('\n');
  const index = lines.indexOf(line);
  return index < 0 ? undefined : lines[index + 1];
}

describe('the spec sample', () => {
  it('keeps its 26 comments beside their sections and keys, and formats once for good', async () => {
    await copyFile(SAMPLE_TOML, path.join(dir, 'ai.toml'));
    const original = await read('ai.toml');
    // 17 on lines of their own (the provenance line included) and 9 after a value.
    expect(comments(original)).toHaveLength(26);
    expect((await fmt('ai.toml', '--check')).code).toBe(1);

    const written = await fmt('ai.toml', '--write');
    expect(written).toMatchObject({ code: 0, stderr: 'ai.toml: formatted\n' });
    const formatted = await read('ai.toml');
    expect(comments(formatted)).toEqual(comments(original));
    expect(formatted.split('\n').slice(0, 3)).toEqual([
      '# From ruvnet/AiToml (https://github.com/ruvnet/AiToml), ai.toml at commit e98be084ac56b4f321dff395ee49343519eecbad; verbatim below this line.',
      '# AI-TOML Workflow Specification (aiTWS)',
      '',
    ]);
    expect(formatted).toContain('protocol = "TLS" # Supported values: TLS, DTLS, QUIC\n');
    expect(formatted).toContain(
      'key_store = "AWS_KMS" # Supported values: AWS_KMS, GCP_KMS, Azure_Key_Vault, HashiCorp_Vault\n',
    );
    expect(lineAfter(formatted, '# Secure communication settings')).toBe('[communication]');
    expect(lineAfter(formatted, '# Supported languages: Rust, Python, JavaScript, and others')).toBe(
      '[[templates]]',
    );
    expect(lineAfter(formatted, '# Workflow stages and actions')).toBe('[[stages]]');
    expect(lineAfter(formatted, '# Version control and change management')).toBe('[version_control]');

    const [check, again, printed] = await Promise.all([
      fmt('ai.toml', '--check'),
      fmt('ai.toml'),
      runCli(['validate', 'ai.toml'], { cwd: dir }),
    ]);
    expect(check).toMatchObject({ code: 0, stderr: '' });
    expect(`${again.stdout}`).toBe(formatted);
    // The same findings as the sample itself: formatting changed no value.
    const before = await runCli(['validate', SAMPLE_TOML], { cwd: dir });
    expect(printed.stdout.replaceAll('ai.toml', 'X')).toBe(before.stdout.replaceAll(SAMPLE_TOML, 'X'));

    expect(await fmt('ai.toml', '--write')).toMatchObject({
      code: 0,
      stderr: 'ai.toml: already canonical\n',
    });
    expect(await read('ai.toml')).toBe(formatted);
  });
});

describe('reordering', () => {
  const scrambled = [
    '# A workflow out of order',
    '',
    '# How we talk',
    '[communication] # the transport',
    'port = 443 # the port',
    '# TLS or QUIC',
    'protocol = "TLS"',
    '',
    '# Who may do what',
    '[[roles]]',
    'privileges = [',
    '  "read", # enough for most',
    '  "write",',
    ']',
    'name = "Developer"',
    '',
    '# Name and version',
    '[metadata]',
    'version = "1.0.0"',
    '# shown in chat',
    'name = "Scrambled"',
    '',
    '# the end',
    '',
  ].join('\n');

  it('moves sections and keys into canonical order, each with its comments', async () => {
    await writeFile(path.join(dir, 'w.toml'), scrambled);
    expect((await fmt('w.toml', '--write')).code).toBe(0);
    expect(await read('w.toml')).toBe(
      [
        '# A workflow out of order',
        '',
        '# Name and version',
        '[metadata]',
        '# shown in chat',
        'name = "Scrambled"',
        'version = "1.0.0"',
        '',
        '# How we talk',
        '[communication] # the transport',
        '# TLS or QUIC',
        'protocol = "TLS"',
        'port = 443 # the port',
        '',
        '# Who may do what',
        '[[roles]]',
        'name = "Developer"',
        // A value with comments inside keeps its layout; the canonical writer would drop them.
        'privileges = [',
        '  "read", # enough for most',
        '  "write",',
        ']',
        '',
        '# the end',
        '',
      ].join('\n'),
    );
    expect((await fmt('w.toml', '--check')).code).toBe(0);
  });
});

describe('several files', () => {
  const canonical = '[metadata]\nname = "Main" # the name\nversion = "1.0.0"\n';
  const notCanonical = '[metadata]\nversion="1.0.0"\nname="Other" # the name\n';

  it('checks each and exits with the worst status', async () => {
    await writeFile(path.join(dir, 'a.toml'), canonical);
    await writeFile(path.join(dir, 'b.toml'), notCanonical);
    await writeFile(path.join(dir, 'c.toml'), '[metadata\nname = "x"\n');
    const [ok, oneOff, broken] = await Promise.all([
      fmt('a.toml', 'a.toml', '--check'),
      fmt('a.toml', 'b.toml', '--check'),
      fmt('c.toml', 'a.toml', 'b.toml', '--check'),
    ]);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(oneOff).toMatchObject({
      code: 1,
      stderr: 'b.toml: not in canonical form (run: aitws fmt b.toml --write)\n',
    });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^c\.toml:1:\d+: error: Invalid TOML/);
    expect(broken.stderr).toContain('b.toml: not in canonical form');
  });

  it('rewrites each it can read and leaves the others as they are', async () => {
    await writeFile(path.join(dir, 'a.toml'), canonical);
    await writeFile(path.join(dir, 'b.toml'), notCanonical);
    await writeFile(path.join(dir, 'c.toml'), '[metadata\nname = "x"\n');
    const result = await fmt('a.toml', 'b.toml', 'c.toml', 'missing.toml', '--write');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^a\.toml: already canonical\nb\.toml: formatted\nc\.toml:1:\d+: error: [^\n]*\n[^\n]*\n[^\n]*\nmissing\.toml: cannot read the file \(ENOENT\)\n$/,
    );
    expect(await read('b.toml')).toBe('[metadata]\nname = "Other" # the name\nversion = "1.0.0"\n');
    expect(await read('c.toml')).toBe('[metadata\nname = "x"\n');
  });

  it('prints only one file, and takes --write or --check, not both', async () => {
    await writeFile(path.join(dir, 'a.toml'), canonical);
    const [two, both, none] = await Promise.all([
      fmt('a.toml', 'a.toml'),
      fmt('a.toml', '--write', '--check'),
      fmt('--check'),
    ]);
    expect(two).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'aitws fmt: give one file to print, or --write or --check for several\n',
    });
    expect(both).toMatchObject({ code: 2, stderr: 'aitws fmt: give --write or --check, not both\n' });
    expect(none).toMatchObject({
      code: 2,
      stderr: 'aitws fmt: give at least one file, e.g. aitws fmt ai.toml --write\n',
    });
    expect(await read('a.toml')).toBe(canonical);
  });
});

describe('what fmt never does', () => {
  it('writes no file whose canonical form would hold a different value', async () => {
    // The canonical writer spells the float -0.0 as the integer 0.
    const text = '[metadata]\nname = "x"\n\n[tuning]\nbias = -0.0 # signed zero\n';
    await writeFile(path.join(dir, 'zero.toml'), text);
    const [write, check] = await Promise.all([fmt('zero.toml', '--write'), fmt('zero.toml', '--check')]);
    for (const result of [write, check]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        'zero.toml: error: Formatting would change a value, so the file is left as it is.\n',
      );
    }
    expect(await read('zero.toml')).toBe(text);
  });

  it('replaces the file atomically, keeping its permissions and a symbolic link to it', async () => {
    await writeFile(path.join(dir, 'real.toml'), '[metadata]\nversion="1" # v\nname="x"\n');
    await chmod(path.join(dir, 'real.toml'), 0o640);
    await symlink('real.toml', path.join(dir, 'link.toml'));
    expect((await fmt('link.toml', '--write')).code).toBe(0);
    expect(await read('real.toml')).toBe('[metadata]\nname = "x"\nversion = "1" # v\n');
    expect((await lstat(path.join(dir, 'link.toml'))).isSymbolicLink()).toBe(true);
    expect((await stat(path.join(dir, 'real.toml'))).mode & 0o777).toBe(0o640);
    expect((await readdir(dir)).sort()).toEqual(['link.toml', 'real.toml']);
  });
});
