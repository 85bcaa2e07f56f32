/**
 * RedisRunStore's index readers: a channel's runs (newest first) and the unfinished runs. Each
 * index is a hint (see run-store-redis.ts), so every entry is checked against the run itself. An
 * entry whose run is missing is skipped but never dropped here: it may be a create in flight,
 * which indexes its run just before writing it.
 */
import { channelKeySchema } from '../session/access-codec.js';
import { parseStored } from '../session/codec.js';
import type { ChannelKey } from '../session/port.js';
import type { RedisClient } from '../session/redis-client.js';
import { assertLimit, isFinal, type ListOptions, type RunRecord, type RunState } from './run-store.js';
import { isRunState, sameChannel } from './run-store-codec.js';
import type { RunStoreKeys } from './run-store-redis-keys.js';

export interface IndexReader {
  readonly client: RedisClient;
  readonly keys: RunStoreKeys;
  /** Sends one command within the store's time bound, translating failures. */
  call<T>(send: () => Promise<T>): Promise<T>;
  read(id: string): Promise<RunRecord | null>;
}

const PAGE = 50;

export async function listChannel(
  reader: IndexReader,
  channel: ChannelKey,
  options: ListOptions,
): Promise<RunRecord[]> {
  assertLimit(options.limit);
  const index = reader.keys.channel(channel);
  const runs: RunRecord[] = [];
  for (let start = 0; runs.length < options.limit; start += PAGE) {
    const ids = await reader.call(() => reader.client.zrevrange(index, start, start + PAGE - 1));
    const page = await Promise.all(ids.map((id) => listed(reader, id, channel, options.states)));
    for (const run of page) if (run !== null && runs.length < options.limit) runs.push(run);
    if (ids.length < PAGE) break;
  }
  return runs;
}

/** One channel index entry: the run, or null when filtered out, another channel's, or gone. */
async function listed(
  reader: IndexReader,
  id: string,
  channel: ChannelKey,
  states: readonly RunState[] | undefined,
): Promise<RunRecord | null> {
  const { record } = reader.keys.run(id);
  const [state, stored] = await reader.call(() => reader.client.hmget(record, 'state', 'channel'));
  if (typeof state !== 'string' || !isRunState(state)) return null;
  if (states !== undefined && !states.includes(state)) return null;
  if (!sameChannel(parseStored(channelKeySchema, stored ?? '', record), channel)) return null;
  return reader.read(id);
}

export async function listUnfinished(reader: IndexReader, limit: number): Promise<string[]> {
  assertLimit(limit);
  const { active } = reader.keys;
  const ids: string[] = [];
  for (let start = 0; ids.length < limit; start += PAGE) {
    const page = await reader.call(() => reader.client.zrange(active, start, start + PAGE - 1));
    // A run whose removal from the set was lost is final by now: its own state decides.
    const states = await Promise.all(
      page.map((id) => reader.call(() => reader.client.hget(reader.keys.run(id).record, 'state'))),
    );
    for (const [at, id] of page.entries()) {
      const state = states[at];
      const unfinished = typeof state === 'string' && isRunState(state) && !isFinal(state);
      if (unfinished && ids.length < limit) ids.push(id);
    }
    if (page.length < PAGE) break;
  }
  return ids;
}
