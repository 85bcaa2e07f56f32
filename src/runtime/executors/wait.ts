/**
 * `wait`: `with.duration = "30s"` waits that long; `with.event = "type"` with a required
 * `with.timeout` waits for an event and fails with WAIT_TIMEOUT when it does not come in time.
 *
 * The wait is durable: the first call writes the step memo and returns a wait; the engine parks the
 * run (a delayed job) and calls again when it is woken or `until` comes. The memo (WaitMemo) is:
 *   { kind: "delay", since, until }
 *   { kind: "event", since, until, event, received?, receivedAt?, timedOut? }
 * Whoever delivers an event (/emit, a webhook) to a run waiting on a step writes `received` with
 * deliverEventToWaitingStep (a CAS on the memo), then wakes the run.
 */
import { z } from 'zod';
import { parseDuration } from '../../document/duration.js';
import type { TomlValue } from '../../document/types.js';
import { AitwsError, ConflictError } from '../../errors.js';
import type {
  ActionContext,
  ActionOutcome,
  ActionParameters,
  Executor,
  ParameterProblem,
} from '../executor.js';
import type { JsonObject, RunStore, StepMemo } from '../run-store.js';
import { EVENT_NAME, eventName } from './emit.js';
import { asJsonObject, holdsTemplate, unknownParameters } from './shared.js';

export type WaitParams =
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'event'; readonly event: string; readonly timeoutMs: number };

export interface WaitMemo {
  readonly kind: 'delay' | 'event';
  /** ISO-8601: when the wait began. */
  readonly since: string;
  /** ISO-8601: when a delay ends, or when waiting for the event gives up. */
  readonly until: string;
  readonly event?: string;
  /** The delivered event's data. */
  readonly received?: JsonObject;
  readonly receivedAt?: string;
  /** The event did not come; a later attempt of the step (a retry) waits afresh. */
  readonly timedOut?: true;
}

/** Memo writes lost to a concurrent writer before giving up (each loss means progress elsewhere). */
const MAX_MEMO_RACES = 10;

function durationMs(text: string | undefined, context: z.RefinementCtx, path: string): number {
  try {
    return parseDuration(text ?? '');
  } catch (error) {
    context.issues.push({ code: 'custom', message: (error as Error).message, path: [path], input: text });
    return 0;
  }
}

export const waitParams: z.ZodType<WaitParams> = z
  .strictObject({
    duration: z.string().optional(),
    event: eventName.optional(),
    timeout: z.string().optional(),
  })
  .transform((value, context): WaitParams => {
    if (value.event !== undefined) {
      if (value.duration !== undefined)
        context.issues.push({ code: 'custom', message: 'give duration or event, not both', input: value });
      if (value.timeout === undefined)
        context.issues.push({
          code: 'custom',
          message: 'required with event',
          path: ['timeout'],
          input: value,
        });
      return { kind: 'event', event: value.event, timeoutMs: durationMs(value.timeout, context, 'timeout') };
    }
    if (value.duration === undefined)
      context.issues.push({ code: 'custom', message: 'give duration, or event with timeout', input: value });
    if (value.timeout !== undefined)
      context.issues.push({ code: 'custom', message: 'only with event', path: ['timeout'], input: value });
    return { kind: 'delay', ms: durationMs(value.duration, context, 'duration') };
  });

function durationProblem(field: string, value: TomlValue | undefined): ParameterProblem[] {
  if (value === undefined || holdsTemplate(value)) return [];
  if (typeof value !== 'string')
    return [{ field: `with.${field}`, message: 'expected a duration such as "30s"' }];
  try {
    parseDuration(value);
    return [];
  } catch (error) {
    return [{ field: `with.${field}`, message: (error as Error).message }];
  }
}

function checkWait(parameters: ActionParameters): ParameterProblem[] {
  const problems: ParameterProblem[] = [];
  const { duration, event, timeout } = parameters;
  if (event === undefined && duration === undefined)
    problems.push({ field: 'with.duration', message: 'required: a duration, or event with timeout' });
  if (event !== undefined && duration !== undefined)
    problems.push({ field: 'with.event', message: 'give duration or event, not both' });
  if (event !== undefined && timeout === undefined)
    problems.push({ field: 'with.timeout', message: 'required with event: how long to wait for it' });
  if (event === undefined && timeout !== undefined)
    problems.push({ field: 'with.timeout', message: 'only with event (a plain wait is its duration)' });
  if (event !== undefined && !holdsTemplate(event) && (typeof event !== 'string' || !EVENT_NAME.test(event)))
    problems.push({ field: 'with.event', message: 'expected an event type such as "model_ready"' });
  return [...problems, ...durationProblem('duration', duration), ...durationProblem('timeout', timeout)];
}

export const waitExecutor: Executor<WaitParams> = {
  type: 'wait',
  summary: 'Waits: with.duration = "30s", or with.event = "type" with with.timeout = "1h".',
  params: waitParams,
  check: (parameters) => [
    ...unknownParameters(parameters, ['duration', 'event', 'timeout']),
    ...checkWait(parameters),
  ],
  async run(context, params) {
    for (let race = 0; race < MAX_MEMO_RACES; race += 1) {
      const stored = await context.readMemo();
      const memo = currentWait(stored, params);
      if (memo === undefined) {
        const fresh = startWait(params, context.now());
        if (await context.writeMemo(stored?.revision ?? 0, { ...fresh }))
          return decide(context, params, fresh);
        continue;
      }
      if (memo.kind === 'event' && memo.received === undefined && isDue(memo, context.now())) {
        // Record the timeout before failing, so a retry of this step waits afresh; losing the race
        // may mean the event just came: read again.
        if (!(await context.writeMemo(stored?.revision ?? 0, { ...memo, timedOut: true }))) continue;
      }
      return decide(context, params, memo);
    }
    throw new ConflictError(`The wait ${context.stepKey} kept changing under it; try again.`);
  },
};

function readWaitMemo(memo: StepMemo | null): WaitMemo | undefined {
  const value = memo?.value;
  if (value === undefined) return undefined;
  const { kind, since, until } = value;
  if ((kind !== 'delay' && kind !== 'event') || typeof since !== 'string' || typeof until !== 'string')
    return undefined;
  if (value.received !== undefined && asJsonObject(value.received) === undefined) return undefined;
  return value as unknown as WaitMemo;
}

/** The memo of the wait in progress, or undefined when a new one must start. */
function currentWait(stored: StepMemo | null, params: WaitParams): WaitMemo | undefined {
  const memo = readWaitMemo(stored);
  if (memo === undefined || memo.kind !== params.kind || memo.timedOut === true) return undefined;
  if (params.kind === 'event' && memo.event !== params.event) return undefined;
  return memo;
}

function startWait(params: WaitParams, now: Date): WaitMemo {
  const since = now.toISOString();
  const ms = params.kind === 'delay' ? params.ms : params.timeoutMs;
  const until = new Date(now.getTime() + ms).toISOString();
  return params.kind === 'delay'
    ? { kind: 'delay', since, until }
    : { kind: 'event', since, until, event: params.event };
}

function isDue(memo: WaitMemo, now: Date): boolean {
  return now.getTime() >= Date.parse(memo.until);
}

function decide(context: ActionContext, params: WaitParams, memo: WaitMemo): ActionOutcome {
  const now = context.now();
  if (params.kind === 'delay') {
    if (!isDue(memo, now)) return { kind: 'wait', waitingFor: { kind: 'delay', until: memo.until } };
    return { kind: 'done', output: { waited_ms: Math.max(0, now.getTime() - Date.parse(memo.since)) } };
  }
  if (memo.received !== undefined)
    return { kind: 'done', output: { event: params.event, data: memo.received } };
  if (!isDue(memo, now)) return { kind: 'wait', waitingFor: { kind: 'event', until: memo.until } };
  throw new AitwsError('WAIT_TIMEOUT', `No ${params.event} event came within the wait's timeout.`, {
    hint: 'Raise it with /emit, or give the wait a longer timeout.',
  });
}

/**
 * The memo value to write (at `memo.revision`) to deliver `event` with `data` to a waiting step, or
 * null when that step is not waiting for it (another event, a delay, already received, too late).
 */
export function deliverEventToWait(
  memo: StepMemo | null,
  event: string,
  data: JsonObject,
  at: Date,
): JsonObject | null {
  const wait = readWaitMemo(memo);
  if (wait === undefined || wait.kind !== 'event' || wait.event !== event) return null;
  if (wait.received !== undefined || wait.timedOut === true || isDue(wait, at)) return null;
  return { ...wait, received: data, receivedAt: at.toISOString() };
}

/**
 * Delivers `event` to the waiting step `stepKey` of run `runId` (a CAS on its memo, read again
 * when someone wrote first). True when delivered: the caller then wakes the run.
 */
export async function deliverEventToWaitingStep(
  store: Pick<RunStore, 'readStepMemo' | 'writeStepMemo'>,
  target: { readonly runId: string; readonly stepKey: string },
  event: string,
  data: JsonObject,
  at: Date,
): Promise<boolean> {
  for (let race = 0; race < MAX_MEMO_RACES; race += 1) {
    const memo = await store.readStepMemo(target.runId, target.stepKey);
    const next = deliverEventToWait(memo, event, data, at);
    if (next === null || memo === null) return false;
    if (await store.writeStepMemo(target.runId, target.stepKey, memo.revision, next)) return true;
  }
  return false;
}
