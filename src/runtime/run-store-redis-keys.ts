/**
 * Every Redis key the run store touches, and its Lua scripts (src/session/lua/run-*.lua).
 *
 *   <prefix>:{run:<id>}:record    hash: fixed, change (JSON), revision, state, updated, channel, wid
 *   <prefix>:{run:<id>}:steps     hash: step key -> step JSON
 *   <prefix>:{run:<id>}:order     list: step keys in the order first recorded
 *   <prefix>:{run:<id>}:memos     hash: step key -> {"revision","wid","value"}
 *   <prefix>:{runs:<platform>:<workspace>:<channel>}:runs   sorted set: run id by createdAt (ms)
 *   <prefix>:{runs}:retention     sorted set: every run id, scored no later than it may be removed
 *   <prefix>:{runs}:active        sorted set: run ids not (known to be) final, by createdAt (ms)
 *
 * One run's keys share one hash tag, so each script touches a single Cluster slot. The indexes
 * live in their own slots and are hints (see run-store-redis.ts). Components go through
 * encodeComponent, so no id or channel can end a hash tag early or collide with another.
 */

import type { ChannelKey } from '../session/port.js';
import { createRedisKeys, encodeComponent } from '../session/redis-keys.js';
import { loadScript } from '../session/redis-scripts.js';

export interface RunKeys {
  readonly record: string;
  readonly steps: string;
  readonly order: string;
  readonly memos: string;
}

export interface RunStoreKeys {
  run(id: string): RunKeys;
  channel(channel: ChannelKey): string;
  readonly retention: string;
  readonly active: string;
}

export function createRunKeys(prefix: string): RunStoreKeys {
  // Validates the prefix exactly as the session store does (no braces, no spaces).
  createRedisKeys(prefix);
  const key = (parts: readonly string[], suffix: string): string =>
    `${prefix}:{${parts.map(encodeComponent).join(':')}}:${suffix}`;
  return {
    run: (id) => ({
      record: key(['run', id], 'record'),
      steps: key(['run', id], 'steps'),
      order: key(['run', id], 'order'),
      memos: key(['run', id], 'memos'),
    }),
    channel: ({ platform, workspace, channel }) => key(['runs', platform, workspace, channel], 'runs'),
    retention: key(['runs'], 'retention'),
    active: key(['runs'], 'active'),
  };
}

/** KEYS: record. Stores a new run at revision 1. */
export const RUN_CREATE = loadScript('run-create', 1);
/** KEYS: record. Compare-and-set on the revision, with the transition check. */
export const RUN_UPDATE = loadScript('run-update', 1);
/** KEYS: record, steps, order. Journals a step (the final-step rule, attempt counting). */
export const RUN_STEP = loadScript('run-step', 3);
/** KEYS: steps, order. The whole journal in order. */
export const RUN_STEPS = loadScript('run-steps', 2);
/** KEYS: record, memos. Compare-and-set on a step memo's revision. */
export const RUN_MEMO = loadScript('run-memo', 2);
/** KEYS: record, steps, order, memos. Removes a run finished before a cutoff. */
export const RUN_REMOVE = loadScript('run-remove', 4);
