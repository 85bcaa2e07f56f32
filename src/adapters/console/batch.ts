/**
 * The console with standard input not a terminal: one command per line, in order, until the end
 * of input or /exit. A bare /load takes the lines after it, up to a line with only `.`, as the
 * document. With --json, one JSON object per command (a /load block is one command).
 */
import { createInterface } from 'node:readline';
import type { Reply } from '../../commands/reply.js';
import { renderPlain } from '../../commands/reply.js';
import { jsonLineSafe } from '../../document/inert-text.js';
import { type ConsoleOptions, EXIT_COMMAND_FAILED, handleLine, isExit, loadPasted } from './options.js';
import { PastedDocument, unterminatedDocument } from './pasted-document.js';
import { renderForConsole } from './render.js';

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

/** Prints each answer and remembers whether any command failed. */
class Transcript {
  failed = false;

  constructor(private readonly options: ConsoleOptions) {}

  print(command: string, reply: Reply | undefined): void {
    if (reply !== undefined && !reply.ok) this.failed = true;
    const { output, json } = this.options;
    if (json) output.write(`${jsonLine(command, reply)}\n`);
    else if (reply !== undefined) output.write(`${renderForConsole(reply, false)}\n`);
    this.options.runMessages?.release();
  }
}

async function loadDocument(options: ConsoleOptions, document: PastedDocument): Promise<Reply> {
  const result = document.result();
  return 'refused' in result ? result.refused : loadPasted(options, result.text);
}

/** Resolves with the exit status: 1 when a command failed (unless --exit-zero), else 0. */
export async function runBatch(options: ConsoleOptions): Promise<number> {
  const lines = createInterface({
    input: options.input,
    crlfDelay: Number.POSITIVE_INFINITY,
    terminal: false,
  });
  const transcript = new Transcript(options);
  let document: PastedDocument | undefined;
  for await (const line of lines) {
    if (document !== undefined) {
      if (!document.add(line)) continue;
      transcript.print('/load', await loadDocument(options, document));
      document = undefined;
    } else if (isExit(line)) {
      transcript.print(line, undefined);
      break;
    } else {
      const reply = await handleLine(options, line);
      if (reply?.form === 'document') document = new PastedDocument(options.maxDocumentBytes);
      else transcript.print(line, reply);
    }
  }
  if (document !== undefined) transcript.print('/load', unterminatedDocument());
  await options.settle?.();
  return transcript.failed && !options.exitZero ? EXIT_COMMAND_FAILED : 0;
}
