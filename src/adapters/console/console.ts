/**
 * The local console chat. In a terminal: an interactive prompt with line editing, history, Tab
 * completion and colour (interactive.ts). Piped: one command per line, processed in order, exit
 * at EOF, non-zero when a command failed; with --json exactly one JSON object per command, for
 * scripts (batch.ts).
 */
import { runBatch } from './batch.js';
import { runInteractive } from './interactive.js';
import type { ConsoleOptions } from './options.js';

export { completeLine } from './complete.js';
export type { ConsoleOptions } from './options.js';

/** Resolves with the process exit code. */
export function runConsole(options: ConsoleOptions): Promise<number> {
  return options.interactive && !options.json ? runInteractive(options) : runBatch(options);
}
