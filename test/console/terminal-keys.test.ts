/**
 * The interactive console as a person uses it, through a pseudo-terminal (see pty.ts): pasting
 * documents, a bare /load, Ctrl-C and Ctrl-D, Tab completion and the line history.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConsoleTerminal, command, KEY, PROMPT, screen, send, startConsole } from './pty.js';

let dir: string;
const opened: ConsoleTerminal[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-tty-'));
});

afterEach(async () => {
  for (const terminal of opened.splice(0)) terminal.stop();
  await rm(dir, { recursive: true, force: true });
});

async function open(args: readonly string[] = []): Promise<ConsoleTerminal> {
  const terminal = await startConsole({ cwd: dir, args: ['--data-dir', 'state', ...args] });
  opened.push(terminal);
  return terminal;
}

/** A terminal sends a pasted line break as Enter (CR), inside the paste markers. */
function paste(text: string): string {
  return `${KEY.pasteStart}${text.replace(/\n/g, '\r')}${KEY.pasteEnd}`;
}

const DOCUMENT =
  '[metadata]\nname = "Pasted"\nversion = "3.0.0"\n\n[[roles]]\nname = "Ops"\nprivileges = ["read"]\n';

describe('pasting into the console', () => {
  it('loads a pasted multi-line document as one document, not line by line', async () => {
    const terminal = await open();
    const shown = await send(terminal, paste(DOCUMENT));
    expect(shown).toBe(
      `${PROMPT}/load (pasted document, 7 lines)\nLoaded the pasted TOML ("Pasted", 2 sections) · v1`,
    );
    expect(await command(terminal, '/show metadata')).toMatch(/version = "3\.0\.0"/);
  });

  it('runs pasted commands in order, each shown after a prompt', async () => {
    const terminal = await open();
    const shown = await send(terminal, paste('/create name="P"\n/add roles name="A" privileges=["read"]\n'));
    expect(shown.split('\n')).toEqual([
      `${PROMPT}/create name="P"`,
      'Created "P" · v1',
      `${PROMPT}/add roles name="A" privileges=["read"]`,
      'Added roles[A] · v2',
    ]);
  });

  it('puts a pasted single line on the prompt to edit, without running it', async () => {
    const terminal = await open();
    const from = terminal.raw().length;
    terminal.type(paste('/create name="Edited"'));
    await terminal.waitFor(/\/create name="Edited"$/, from);
    terminal.type('\u0008\u0008X"');
    expect(await send(terminal, KEY.enter)).toMatch(/Created "EditeX" · v1$/);
  });
});

describe('/load with no argument', () => {
  it('reads the document up to a line with only "."', async () => {
    const terminal = await open();
    const asked = await send(terminal, `/load${KEY.enter}`, '... ');
    expect(asked).toBe(
      `${PROMPT}/load\nPaste or type the TOML document, then a line with only "." (Ctrl-C drops it).`,
    );
    for (const line of DOCUMENT.split('\n')) await send(terminal, `${line}${KEY.enter}`, '... ');
    expect(await send(terminal, `.${KEY.enter}`)).toBe(
      '... .\nLoaded the pasted TOML ("Pasted", 2 sections) · v1',
    );
  });

  it('takes a bracketed paste as part of the document, and Ctrl-C drops the document', async () => {
    const terminal = await open();
    await command(terminal, '/create name="Kept"');
    await send(terminal, `/load${KEY.enter}`, '... ');
    await send(terminal, paste('[metadata]\nname = "Dropped"\n'), '... ');
    expect(await send(terminal, KEY.ctrlC)).toMatch(/\^C\nThe document was dropped; nothing was loaded\.$/);
    expect(await command(terminal, '/show metadata')).toMatch(/name = "Kept"/);
    await send(terminal, `/load${KEY.enter}`, '... ');
    await send(terminal, paste(`${DOCUMENT}.\n`));
    expect(await command(terminal, '/show metadata')).toMatch(/name = "Pasted"/);
  });
});

describe('Ctrl-C and Ctrl-D', () => {
  it('Ctrl-C clears a half-typed line without running it', async () => {
    const terminal = await open();
    const from = terminal.raw().length;
    terminal.type('/create name="Never"');
    await terminal.waitFor(/"Never"$/, from);
    expect(await send(terminal, KEY.ctrlC)).toBe(`${PROMPT}/create name="Never"^C`);
    expect(await command(terminal, '/show')).toMatch(/no draft yet/);
  });

  it('Ctrl-C leaves only when pressed twice in a row on an empty line', async () => {
    const terminal = await open();
    expect(await send(terminal, KEY.ctrlC)).toBe(
      `${PROMPT}^C\n(To leave, press Ctrl-C again or Ctrl-D, or type /exit.)`,
    );
    // Any other key in between starts the count again.
    const from = terminal.raw().length;
    terminal.type('x');
    await terminal.waitFor(/x$/, from);
    await send(terminal, KEY.ctrlC);
    await send(terminal, KEY.ctrlC);
    terminal.type(KEY.ctrlC);
    expect(await terminal.exited).toBe(0);
    expect(
      screen(terminal.raw()).endsWith(
        `${PROMPT}^C\n(To leave, press Ctrl-C again or Ctrl-D, or type /exit.)\n${PROMPT}\n`,
      ),
    ).toBe(true);
  });

  it('Ctrl-D leaves, and the shell gets a fresh line', async () => {
    const terminal = await open();
    await command(terminal, '/create name="Bye"');
    terminal.type(KEY.ctrlD);
    expect(await terminal.exited).toBe(0);
    expect(screen(terminal.raw()).endsWith(`Created "Bye" · v1\n${PROMPT}\n`)).toBe(true);
  });
});

describe('Tab completion', () => {
  it('completes field names after /add SECTION', async () => {
    const terminal = await open();
    await command(terminal, '/create name="Tabs"');
    const from = terminal.raw().length;
    terminal.type('/add roles ');
    await terminal.waitFor(/\/add roles $/, from);
    // readline completes only on a Tab that ends what it read at once (a Tab inside pasted text
    // is text), so each goes on its own; should the two arrive together, the first is a literal
    // tab and the second still lists, so the line is cleared (Ctrl-U) before going on.
    terminal.type(KEY.tab);
    terminal.type(KEY.tab);
    const listed = await terminal.waitFor(/privileges=[\s\S]*\n\S*aitws:local> \/add roles\s*$/, from);
    expect(listed).toMatch(/\bname=/);
    expect(listed).toMatch(/\bdescription=/);
    terminal.type(KEY.ctrlU);
    await terminal.waitFor(/\naitws:local> $/, from);
    terminal.type(`/add roles name="Ops" pri${KEY.tab}`);
    await terminal.waitFor(/\/add roles name="Ops" privileges=$/, from);
    expect(await send(terminal, `["read"]${KEY.enter}`)).toMatch(/Added roles\[Ops\] · v2$/);
  });

  it('completes paths after /load and /save, and topics after /help', async () => {
    await mkdir(path.join(dir, 'flows'));
    await writeFile(path.join(dir, 'flows', 'main.toml'), '[metadata]\nname = "From a file"\n');
    const terminal = await open();
    const from = terminal.raw().length;
    terminal.type(`/load fl${KEY.tab}`);
    await terminal.waitFor(/\/load flows\/$/, from);
    terminal.type(KEY.tab);
    await terminal.waitFor(/\/load flows\/main\.toml$/, from);
    expect(await send(terminal, KEY.enter)).toMatch(/Loaded flows\/main\.toml \("From a file"/);
    terminal.type(`/save fl${KEY.tab}`);
    await terminal.waitFor(/\/save flows\/$/, from);
    expect(await send(terminal, `copy.toml${KEY.enter}`)).toMatch(/to flows\/copy\.toml/);
    expect((await stat(path.join(dir, 'flows', 'copy.toml'))).isFile()).toBe(true);
    terminal.type(`/help cre${KEY.tab}`);
    await terminal.waitFor(/\/help create$/, from);
    expect(await send(terminal, KEY.enter)).toMatch(/\n\/create \[name="…"\]/);
  });
});

describe('line history', () => {
  it('persists across restarts in the data dir, owner-only, without secrets or document lines', async () => {
    const first = await open();
    await command(first, '/create name="Hist"');
    await command(
      first,
      '/add external_services name="DB" type="postgres" url="postgres://u:hunter2pass@db/x"',
    );
    await send(first, `/load${KEY.enter}`, '... ');
    await send(first, `[metadata]${KEY.enter}`, '... ');
    await send(first, `.${KEY.enter}`);
    await command(first, '/show metadata');
    first.type(KEY.ctrlD);
    expect(await first.exited).toBe(0);

    const file = path.join(dir, 'state', 'console_history');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe('/create name="Hist"\n/load\n/show metadata\n');

    const second = await open();
    const from = second.raw().length;
    second.type(KEY.up);
    await second.waitFor(/aitws:local> \/show metadata$/, from);
    second.type(`${KEY.up}${KEY.up}`);
    await second.waitFor(/aitws:local> \/create name="Hist"$/, from);
  });
});
