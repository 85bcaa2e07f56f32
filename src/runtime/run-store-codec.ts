/**
 * The stored form of runs, steps and step memos that the file and Redis run stores share. A run is
 * kept in two parts: the fixed part (id, channel, workflow, the document snapshot, inputs, who
 * started it, when), written once, and the mutable change (state, attempt, dates, position…)
 * replaced on every update, so an update never rewrites the document. Everything read back is
 * validated (stored data is a boundary); the document goes through the session codec.
 */
import { z } from 'zod';
import { channelKeySchema } from '../session/access-codec.js';
import { decodeDocument, encodeDocument, parseStored } from '../session/codec.js';
import type { ChannelKey } from '../session/port.js';
import {
  changedFields,
  type JsonObject,
  type NewRun,
  type RunChange,
  type RunRecord,
  type RunState,
  type StepMemo,
  type StepRecord,
  type StepState,
} from './run-store.js';

// Spelled as maps so that a state added to the port fails to compile here.
const RUN_STATES = {
  queued: 'queued',
  running: 'running',
  waiting: 'waiting',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  timed_out: 'timed_out',
} as const satisfies { [K in RunState]: K };
const STEP_STATES = {
  started: 'started',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
} as const satisfies { [K in StepState]: K };

const jsonObjectSchema = z.record(z.string(), z.json());
const errorSchema = z.object({ code: z.string(), message: z.string() });
const count = z.number().int().nonnegative();

export const revisionSchema = z.number().int().min(1);

export const fixedSchema = z.object({
  id: z.string(),
  channel: channelKeySchema,
  workflow: z.object({ name: z.string(), version: count, hash: z.string() }),
  document: z.unknown(),
  inputs: jsonObjectSchema,
  startedBy: z.object({ id: z.string(), name: z.string() }),
  createdAt: z.string(),
});

export const changeSchema = z.object({
  state: z.enum(RUN_STATES),
  attempt: count,
  updatedAt: z.string(),
  deadline: z.string(),
  position: z.object({ stage: z.string(), action: z.string().exactOptional() }).exactOptional(),
  error: errorSchema.exactOptional(),
  waitingFor: z
    .object({
      kind: z.enum(['approval', 'event', 'delay']),
      key: z.string(),
      until: z.string().exactOptional(),
    })
    .exactOptional(),
}) satisfies z.ZodType<RunChange, unknown>;

export type StoredChange = z.infer<typeof changeSchema>;

const stepSchema = z.object({
  key: z.string(),
  attempt: revisionSchema,
  state: z.enum(STEP_STATES),
  idempotencyKey: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().exactOptional(),
  output: z.json().exactOptional(),
  error: errorSchema.exactOptional(),
}) satisfies z.ZodType<StepRecord, unknown>;

const memoSchema = z.object({ revision: revisionSchema, value: jsonObjectSchema }) satisfies z.ZodType<
  StepMemo,
  unknown
>;

/** The fixed part of a run as JSON: never changes after create. */
export function fixedToJson(run: NewRun): JsonObject {
  const { platform, workspace, channel } = run.channel;
  const { name, version, hash } = run.workflow;
  return {
    id: run.id,
    channel: { platform, workspace, channel },
    workflow: { name, version, hash },
    document: encodeDocument(run.document),
    inputs: run.inputs,
    startedBy: { id: run.startedBy.id, name: run.startedBy.name },
    createdAt: run.createdAt,
  };
}

/** The mutable part of a run as JSON text: only the RunChange fields (see changedFields). */
export function encodeChange(next: RunChange): string {
  return JSON.stringify(changedFields(next));
}

export type StoredFixed = z.infer<typeof fixedSchema>;
export type RunFixed = Omit<RunRecord, keyof RunChange | 'revision'>;

/** The fixed part of a run from its validated stored form: decodes the document. */
export function fixedOf(stored: StoredFixed, source: string): RunFixed {
  const { id, channel, workflow, inputs, startedBy, createdAt } = stored;
  const document = decodeDocument(stored.document, source);
  return { id, channel, workflow, document, inputs, startedBy, createdAt };
}

export function decodeFixed(text: string, source: string): RunFixed {
  return fixedOf(parseStored(fixedSchema, text, source), source);
}

export function decodeChange(text: string, source: string): StoredChange {
  return parseStored(changeSchema, text, source);
}

/** A run from its stored parts. */
export function runOf(fixed: RunFixed, change: StoredChange, revision: number): RunRecord {
  return { ...fixed, ...change, revision };
}

/** A stored step; unknown fields (a store's own bookkeeping) are dropped. */
export function decodeStep(text: string, source: string): StepRecord {
  return parseStored(stepSchema, text, source);
}

export function decodeMemo(text: string, source: string): StepMemo {
  return parseStored(memoSchema, text, source);
}

export function isRunState(state: string): state is RunState {
  return Object.hasOwn(RUN_STATES, state);
}

export function sameChannel(a: ChannelKey, b: ChannelKey): boolean {
  return a.platform === b.platform && a.workspace === b.workspace && a.channel === b.channel;
}
