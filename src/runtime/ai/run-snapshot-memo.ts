/**
 * The stored side of run snapshots: reading and compare-and-set writing the `::snapshot` memo, and
 * a replay run's comparison with its original (see run-snapshot.ts).
 */
import { z } from 'zod';
import { AitwsError } from '../../errors.js';
import type { JsonObject, RunRecord, RunStore } from '../run-store.js';
import { canonicalJson } from './canonical.js';
import { REPLAY_MEMO_KEY, type ReplayMemo, replayMemoSchema, SNAPSHOT_MEMO_KEY } from './record.js';
import { type ExecutionSnapshot, MATCH_STATUSES, type MatchStatus } from './snapshot.js';
import { compareReplay, DEFAULT_SIMILARITY_THRESHOLD, recordReplay } from './snapshot-replay.js';

/** Compare-and-set rounds before giving up: each lost round means another writer just succeeded. */
const MAX_WRITE_ROUNDS = 20;

/** On a replay run's snapshot (a field the aiwg schema allows): what it replayed and how it matched. */
export interface ReplayOf {
  readonly run_id: string;
  readonly mode: ReplayMemo['mode'];
  readonly threshold?: number;
  readonly match_status: MatchStatus;
}

export type StoredSnapshot = ExecutionSnapshot & { readonly replay_of?: ReplayOf };

const matchStatus = z.enum(MATCH_STATUSES);

/** What the code relies on; the rest was written by buildSnapshot and is passed through as stored. */
const storedShape = z.object({
  snapshot_id: z.string(),
  run_id: z.string(),
  workflow_id: z.string(),
  outputs: z.object({ response: z.string().optional(), response_hash: z.string() }),
  replay_status: z.object({
    replayed: z.boolean(),
    replay_count: z.number().int(),
    match_status: matchStatus,
  }),
  replay_of: z.object({ run_id: z.string(), match_status: matchStatus }).optional(),
});

export function readStoredSnapshot(value: JsonObject): StoredSnapshot | undefined {
  if (!storedShape.safeParse(value).success) return undefined;
  return value as unknown as StoredSnapshot;
}

function jsonOf(snapshot: StoredSnapshot): JsonObject {
  return JSON.parse(JSON.stringify(snapshot)) as JsonObject;
}

/** Same run content: what differs only in identity, capture time or replay history is not a change. */
function sameContent(a: StoredSnapshot, b: StoredSnapshot): boolean {
  const content = ({ snapshot_id: _id, captured_at: _at, replay_status: _status, ...rest }: StoredSnapshot) =>
    canonicalJson(JSON.parse(JSON.stringify(rest)));
  return content(a) === content(b);
}

function conflict(runId: string): AitwsError {
  return new AitwsError('CONFLICT', `The snapshot of run ${runId} kept changing under this write.`, {
    hint: 'Try again.',
    retryable: true,
  });
}

/**
 * Stores `candidate` unless a snapshot of the same content is there already; a stored one keeps
 * its id and replay history. `written` says whether this call changed the memo.
 */
export async function writeSnapshotMemo(
  store: RunStore,
  runId: string,
  candidate: StoredSnapshot,
): Promise<{ snapshot: StoredSnapshot; written: boolean }> {
  for (let round = 0; round < MAX_WRITE_ROUNDS; round += 1) {
    const memo = await store.readStepMemo(runId, SNAPSHOT_MEMO_KEY);
    const stored = memo === null ? undefined : readStoredSnapshot(memo.value);
    if (stored !== undefined && sameContent(stored, candidate)) return { snapshot: stored, written: false };
    const next: StoredSnapshot =
      stored === undefined
        ? candidate
        : { ...candidate, snapshot_id: stored.snapshot_id, replay_status: stored.replay_status };
    if (await store.writeStepMemo(runId, SNAPSHOT_MEMO_KEY, memo?.revision ?? 0, jsonOf(next)))
      return { snapshot: next, written: true };
  }
  throw conflict(runId);
}

/**
 * cached: the recorded responses were served again, so anything but identical outputs is a
 * failure. live: semantic first; when the wording drifted too far, the same shape still counts as
 * a partial match (the schema's "some outputs differ").
 */
export function matchOf(
  original: ExecutionSnapshot,
  replayed: ExecutionSnapshot,
  memo: ReplayMemo,
): MatchStatus {
  if (memo.mode === 'cached') return compareReplay(original, replayed, 'exact');
  const threshold = memo.threshold ?? DEFAULT_SIMILARITY_THRESHOLD;
  const semantic = compareReplay(original, replayed, 'semantic', threshold);
  return semantic === 'no_match' ? compareReplay(original, replayed, 'structural') : semantic;
}

/** On a replay run: how its snapshot compares with the original's; undefined otherwise or when the original is gone. */
export async function replayOutcome(
  store: RunStore,
  runId: string,
  replayed: ExecutionSnapshot,
  readOriginal: (id: string) => Promise<ExecutionSnapshot | null>,
): Promise<ReplayOf | undefined> {
  const memo = await store.readStepMemo(runId, REPLAY_MEMO_KEY);
  const parsed = memo === null ? undefined : replayMemoSchema.safeParse(memo.value);
  if (parsed === undefined || !parsed.success) return undefined;
  const replay = parsed.data;
  const original = await readOriginal(replay.of);
  if (original === null) return undefined;
  return {
    run_id: replay.of,
    mode: replay.mode,
    ...(replay.threshold === undefined ? {} : { threshold: replay.threshold }),
    match_status: matchOf(original, replayed, replay),
  };
}

/**
 * Counts one more replay on the original's snapshot, storing it first (built by `build`) when the
 * original finished before snapshots were written. Nothing happens when the original is gone.
 */
export async function recordOnOriginal(
  store: RunStore,
  originalId: string,
  status: MatchStatus,
  at: Date,
  build: (run: RunRecord) => Promise<ExecutionSnapshot>,
): Promise<void> {
  const run = await store.read(originalId);
  if (run === null) return;
  for (let round = 0; round < MAX_WRITE_ROUNDS; round += 1) {
    const memo = await store.readStepMemo(originalId, SNAPSHOT_MEMO_KEY);
    const stored = (memo === null ? undefined : readStoredSnapshot(memo.value)) ?? (await build(run));
    const next = recordReplay(stored, status, at);
    if (await store.writeStepMemo(originalId, SNAPSHOT_MEMO_KEY, memo?.revision ?? 0, jsonOf(next))) return;
  }
  throw conflict(originalId);
}
