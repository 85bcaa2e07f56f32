/**
 * A `[[handlers]]` entry that runs an action (an action of the document, an action type with the
 * handler's own `with`, or `Notify<Role>`): its executor runs once, here and now, through an
 * ActionContext like any step's, with its templates reading the event (`inputs` = the event's
 * data, `run.event` = its type).
 *
 * A handler is not a step of a run, so it is not journaled and cannot wait: its step memo lives in
 * a throwaway store for the duration of the call (an executor that keeps "posted once" there
 * still works), and an executor that asks to wait (human.approval, wait) fails the handler with a
 * hint to start a run instead (`action = "run"`). Dedupe of the event itself is the router's.
 */

import { AitwsError } from '../errors.js';
import type { ExecutorRegistry } from './executor.js';
import type { PlannedAction } from './plan-types.js';
import { renderParameters } from './render-parameters.js';
import { actionContext, type RunServices, type RuntimeEvent } from './run-services.js';
import type { JsonValue, RunRecord } from './run-store.js';
import { MemoryRunStore } from './run-store-memory.js';
import type { RuntimeContext } from './runtime-context.js';
import { raceSignal } from './signals.js';
import { toRunError } from './step-runner.js';

/** A handler without a `timeout` of its own gets this long: it runs inline, before the event is answered. */
export const HANDLER_TIMEOUT_MS = 30_000;

export interface HandlerCall {
  readonly services: RunServices;
  readonly executors: ExecutorRegistry;
  /** The run whose channel, document and starter the handler acts for (a stand-in for outside events). */
  readonly run: RunRecord;
  readonly action: PlannedAction;
  /** Its step key, unique per event and trigger. */
  readonly key: string;
  readonly runtime: RuntimeContext;
  /** Where an event the handler raises (`emit`) goes: the router, one level deeper. */
  raise(event: RuntimeEvent): Promise<void>;
}

export type HandlerResult =
  | { readonly ok: true; readonly output: JsonValue }
  | { readonly ok: false; readonly code: string; readonly message: string };

export async function runHandlerAction(call: HandlerCall): Promise<HandlerResult> {
  const { action } = call;
  const executor = call.executors.get(action.type);
  if (executor === undefined)
    return { ok: false, code: 'PARAMETER', message: `No executor runs type "${action.type}".` };
  const signal = AbortSignal.timeout(action.timeoutMs ?? HANDLER_TIMEOUT_MS);
  try {
    const parsed = executor.params.safeParse(renderParameters(action.parameters, call.runtime));
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `with.${issue.path.map(String).join('.')}: ${issue.message}`);
      throw new AitwsError('PARAMETER', `${action.type} has bad parameters: ${issues.join('; ')}.`);
    }
    const memos = new MemoryRunStore();
    const run = await memos.create(standIn(call.run));
    const services: RunServices = {
      ...call.services,
      store: memos,
      raise: (_run, event) => call.raise(event),
    };
    const place = { action, key: call.key, idempotencyKey: `${run.id}/${call.key}`, runtime: call.runtime };
    const outcome = await raceSignal(
      executor.run(actionContext(services, run, place, 1, signal), parsed.data),
      signal,
    );
    if (outcome.kind === 'wait')
      throw new AitwsError('PARAMETER', `A handler cannot wait (${action.type} asked to).`, {
        hint: 'Give the handler action = "run": the run it starts can wait for approvals and events.',
      });
    return { ok: true, output: outcome.output };
  } catch (error) {
    if (signal.aborted)
      return {
        ok: false,
        code: 'ACTION_TIMEOUT',
        message: `The handler did not finish within ${(action.timeoutMs ?? HANDLER_TIMEOUT_MS) / 1000} s.`,
      };
    const { code, message } = toRunError(error);
    return { ok: false, code, message };
  }
}

/** The run as a fresh record of the throwaway store (which only takes queued ones). */
function standIn(run: RunRecord) {
  const { revision: _revision, position: _position, error: _error, waitingFor: _waitingFor, ...fixed } = run;
  return { ...fixed, state: 'queued' as const };
}
