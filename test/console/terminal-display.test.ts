/**
 * How the interactive console draws replies in a terminal (see pty.ts): wrapped at its width on
 * word boundaries, /diff in red and green, /show as TOML with highlighting, and no colour at all
 * with NO_COLOR or --no-color.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { type ConsoleTerminal, command, SGR, startConsole, type TerminalOptions } from './pty.js';

let dir: string;
const opened: ConsoleTerminal[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-tty-'));
});

afterEach(async () => {
  for (const terminal of opened.splice(0)) terminal.stop();
  await rm(dir, { recursive: true, force: true });
});

async function open(options: Partial<TerminalOptions> = {}): Promise<ConsoleTerminal> {
  const terminal = await startConsole({ cwd: dir, ...options });
  opened.push(terminal);
  return terminal;
}

/** The raw bytes the console wrote while answering `line` (escape sequences included). */
async function rawReply(terminal: ConsoleTerminal, line: string): Promise<string> {
  const from = terminal.raw().length;
  await command(terminal, line);
  return terminal.raw().slice(from);
}

const ESC = String.fromCharCode(27);
const colour = (code: number, text: string) => `${ESC}[${code}m${text}${ESC}[0m`;

/** Words in order, however the lines were broken and indented. */
function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

describe('wrapping', () => {
  it('wraps replies at the terminal width on word boundaries, keeping every word whole', async () => {
    const piped = await runCli(['console'], { cwd: dir, input: '/help\n' });
    const terminal = await open({ columns: 50 });
    const shown = await command(terminal, '/help');
    const lines = shown.split('\n');
    expect(lines.every((line) => line.length <= 50)).toBe(true);
    // Wrapped, not merely short: more lines than piped, where nothing is wrapped.
    expect(lines.length).toBeGreaterThan(piped.stdout.trimEnd().split('\n').length);
    expect(words(shown)).toEqual(words(piped.stdout));
    // A list item's continuation lines up under its text, not under the bullet.
    expect(shown).toMatch(/\n {2}• \/create [^\n]*\n {4}\S/);
  });

  it('uses COLUMNS when the terminal reports no size', async () => {
    const terminal = await open({ columns: 0, env: { COLUMNS: '40' } });
    const lines = (await command(terminal, '/help')).split('\n');
    expect(lines.every((line) => line.length <= 40)).toBe(true);
    expect(lines.some((line) => line.length > 30)).toBe(true);
  });
});

describe('colour', () => {
  it('shows /diff with removed lines red and added lines green', async () => {
    const terminal = await open();
    await command(terminal, '/create name="Old"');
    await command(terminal, '/add metadata name="New"');
    const diff = await rawReply(terminal, '/diff');
    expect(diff).toContain(colour(31, '-name = "Old"'));
    expect(diff).toContain(colour(32, '+name = "New"'));
    // Context lines stay plain.
    expect(diff).toContain('\r\n version = "0.1.0"\r\n');
  });

  it('shows /show in normal text with TOML highlighting', async () => {
    const terminal = await open();
    await command(terminal, '/create name="Shown" version="1.2.0"');
    await command(terminal, '/add roles name="Ops" privileges=["read"]');
    const shown = await rawReply(terminal, '/show');
    expect(shown).toContain(`${colour(1, '[metadata]')}\r\n`);
    expect(shown).toContain(`${colour(36, 'name')} = ${colour(32, '"Shown"')}`);
    expect(shown).toContain(colour(1, '[[roles]]'));
    expect(shown).toContain(`${colour(36, 'privileges')} = [ ${colour(32, '"read"')} ]`);
    // Not dimmed as a whole, as it was.
    expect(shown).not.toContain(`${ESC}[2m`);
  });

  it.each([
    ['NO_COLOR=1', { env: { NO_COLOR: '1' } }],
    ['--no-color', { args: ['--no-color'] }],
  ] as const)('%s turns every colour off, the prompt included', async (_name, options) => {
    const terminal = await open(options);
    await command(terminal, '/create name="Plain"');
    await command(terminal, '/add metadata name="Plainer"');
    await command(terminal, '/diff');
    await command(terminal, '/show');
    await command(terminal, '/nonsense');
    expect(terminal.raw().match(SGR)).toBeNull();
  });

  it('keeps colour with an empty NO_COLOR, which does not count', async () => {
    const terminal = await open({ env: { NO_COLOR: '' } });
    expect(await rawReply(terminal, '/nonsense')).toContain(`${ESC}[31m✖ Unknown command`);
  });
});
