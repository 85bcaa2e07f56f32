/**
 * Drives the real `bin/aitws.js console` through a pseudo-terminal, as a person at a keyboard:
 * util-linux `script` gives it a pty (so stdin and stdout are TTYs, raw mode and all) and copies
 * what we write to its stdin to the terminal as keystrokes. Waits are for output patterns, never
 * for fixed times.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { BIN } from '../support/paths.js';

/** Control keys as a terminal sends them. */
export const KEY = {
  ctrlC: '\u0003',
  ctrlD: '\u0004',
  ctrlU: '\u0015',
  tab: '\t',
  enter: '\r',
  up: '\u001b[A',
  pasteStart: '\u001b[200~',
  pasteEnd: '\u001b[201~',
} as const;

const ESC = String.fromCharCode(27);
/** The escape sequences a terminal interprets: CSI (with its parameters and final byte) and OSC. */
const ESCAPE = new RegExp(`${ESC}(?:\\[([0-9;?]*)[ -/]*([@-~])|\\][^\\u0007]*\\u0007)`, 'y');
/** Only the colour (SGR) sequences. */
export const SGR = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

/** A screen as far as these tests need one: rows of text and a cursor readline moves around. */
class Screen {
  readonly rows: string[] = [''];
  row = 0;
  column = 0;

  put(character: string): void {
    const line = (this.rows[this.row] ?? '').padEnd(this.column, ' ');
    this.rows[this.row] = line.slice(0, this.column) + character + line.slice(this.column + 1);
    this.column += 1;
  }

  newline(): void {
    this.row += 1;
    if (this.rows.length <= this.row) this.rows.push('');
  }

  /** Cursor moves and erasures; colours and modes change no text. */
  control(parameter: string, final: string): void {
    const n = Number(parameter.split(';')[0] || '1');
    const line = this.rows[this.row] ?? '';
    if (final === 'G') this.column = n - 1;
    else if (final === 'C') this.column += n;
    else if (final === 'D') this.column = Math.max(0, this.column - n);
    else if (final === 'A') this.row = Math.max(0, this.row - n);
    else if (final === 'B') this.row += n;
    else if (final === 'K') this.rows[this.row] = line.slice(0, this.column);
    else if (final === 'J') {
      this.rows[this.row] = line.slice(0, this.column);
      this.rows.length = this.row + 1;
    }
  }
}

function draw(raw: string): Screen {
  const view = new Screen();
  let at = 0;
  while (at < raw.length) {
    ESCAPE.lastIndex = at;
    const sequence = ESCAPE.exec(raw);
    if (sequence !== null) {
      if (sequence[2] !== undefined) view.control(sequence[1] ?? '', sequence[2]);
      at += sequence[0].length;
      continue;
    }
    const character = String.fromCodePoint(raw.codePointAt(at) ?? 0);
    if (character === '\r') view.column = 0;
    else if (character === '\n') view.newline();
    else view.put(character);
    at += character.length;
  }
  return view;
}

/**
 * The text a terminal would show after `raw`: cursor moves and erasures applied (readline redraws
 * its line with them), colours dropped, rows joined with newlines. With `from`, only the rows
 * from the one the cursor was on after `raw.slice(0, from)`.
 */
export function screen(raw: string, from = 0): string {
  const start = from === 0 ? 0 : draw(raw.slice(0, from)).row;
  return draw(raw).rows.slice(start).join('\n');
}

export interface ConsoleTerminal {
  /** Everything written to the terminal so far, escape sequences included. */
  readonly raw: () => string;
  /** Writes keystrokes. */
  type(keys: string): void;
  /**
   * Resolves with the screen's rows from the one the cursor was on at `from` (an offset in raw())
   * once they match `pattern`: `from` = raw().length before typing waits for what the keys caused.
   */
  waitFor(pattern: RegExp, from?: number): Promise<string>;
  /** Resolves with the exit status once the console has ended. */
  readonly exited: Promise<number | null>;
  /** Ends the terminal if the console is still running (a failed test). */
  stop(): void;
}

export interface TerminalOptions {
  readonly cwd: string;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  /** `stty cols`: the width the terminal reports; 0 leaves it unsized. */
  readonly columns?: number;
  readonly timeoutMs?: number;
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function commandLine(options: TerminalOptions): string {
  const columns = options.columns ?? 100;
  const size = columns > 0 ? `stty cols ${columns} rows 40 && ` : '';
  const args = ['console', ...(options.args ?? [])].map(shellQuote).join(' ');
  return `${size}exec ${shellQuote(process.execPath)} ${shellQuote(BIN)} ${args}`;
}

export function openConsole(options: TerminalOptions): ConsoleTerminal {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const child: ChildProcessWithoutNullStreams = spawn(
    'script',
    ['-qfec', commandLine(options), '/dev/null'],
    {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'xterm', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let raw = '';
  let closed = false;
  // Keys typed after the console ended have nowhere to go; the test's assertions say what matters.
  child.stdin.on('error', () => {});
  const watchers = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    raw += chunk;
    for (const watcher of watchers) watcher();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    raw += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      closed = true;
      for (const watcher of watchers) watcher();
      resolve(code);
    });
  });
  const waitFor = (pattern: RegExp, from = 0) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const shown = screen(raw, from);
        const match = pattern.exec(shown);
        if (match === null && !closed) return false;
        watchers.delete(check);
        clearTimeout(timer);
        if (match === null) reject(new Error(`console ended before ${pattern}; the screen shows:\n${shown}`));
        else resolve(shown);
        return true;
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; the screen shows:\n${screen(raw, from)}`));
      }, timeoutMs);
      if (!check()) watchers.add(check);
    });
  return {
    raw: () => raw,
    type: (keys) => child.stdin.write(keys),
    waitFor,
    exited,
    stop: () => {
      if (!closed) child.kill();
    },
  };
}

export const PROMPT = 'aitws:local> ';

/** Opens the console and waits for its first prompt. */
export async function startConsole(options: TerminalOptions): Promise<ConsoleTerminal> {
  const terminal = openConsole(options);
  await terminal.waitFor(/aitws:local> $/);
  return terminal;
}

/**
 * Types `keys` and waits until the console is back at an empty prompt; resolves with the screen's
 * rows from the one typed on (prompt included) up to that prompt (excluded).
 */
export async function send(terminal: ConsoleTerminal, keys: string, prompt = PROMPT): Promise<string> {
  const from = terminal.raw().length;
  const escaped = prompt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  terminal.type(keys);
  const shown = await terminal.waitFor(new RegExp(`\\n${escaped}$`), from);
  return shown.slice(0, -prompt.length - 1);
}

/** The reply to one command line typed at the prompt: the rows after the typed line, up to the next prompt. */
export async function command(terminal: ConsoleTerminal, line: string): Promise<string> {
  const shown = await send(terminal, `${line}${KEY.enter}`);
  const [echo, ...reply] = shown.split('\n');
  if (echo !== `${PROMPT}${line}`) throw new Error(`expected the typed line "${line}" echoed, saw "${echo}"`);
  return reply.join('\n');
}
