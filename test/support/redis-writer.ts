/**
 * Session-test helpers shared by in-process tests and the child-process writer below.
 *
 * Run as a child (`node --import tsx test/support/redis-writer.ts <url> <prefix> <label> <count>`):
 * starts `count` concurrent applyChange calls on one channel, each adding the distinct item
 * `<label>-<i>`, then prints one JSON line `{ "written": n, "attempts": n }` and exits.
 */
import { pathToFileURL } from 'node:url';
import { applyChange, type Mutate } from '../../src/session/apply.js';
import type { ChannelKey } from '../../src/session/port.js';
import { closeRedisClient, createRedisClient } from '../../src/session/redis-client.js';
import { RedisSessionStore } from '../../src/session/redis-store.js';
import type { AitwsDocument, TomlTable } from '../../src/document/types.js';

export const STORM_CHANNEL: ChannelKey = { platform: 'console', workspace: 'storm', channel: 'shared' };

/** The `items` table of a test document: one key per change that landed. */
export function itemsOf(document: AitwsDocument | null): TomlTable {
  const items = document?.items;
  if (typeof items !== 'object' || items === null || Array.isArray(items) || items instanceof Date) return {};
  return items;
}

/** A mutation adding one distinct item, so every landed change is visible in the document. */
export function addItem(name: string): Mutate<string> {
  return (current) => ({
    document: { ...current.document, items: { ...itemsOf(current.document), [name]: current.version + 1 } },
    change: `add ${name}`,
    by: name,
    result: name,
  });
}

async function main(args: readonly string[]): Promise<void> {
  const [url, prefix, label, count] = args;
  if (url === undefined || prefix === undefined || label === undefined || count === undefined) {
    throw new Error('usage: redis-writer.ts <url> <prefix> <label> <count>');
  }
  const client = createRedisClient(url, { commandTimeoutMs: 5000 });
  const store = new RedisSessionStore(client, { prefix, historyLimit: 1000, commandTimeoutMs: 5000 });
  try {
    const results = await Promise.all(
      Array.from({ length: Number(count) }, (_, index) =>
        applyChange(store, STORM_CHANNEL, addItem(`${label}-${index}`), {
          maxAttempts: 10_000,
          maxDelayMs: 50,
        }),
      ),
    );
    const attempts = results.reduce((sum, result) => sum + result.attempts, 0);
    process.stdout.write(`${JSON.stringify({ written: results.length, attempts })}\n`);
  } finally {
    await store.close();
    await closeRedisClient(client);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
