/**
 * The console in a terminal: readline with history (kept in the data dir), Tab completion and
 * colour, replies wrapped at the terminal's width. Ctrl-C clears a half-typed line and leaves only
 * when pressed twice on an empty one; Ctrl-D leaves. A TOML document pasted at the prompt (or
 * typed after a bare /load, up to a `.` line) is loaded as one document.
 */
import { once } from 'node:events';
import { createInterface, type Interface, type Key } from 'node:readline';
import type { Reply } from '../../commands/reply.js';
import { inert } from '../../document/inert-text.js';
import { paint } from './ansi.js';
import { createCompleter } from './complete.js';
import { HISTORY_SIZE, type HistoryFile, openHistoryFile } from './history-file.js';
import { type ConsoleOptions, handleLine, isExit, loadPasted } from './options.js';
import { classifyPaste, PastedDocument, pastedLines } from './pasted-document.js';
import { renderForConsole } from './render.js';
import {
  BRACKETED_PASTE_OFF,
  BRACKETED_PASTE_ON,
  createTerminalInput,
  type TerminalInput,
} from './terminal-input.js';

/** The prompt while a document is being typed after a bare /load. */
const CONTINUATION = '... ';
const DEFAULT_COLUMNS = 80;

/** Text inserted into the line being typed: control characters would act as keys or on the screen. */
function insertable(lines: readonly string[]): string {
  return lines.join(' ').replace(/(?!\t)\p{Cc}/gu, '');
}

class InteractiveConsole {
  private readonly rl: Interface;
  private readonly terminal: TerminalInput;
  private readonly prompt: string;
  private queue: Promise<void> = Promise.resolve();
  /** Tasks queued or running: the prompt is drawn only when none is left. */
  private pending = 0;
  /** Set while the lines after a bare /load are collected. */
  private document: PastedDocument | undefined;
  /** Ctrl-C was pressed on an empty line, and nothing since: a second one leaves. */
  private leaveOnInterrupt = false;
  private closed = false;
  private leftByCommand = false;

  constructor(
    private readonly options: ConsoleOptions,
    private readonly history: HistoryFile | undefined,
  ) {
    this.prompt = `${paint('aitws', 'cyan', options.colour)}:${inert(options.channel.channel)}> `;
    this.terminal = createTerminalInput(options.input, (text) => this.onPaste(text));
    this.rl = createInterface({
      input: this.terminal.stream,
      output: options.output,
      terminal: true,
      history: history?.entries ?? [],
      historySize: HISTORY_SIZE,
      removeHistoryDuplicates: true,
      prompt: this.prompt,
      completer: createCompleter(
        options.dispatcher.commands.map((command) => command.name),
        options.fileRoot,
      ),
    });
    this.rl.on('line', (line: string) => this.enqueue(() => this.onLine(line)));
    this.rl.on('SIGINT', () => this.onInterrupt());
    this.rl.on('history', (entries: string[]) => this.onHistory(entries));
    this.terminal.stream.on('keypress', (_text: string | undefined, key: Key | undefined) => {
      if (key?.ctrl !== true || key.name !== 'c') this.leaveOnInterrupt = false;
    });
  }

  async run(): Promise<number> {
    const { output } = this.options;
    const closed = once(this.rl, 'close');
    output.write(BRACKETED_PASTE_ON);
    try {
      this.rl.prompt();
      await closed;
      this.closed = true;
      await this.queue;
      // Ctrl-D and Ctrl-C leave at the prompt: the shell's prompt belongs on a line of its own.
      if (!this.leftByCommand) output.write('\n');
    } finally {
      output.write(BRACKETED_PASTE_OFF);
      this.terminal.close();
    }
    return 0;
  }

  private width(): number {
    const { columns } = this.options.output;
    if (columns !== undefined && columns > 0) return columns;
    return this.options.fallbackColumns ?? DEFAULT_COLUMNS;
  }

  private print(reply: Reply): void {
    this.options.output.write(`${renderForConsole(reply, this.options.colour, this.width())}\n`);
    this.options.runMessages?.release();
  }

  private say(text: string): void {
    this.options.output.write(`${paint(text, 'dim', this.options.colour)}\n`);
  }

  /** Commands run one at a time, in the order they came, whether typed, pasted or queued. */
  private enqueue(task: () => Promise<void>): void {
    this.pending += 1;
    this.queue = this.queue
      .then(task)
      .catch((error: unknown) => {
        this.options.output.write(`✖ ${inert(error instanceof Error ? error.message : String(error))}\n`);
      })
      .then(() => {
        this.pending -= 1;
        this.showPrompt();
      });
  }

  /** Only when nothing is queued: a prompt drawn before a reply would have it printed after it. */
  private showPrompt(): void {
    if (this.closed || this.pending > 0) return;
    this.rl.setPrompt(this.document === undefined ? this.prompt : CONTINUATION);
    this.rl.prompt(true);
  }

  private async onLine(line: string): Promise<void> {
    if (this.document !== undefined) {
      const document = this.document;
      if (document.add(line)) {
        this.document = undefined;
        await this.loadDocument(document);
      }
      return;
    }
    if (isExit(line)) {
      this.leftByCommand = true;
      this.rl.close();
      return;
    }
    const reply = await handleLine(this.options, line);
    if (reply?.form === 'document') {
      this.document = new PastedDocument(this.options.maxDocumentBytes);
      this.say('Paste or type the TOML document, then a line with only "." (Ctrl-C drops it).');
    } else if (reply !== undefined) this.print(reply);
  }

  private async loadDocument(document: PastedDocument): Promise<void> {
    const result = document.result();
    this.print('refused' in result ? result.refused : await loadPasted(this.options, result.text));
  }

  /** Lines of the document typed after /load are not commands to recall with the up arrow. */
  private onHistory(entries: string[]): void {
    if (this.document !== undefined) entries.shift();
    this.history?.save(entries);
  }

  /** Leaves what was typed on screen, marked ^C, and empties readline's line. */
  private abandonLine(): void {
    const typed = this.rl.line;
    this.clearLine();
    this.options.output.write(`${inert(typed)}^C\n`);
  }

  private clearLine(): void {
    this.rl.write(null, { ctrl: true, name: 'e' });
    this.rl.write(null, { ctrl: true, name: 'u' });
  }

  /** As node's REPL: clear the line; on an empty one, say how to leave; a second time, leave. */
  private onInterrupt(): void {
    if (this.document !== undefined) {
      this.document = undefined;
      this.abandonLine();
      this.say('The document was dropped; nothing was loaded.');
    } else if (this.rl.line !== '') {
      this.abandonLine();
    } else if (this.leaveOnInterrupt) {
      this.rl.close();
      return;
    } else {
      this.leaveOnInterrupt = true;
      this.abandonLine();
      this.say('(To leave, press Ctrl-C again or Ctrl-D, or type /exit.)');
    }
    this.showPrompt();
  }

  /**
   * One line pasted goes into the line being typed, to be edited or run with Enter. Several lines
   * are one input: a document to load, or commands to run in order. Pasted into a half-typed
   * command other than /load, they join that line instead.
   */
  private onPaste(text: string): void {
    const lines = pastedLines(text);
    const typed = this.rl.line;
    const startsInput = typed.trim() === '' || /^\/?load$/i.test(typed.trim());
    if (lines.length === 1 || (this.document === undefined && !startsInput)) {
      this.rl.write(insertable(lines));
      return;
    }
    this.clearLine();
    if (this.document !== undefined) {
      const [first = '', ...rest] = lines;
      this.enqueue(() => this.pastedIntoDocument([typed + first, ...rest]));
    } else this.enqueue(() => this.pastedBlock(lines));
  }

  private async pastedIntoDocument(lines: readonly string[]): Promise<void> {
    this.options.output.write(`(pasted ${lines.length} lines)\n`);
    for (const line of lines) await this.onLine(line);
  }

  private async pastedBlock(lines: readonly string[]): Promise<void> {
    const { output } = this.options;
    const paste = classifyPaste(lines);
    if (paste.kind === 'commands') {
      for (const [i, command] of paste.lines.entries()) {
        output.write(`${i > 0 ? this.prompt : ''}${inert(command)}\n`);
        await this.onLine(command);
        if (this.closed || this.leftByCommand) return;
      }
      return;
    }
    output.write(
      `/load ${paint(`(pasted document, ${paste.lines.length} lines)`, 'dim', this.options.colour)}\n`,
    );
    const document = new PastedDocument(this.options.maxDocumentBytes);
    for (const line of paste.lines) document.append(line);
    await this.loadDocument(document);
  }
}

/** Resolves with the exit status (0: leaving a terminal session is never a failure). */
export function runInteractive(options: ConsoleOptions): Promise<number> {
  const { output, channel, actor } = options;
  output.write(
    `aitws console — channel "${inert(channel.channel)}" as ${inert(actor.name)}. Type /help for commands; /exit or Ctrl-D leaves.\n`,
  );
  const history =
    options.historyFile === undefined
      ? undefined
      : openHistoryFile(options.historyFile, (message) =>
          output.write(`${paint(`⚠ ${message}`, 'yellow', options.colour)}\n`),
        );
  return new InteractiveConsole(options, history).run();
}
