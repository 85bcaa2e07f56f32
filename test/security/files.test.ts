/**
 * `aitws validate` and `fmt` read only what they should: a regular file, never past the document
 * limit, and only UTF-8 (a replacement character would change a value without a word).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatFile, validateFiles } from '../../src/cli/validate-files.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';

/** Output that goes nowhere: these tests look at exit codes and files. */
const quiet = { out: () => undefined, err: () => undefined };

describe('files the CLI reads', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-files-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function validate(file: string): Promise<{ exit: number; err: string }> {
    const err: string[] = [];
    const output = { out: () => undefined, err: (line: string) => err.push(line) };
    const exit = await validateFiles([file], { strict: false, json: false, limits: DEFAULT_LIMITS }, output);
    return { exit, err: err.join('\n') };
  }

  it('refuses a device without reading it', async () => {
    const rss = process.memoryUsage().rss;
    const { exit, err } = await validate('/dev/zero');
    expect(exit).toBe(2);
    expect(err).toBe('/dev/zero: cannot read the file: That is not a regular file.');
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a directory', async () => {
    expect((await validate(dir)).exit).toBe(2);
  });

  it('refuses a file over the document limit', async () => {
    const file = path.join(dir, 'big.toml');
    await writeFile(file, `[x]\nnote = "${'a'.repeat(DEFAULT_LIMITS.documentBytes)}"\n`);
    const { exit, err } = await validate(file);
    expect(exit).toBe(2);
    expect(err).toContain('is over 256 KiB, the document limit');
  });

  it('refuses invalid UTF-8 instead of replacing it, and fmt --write leaves the file alone', async () => {
    const file = path.join(dir, 'latin1.toml');
    const bytes = Buffer.concat([
      Buffer.from('[metadata]\nname = "Caf'),
      Buffer.from([0xe9]),
      Buffer.from('"\n'),
    ]);
    await writeFile(file, bytes);
    const { exit, err } = await validate(file);
    expect(exit).toBe(2);
    expect(err).toContain('is not UTF-8 text');
    expect(await formatFile(file, { write: true, check: false, limits: DEFAULT_LIMITS }, quiet)).toBe(2);
    expect(await readFile(file)).toEqual(bytes);
  });
});
