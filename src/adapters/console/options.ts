/** What both console modes (interactive and piped) are given, and what they do with a line. */
import type { Dispatcher } from '../../commands/dispatch.js';
import type { Reply } from '../../commands/reply.js';
import type { Actor } from '../../commands/types.js';
import type { ChannelKey } from '../../session/port.js';
import { PASTED_LABEL } from './pasted-document.js';

export interface ConsoleOptions {
  readonly dispatcher: Dispatcher;
  readonly channel: ChannelKey;
  readonly actor: Actor;
  readonly input: NodeJS.ReadableStream;
  /** A terminal's `columns` (0 when it does not say) sets where replies wrap. */
  readonly output: NodeJS.WritableStream & { readonly columns?: number };
  readonly json: boolean;
  readonly interactive: boolean;
  /** ANSI colour in the interactive console; off with --no-color or NO_COLOR. */
  readonly colour: boolean;
  /** Piped: exit 0 even when a command failed, as before (--exit-zero). */
  readonly exitZero: boolean;
  /** Largest document a bare /load collects. */
  readonly maxDocumentBytes: number;
  /** Where Tab looks for files after /load and /save: the directory those paths are relative to. */
  readonly fileRoot?: string;
  /** Interactive line history on disk; none when undefined. */
  readonly historyFile?: string;
  /** Width when the terminal reports none (COLUMNS); 80 otherwise. */
  readonly fallbackColumns?: number;
  /** Piped, at the end of input: resolves once the runs under way are finished or wait on people. */
  readonly settle?: () => Promise<void>;
  /** Runs' messages, held while a command is answered and printed after its reply. */
  readonly runMessages?: { hold(): void; release(): void };
}

/** Piped: the status when any command failed, so `set -e` and CI steps stop. */
export const EXIT_COMMAND_FAILED = 1;

const EXIT_WORDS = new Set(['/exit', '/quit', 'exit', 'quit']);

export function isExit(line: string): boolean {
  return EXIT_WORDS.has(line.trim().toLowerCase());
}

function isSkippable(line: string): boolean {
  const trimmed = line.trim();
  return trimmed.length === 0 || trimmed.startsWith('#');
}

/**
 * One command through the core; undefined for a blank line or a comment. The console can take a
 * document after a bare /load (see pasted-document.ts), so it says so and the core answers with
 * `form: 'document'`.
 */
export async function handleLine(options: ConsoleOptions, line: string): Promise<Reply | undefined> {
  if (isSkippable(line)) return undefined;
  options.runMessages?.hold();
  return options.dispatcher.handle({
    text: line,
    actor: options.actor,
    channel: options.channel,
    supportsDocumentForm: true,
  });
}

/** /load with the pasted document as its content, as Slack's form submits it. */
export function loadPasted(options: ConsoleOptions, text: string): Promise<Reply> {
  return options.dispatcher.handle({
    text: '/load',
    actor: options.actor,
    channel: options.channel,
    content: { filename: PASTED_LABEL, text },
  });
}
