/**
 * `aitws feedback export [--output FILE]`: every rating of an AI output as JSON Lines, for
 * fine-tuning elsewhere. Reads the same store the bot writes (REDIS_URL, else the data directory);
 * nothing is changed.
 *
 * Each line holds the rating (channel, workflow, run, action, rating, note, prompt, output, by,
 * at); a good one also carries `messages`, the user/assistant pair chat fine-tuning tools take, so
 * `jq -c 'select(.messages) | {messages}'` turns the export into a training file.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Config, loadConfig } from '../config.js';
import { AitwsError, StorageUnavailableError } from '../errors.js';
import type { Output } from '../output.js';
import { FileFeedbackStore } from '../runtime/ai/feedback-store-file.js';
import { RedisFeedbackStore } from '../runtime/ai/feedback-store-redis.js';
import type { FeedbackEntry, FeedbackStore, WorkflowScope } from '../runtime/ai/stores.js';
import { closeRedisClient, createRedisClient } from '../session/redis-client.js';
import { type Environment, stdio } from './subcommand.js';
import { EXIT_UNREADABLE } from './validate-files.js';

export const FEEDBACK_USAGE = `  feedback export [--output FILE] [--data-dir DIR]
                                  every rating of an AI output as JSON Lines (stdout, or FILE),
                                  good ones with fine-tuning messages`;

/** One exported line. */
export function exportLine(entry: FeedbackEntry & WorkflowScope): Record<string, unknown> {
  return {
    channel: entry.channel,
    workflow: entry.workflow,
    run: entry.run,
    action: entry.action,
    rating: entry.rating,
    note: entry.note ?? null,
    prompt: entry.prompt,
    output: entry.output,
    by: entry.by,
    at: entry.at,
    ...(entry.rating === 'good'
      ? {
          messages: [
            { role: 'user', content: entry.prompt },
            { role: 'assistant', content: entry.output },
          ],
        }
      : {}),
  };
}

interface OpenedStore {
  readonly store: FeedbackStore;
  close(): Promise<void>;
}

function openStore(config: Config, dataDir: string | undefined): OpenedStore {
  if (config.redisUrl === undefined) {
    const store = new FileFeedbackStore({ dataDir: path.resolve(dataDir ?? config.dataDir) });
    return { store, close: async () => {} };
  }
  const client = createRedisClient(config.redisUrl, {
    commandTimeoutMs: config.redisTimeoutMs,
    connectionName: 'aitws-feedback-export',
  });
  const store = new RedisFeedbackStore(client, {
    prefix: config.redisPrefix,
    commandTimeoutMs: config.redisTimeoutMs,
  });
  return { store, close: () => closeRedisClient(client) };
}

/** Where the lines go: the output's stdout, or FILE (owner-only: prompts may hold private data). */
async function sinkFor(
  file: string | undefined,
  io: Output,
): Promise<{ write(line: string): Promise<void>; close(): Promise<void> }> {
  if (file === undefined) return { write: async (line) => io.out(line), close: async () => {} };
  const handle = await open(path.resolve(file), 'w', 0o600).catch((error: unknown) => {
    throw new StorageUnavailableError(
      `Could not write ${file}: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  });
  return {
    write: async (line) => {
      await handle.write(`${line}\n`);
    },
    close: () => handle.close(),
  };
}

/** `io` is where the lines and messages go; the CLI passes the process's streams. */
export async function feedbackCommand(
  args: readonly string[],
  env: Environment,
  io: Output = stdio,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { output: { type: 'string' }, 'data-dir': { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1 || positionals[0] !== 'export') {
    io.err(
      `aitws feedback: say what to do, e.g. aitws feedback export --output ratings.jsonl\n\n${FEEDBACK_USAGE}`,
    );
    return EXIT_UNREADABLE;
  }
  if (values.output === '') throw new AitwsError('USAGE', '--output needs a file name.');
  const config = loadConfig(env, ['storage']);
  const { store, close } = openStore(config, values['data-dir']);
  try {
    const sink = await sinkFor(values.output, io);
    let count = 0;
    try {
      for await (const entry of store.all()) {
        await sink.write(JSON.stringify(exportLine(entry)));
        count += 1;
      }
    } finally {
      await sink.close();
    }
    if (values.output !== undefined)
      io.err(`Wrote ${count} rating${count === 1 ? '' : 's'} to ${values.output}.`);
    return 0;
  } finally {
    await close();
  }
}
