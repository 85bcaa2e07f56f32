/**
 * RedisRunStore's retention: walks the retention index (every run, scored no later than it may be
 * removed) below the cutoff and lets run-remove.lua decide each run inside its own slot.
 *
 *   removed  the run's keys are gone; its index entries are dropped (best effort: list skips a
 *            missing run, and the next pass drops a retention entry whose run is gone)
 *   young    finished, but later than its score said (a lost re-score): scored again, it leaves
 *            the range and is met again when it is due
 *   active   not finished (queued, running, or retried after failing): stays, is met next pass
 *   gone     no run: the entry is dropped. Entries below the cutoff are older than any create in
 *            flight (which indexes the run just before writing it), so none of those is lost.
 */
import { z } from 'zod';
import { channelKeySchema } from '../session/access-codec.js';
import { runScript } from '../session/redis-call.js';
import type { RedisClient } from '../session/redis-client.js';
import type { RunState } from './run-store.js';
import { RUN_REMOVE, type RunStoreKeys } from './run-store-redis-keys.js';

export interface RetentionPass {
  readonly client: RedisClient;
  readonly keys: RunStoreKeys;
  readonly cutoffMs: number;
  readonly finalStates: readonly RunState[];
  /** Sends one command within the store's time bound, translating failures. */
  call<T>(send: () => Promise<T>): Promise<T>;
}

const PAGE = 100;
const removeReply = z.union([
  z.tuple([z.enum(['removed', 'young']), z.string()]),
  z.tuple([z.enum(['active', 'gone'])]),
]);

/** Removes the runs finished before the cutoff; returns how many. */
export async function removeFinishedRuns(pass: RetentionPass): Promise<number> {
  if (!Number.isFinite(pass.cutoffMs)) return 0;
  const { retention } = pass.keys;
  let removed = 0;
  // Kept entries stay in the range, ahead of the rest: the next page starts after them.
  let kept = 0;
  for (;;) {
    const ids = await pass.call(() =>
      pass.client.zrangebyscore(retention, '-inf', `(${pass.cutoffMs}`, 'LIMIT', kept, PAGE),
    );
    const outcomes = await Promise.all(ids.map((id) => removeOne(pass, id)));
    removed += outcomes.filter((outcome) => outcome === 'removed').length;
    kept += outcomes.filter((outcome) => outcome === 'kept').length;
    if (ids.length < PAGE) return removed;
  }
}

async function removeOne(pass: RetentionPass, id: string): Promise<'removed' | 'kept' | 'left'> {
  const { client, keys } = pass;
  const run = keys.run(id);
  const raw = await pass.call(() =>
    runScript(
      client,
      RUN_REMOVE,
      [run.record, run.steps, run.order, run.memos],
      [pass.cutoffMs, pass.finalStates.join(' ')],
    ),
  );
  const parsed = removeReply.safeParse(raw);
  if (!parsed.success) throw new Error(`Unexpected reply from Redis script "${RUN_REMOVE.name}"`);
  const reply = parsed.data;
  switch (reply[0]) {
    case 'active':
      return 'kept';
    case 'young': {
      const score = Number(reply[1]);
      if (!Number.isFinite(score)) return 'kept';
      await pass.call(() => client.zadd(keys.retention, score, id));
      return 'left';
    }
    case 'gone':
      await pass.call(() => client.zrem(keys.retention, id));
      return 'left';
    case 'removed': {
      const channel = channelKeySchema.safeParse(parseJson(reply[1]));
      const indexes = [keys.retention, keys.active, ...(channel.success ? [keys.channel(channel.data)] : [])];
      await Promise.all(indexes.map((index) => pass.call(() => client.zrem(index, id)))).catch(
        () => undefined,
      );
      return 'removed';
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
