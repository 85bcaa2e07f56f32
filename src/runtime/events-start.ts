/**
 * The two ways a trigger stands in for a run: it starts one (`action = "run"`, or a schedule
 * without a handler), under an id derived from the event so a second delivery finds the first
 * run; or a handler of an outside event acts as a run that is never stored.
 */
import { AitwsError } from '../errors.js';
import { channelPath, derivedRunId, triggerActor } from './events-ids.js';
import type { TriggerEntry } from './events-match.js';
import type { FiredTrigger, Origin } from './events-types.js';
import type { RunnableVersion } from './events-version.js';
import type { RuntimeEvent } from './run-services.js';
import type { RunRecord } from './run-store.js';
import type { Runtime } from './runtime.js';

export async function startTriggeredRun(
  runtime: Pick<Runtime, 'start' | 'store'>,
  origin: Origin,
  version: RunnableVersion,
  event: RuntimeEvent,
  trigger: TriggerEntry,
): Promise<FiredTrigger> {
  const kind = origin.kind === 'schedule' ? 's' : 'e';
  const id = derivedRunId(kind, [channelPath(origin.channel), event.id, trigger.name]);
  const existing = (await runtime.store.read(id)) !== null;
  try {
    const run = await runtime.start({
      channel: origin.channel,
      document: version.document,
      workflow: version.workflow,
      inputs: event.data,
      startedBy: triggerActor(origin.depth + 1, `${trigger.name} (${origin.by.name})`),
      id,
    });
    return { trigger: trigger.name, outcome: { kind: 'run', runId: run.id, existing } };
  } catch (error) {
    // Another process started it between the read and the create.
    if (error instanceof AitwsError && error.code === 'CONFLICT' && (await runtime.store.read(id)) !== null)
      return { trigger: trigger.name, outcome: { kind: 'run', runId: id, existing: true } };
    const reason = error instanceof AitwsError ? error.message : 'the run could not be started';
    const details = error instanceof AitwsError ? error.details.slice(0, 3).join('; ') : '';
    return {
      trigger: trigger.name,
      outcome: { kind: 'refused', reason: details === '' ? reason : `${reason} ${details}` },
    };
  }
}

/** What a handler of an outside event acts as: a run record that is never stored. */
export function outsideRun(
  origin: Origin,
  version: RunnableVersion,
  event: RuntimeEvent,
  trigger: TriggerEntry,
  now: Date,
): RunRecord {
  const at = now.toISOString();
  return {
    id: derivedRunId('e', [channelPath(origin.channel), event.id, trigger.name, 'handler']),
    channel: origin.channel,
    workflow: version.workflow,
    document: version.document,
    inputs: event.data,
    state: 'queued',
    revision: 0,
    attempt: 0,
    startedBy: origin.by,
    createdAt: at,
    updatedAt: at,
    deadline: at,
  };
}
