/**
 * An event reaching the runs of its channel that wait for it (a `wait` step with `event = type`):
 * the waiting step's memo gets the event's data (a CAS, so one delivery wins whatever races it)
 * and the run is woken to go on.
 *
 * Only runs already parked as waiting are looked at: an event that comes while a run is still on
 * its way into the wait (the step wrote its memo but the run is not parked yet) is not kept for it.
 */
import type { Logger } from '../logging.js';
import type { ChannelKey } from '../session/port.js';
import { deliverEventToWaitingStep } from './executors/wait.js';
import type { JsonObject, RunStore } from './run-store.js';

/** Waiting runs of one channel looked at per event; more are an operator's matter, and logged. */
export const WAITING_RUNS_LOOKED_AT = 500;

export interface WaitingDelivery {
  readonly store: Pick<RunStore, 'list' | 'readStepMemo' | 'writeStepMemo'>;
  wake(runId: string): Promise<void>;
  readonly logger: Logger;
  now(): Date;
}

/** Delivers the event to each run of `channel` waiting for `type`; the ids of the runs it woke. */
export async function deliverToWaitingRuns(
  target: WaitingDelivery,
  channel: ChannelKey,
  event: { readonly type: string; readonly data: JsonObject },
): Promise<string[]> {
  const waiting = await target.store.list(channel, { limit: WAITING_RUNS_LOOKED_AT, states: ['waiting'] });
  if (waiting.length === WAITING_RUNS_LOOKED_AT)
    target.logger.warn(
      { channel, event: event.type, looked: WAITING_RUNS_LOOKED_AT },
      'Many runs wait in this channel; an event reaches only the newest',
    );
  const woken: string[] = [];
  for (const run of waiting) {
    const waitingFor = run.waitingFor;
    if (waitingFor?.kind !== 'event') continue;
    const at = target.now();
    const place = { runId: run.id, stepKey: waitingFor.key };
    if (!(await deliverEventToWaitingStep(target.store, place, event.type, event.data, at))) continue;
    await target.wake(run.id);
    woken.push(run.id);
  }
  return woken;
}
