/**
 * Text that reaches a terminal, a CI log or a JSON reader is inert: names and keys with control or
 * direction-changing characters are refused, values that hold them are shown escaped, no output
 * line of `aitws validate` starts with a GitHub Actions workflow command, and `--json` escapes the
 * characters some readers take for line ends.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderForConsole } from '../../src/adapters/console/render.js';
import { validateFiles } from '../../src/cli/validate-files.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import type { Harness } from '../support/harness.js';

const stores = useStores();

import { STORE_KINDS, useStores } from './stores.js';

/** Controls (ESC, BEL, C1) but newline and tab, a bidi override, a line separator: never raw on screen. */
const RAW = /(?![\n\t])[\p{Cc}\u202e\u2028]/u;
/** Our own colour codes, which a TTY rendering adds around the text. */
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g');

describe.each(STORE_KINDS)('names, keys and values with control characters (%s store)', (kind) => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await stores.harnessOn(kind);
    expect((await harness.run('/create name="Inert"')).ok).toBe(true);
  });
  afterEach(async () => {
    await harness.cleanup();
  });

  it.each([
    ['/add roles name="Admin\\u202e" privileges=["read"]', /control or direction-changing/],
    ['/add roles name="\\u001b]0;pwned\\u0007" privileges=["read"]', /control or direction-changing/],
    ['/add x_meta note={ "k\\u001bey" = 1 }', /control or direction-changing/],
  ])('refuses %s and changes nothing', async (command, reason) => {
    const before = await harness.snapshot();
    expect(Object.keys(before)).not.toEqual([]);
    const reply = await harness.run(command);
    expect(reply.ok).toBe(false);
    const screen = renderForConsole(reply, false);
    expect(screen).toMatch(reason);
    expect(screen).not.toMatch(RAW);
    expect(await harness.snapshot()).toEqual(before);
  });

  it('shows a value with an escape sequence escaped, on screen and in warnings', async () => {
    const added = await harness.run('/add communication protocol="\\u001b]0;pwned\\u0007\\u2028x"');
    expect(added.ok).toBe(true);
    expect(renderForConsole(added, true).replace(COLOUR, '')).not.toMatch(RAW);
    const shown = renderForConsole(await harness.run('/show communication'), false);
    expect(shown).not.toMatch(RAW);
    expect(shown).toContain('\\u001b');
  });
});

describe('aitws validate output', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-terminal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(file: string, json: boolean): Promise<string[]> {
    const lines: string[] = [];
    const output = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) };
    await validateFiles([file], { strict: false, json, limits: DEFAULT_LIMITS }, output);
    return lines.flatMap((line) => line.split('\n'));
  }

  it('never starts a line with a workflow command, whatever the file is called', async () => {
    const name = '::error file=x::pwned.toml';
    await writeFile(path.join(dir, name), '[metadata]\nname = "N"\n[logging]\nlevle = "x"\n');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const lines = await run(name, false);
      expect(lines.length).toBeGreaterThan(1);
      for (const line of lines) expect(line.startsWith('::')).toBe(false);
    } finally {
      process.chdir(cwd);
    }
  });

  it('escapes line separators in --json so each record stays one line', async () => {
    const file = path.join(dir, 'sep.toml');
    await writeFile(
      file,
      '[metadata]\nname = "N"\n[communication]\nprotocol = "a\u2028b\u2029c\u0085d\\re"\n',
    );
    const text = (await run(file, true)).join('\n');
    expect(text).not.toMatch(/[\u2028\u2029\u0085\r]/u);
    // The lone CR is in the record, shown escaped, not a line end.
    expect(text).toContain('d\\\\u{d}e');
    expect(() => JSON.parse(text)).not.toThrow();
  });
});
