/**
 * The local console chat. In a terminal: an interactive prompt with line editing, history and
 * colour. Piped: one command per line, processed in order, exit at EOF. With --json: exactly one
 * JSON object per input line, for scripts.
 */
import { createInterface } from 'node:readline';
import type { Dispatcher } from '../../commands/dispatch.js';
import type { Reply } from '../../commands/reply.js';
import { renderPlain } from '../../commands/reply.js';
import type { Actor } from '../../commands/types.js';
import { jsonLineSafe } from '../../document/inert-text.js';
import { sectionNames } from '../../document/sections.js';
import type { ChannelKey } from '../../session/port.js';
import { renderForConsole } from './render.js';

export interface ConsoleOptions {
  readonly dispatcher: Dispatcher;
  readonly channel: ChannelKey;
  readonly actor: Actor;
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly json: boolean;
  readonly interactive: boolean;
}

const EXIT_WORDS = new Set(['/exit', '/quit', 'exit', 'quit']);

function isSkippable(line: string): boolean {
  const trimmed = line.trim();
  return trimmed.length === 0 || trimmed.startsWith('#');
}

function jsonLine(command: string, reply: Reply | undefined): string {
  if (reply === undefined) return jsonLineSafe(JSON.stringify({ command, ok: true, text: '', warnings: [] }));
  const record: Record<string, unknown> = {
    command,
    ok: reply.ok,
    text: renderPlain(reply),
    warnings: reply.warnings,
  };
  if (reply.data !== undefined) record.data = reply.data;
  if (reply.attachments.length > 0) record.attachments = reply.attachments;
  return jsonLineSafe(JSON.stringify(record));
}

async function handleLine(options: ConsoleOptions, line: string): Promise<Reply | undefined> {
  if (isSkippable(line)) return undefined;
  return options.dispatcher.handle({ text: line, actor: options.actor, channel: options.channel });
}

async function runBatch(options: ConsoleOptions): Promise<number> {
  const lines = createInterface({
    input: options.input,
    crlfDelay: Number.POSITIVE_INFINITY,
    terminal: false,
  });
  for await (const line of lines) {
    const reply = await handleLine(options, line);
    if (options.json) options.output.write(`${jsonLine(line, reply)}\n`);
    else if (reply !== undefined) options.output.write(`${renderForConsole(reply, false)}\n`);
  }
  // A failed command is a reply, not a crash: the session goes on and so does the exit code.
  return 0;
}

const SECTION_COMMANDS = new Set(['add', 'remove', 'show', 'help']);

/** Tab completion: command names first, then section names for the commands that take one. */
export function completeLine(line: string, commandNames: readonly string[]): [string[], string] {
  const words = line.split(/\s+/);
  const current = words.at(-1) ?? '';
  if (words.length <= 1) {
    const typed = current.startsWith('/') ? current : `/${current}`;
    return [commandNames.map((name) => `/${name}`).filter((name) => name.startsWith(typed)), current];
  }
  const command = (words[0] ?? '').replace(/^\//, '');
  if (words.length === 2 && SECTION_COMMANDS.has(command)) {
    return [[...sectionNames(), 'stages.actions'].filter((name) => name.startsWith(current)), current];
  }
  return [[], current];
}

async function runInteractive(options: ConsoleOptions): Promise<number> {
  const { channel, actor } = options;
  const prompt = `\u001b[36maitws\u001b[0m:${channel.channel}> `;
  const names = options.dispatcher.commands.map((command) => command.name);
  const rl = createInterface({
    input: options.input,
    output: options.output,
    terminal: true,
    historySize: 500,
    prompt,
    completer: (line: string) => completeLine(line, names),
  });
  options.output.write(
    `aitws console — channel "${channel.channel}" as ${actor.name}. Type /help for commands, /exit to leave.\n`,
  );
  rl.prompt();
  for await (const line of rl) {
    if (EXIT_WORDS.has(line.trim())) break;
    const reply = await handleLine(options, line);
    if (reply !== undefined) options.output.write(`${renderForConsole(reply, true)}\n`);
    rl.prompt();
  }
  rl.close();
  return 0;
}

/** Resolves with the process exit code. */
export function runConsole(options: ConsoleOptions): Promise<number> {
  return options.interactive && !options.json ? runInteractive(options) : runBatch(options);
}
