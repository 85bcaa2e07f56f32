/**
 * Events → triggers → handlers. An event (a run's lifecycle, a run's `emit`, `/emit`, the signed
 * webhook, a schedule tick) fires every `[[triggers]]` entry whose `event` names an `[[events]]`
 * entry of its type (events-match.ts), and each trigger runs its `[[handlers]]` entry:
 *
 * - `action = "run"`: a run of the workflow starts, its inputs the event's data, with an id derived
 *   from the event id and the trigger, so a second delivery of the event finds that run instead.
 *   The workflow is the version the event belongs to: the raising run's own document for a run's
 *   events, the channel's runnable version (what /run runs) for outside events.
 * - an action of the document, an action type with the handler's `with`, or `Notify<Role>` (the
 *   sample's `NotifyAdministrator`: a chat.notify in the channel saying which event happened, for
 *   that role): its executor runs once (events-handler.ts).
 *
 * An event is handled once per channel and event id (a claim in the InteractionStore, on Redis
 * when configured, so across processes and restarts); a duplicate starts and posts nothing. A
 * user event (not a lifecycle one) also reaches the channel's runs waiting for it (`wait` with
 * `event`), which then go on. A handler that fails is logged; it never fails the run or the worker.
 *
 * Loop guard: a run a handler starts is one level deeper than the event that started it (depth
 * 0: a person's or a schedule's event), and so are the events it raises and those a handler
 * emits; handlers of an event at depth `maxDepth` are refused (logged), which ends
 * "run.failed starts a run that fails" and "emit on run.started" loops after maxDepth runs.
 */
import { sameName } from '../document/entry-names.js';
import type { InteractionStore } from '../session/interaction-port.js';
import type { ChannelKey } from '../session/port.js';
import { type HandlerResult, runHandlerAction } from './events-handler.js';
import { channelPath, depthOf, eventDigest } from './events-ids.js';
import { findTrigger, hasEventEntry, RUN_HANDLER, type TriggerEntry, triggersFor } from './events-match.js';
import { outsideRun, startTriggeredRun } from './events-start.js';
import type { DeliverOptions, Delivery, FiredTrigger, Origin } from './events-types.js';
import type { RunnableVersion, VersionSource } from './events-version.js';
import { deliverToWaitingRuns } from './events-waiting.js';
import type { ExecutorRegistry } from './executor.js';
import { compilePlan } from './plan.js';
import type { PlannedHandler } from './plan-types.js';
import type { RunServices, RuntimeEvent } from './run-services.js';
import type { RunRecord } from './run-store.js';
import type { Runtime } from './runtime.js';

export { RUN_HANDLER } from './events-match.js';
export type { DeliverOptions, Delivery, FiredTrigger, TriggerOutcome } from './events-types.js';
export type { RunnableVersion, VersionSource } from './events-version.js';

/** The events the runtime raises about runs (and approvals): they reach triggers, never waiting runs. */
export const LIFECYCLE_EVENTS: readonly string[] = [
  'run.started',
  'stage.completed',
  'action.failed',
  'run.succeeded',
  'run.failed',
  'run.cancelled',
  'run.timed_out',
  'approval.requested',
  'approval.timeout',
  // AI steps (src/runtime/ai/invoke*.ts).
  'safety.violation',
  'drift_detected',
];
export const DEFAULT_MAX_DEPTH = 5;
/** How long an event id is remembered: far longer than any sender retries, or the webhook's 5-minute window. */
export const DEFAULT_DEDUPE_TTL_SECONDS = 7 * 24 * 3600;
const CLAIM_SCOPE = 'event';

export interface EventRouterOptions {
  readonly runtime: Pick<Runtime, 'start' | 'wake' | 'check' | 'store'>;
  /** Chat, secrets, the clock and the logger handlers use (the runtime's own). */
  readonly services: RunServices;
  readonly executors: ExecutorRegistry;
  readonly claims: Pick<InteractionStore, 'claimOnce'>;
  readonly versions: VersionSource;
  readonly maxDepth?: number;
  readonly dedupeTtlSeconds?: number;
}

export class EventRouter {
  readonly #options: EventRouterOptions;
  readonly #maxDepth: number;

  constructor(options: EventRouterOptions) {
    this.#options = options;
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  /** For RunServices.raise: a run's lifecycle event or `emit`. Never throws (a failure is logged). */
  async raise(run: RunRecord, raised: RuntimeEvent): Promise<void> {
    if (LIFECYCLE_EVENTS.includes(raised.type) && !hasEventEntry(run.document, raised.type)) return;
    // The engine names a lifecycle event by run, type and revision, which every stage completed in
    // one pass shares: what happened (the data) is part of which occurrence it is.
    const event = {
      ...raised,
      id: `${raised.id}#${eventDigest(JSON.stringify([raised.type, raised.data]))}`,
    };
    const origin: Origin = {
      channel: run.channel,
      version: { document: run.document, workflow: run.workflow },
      run,
      by: run.startedBy,
      depth: depthOf(run.startedBy),
      kind: 'event',
    };
    await this.#safely(origin, event);
  }

  /** An outside event (/emit, the webhook) in `channel`: what it fired, or that it was a duplicate. */
  async deliver(channel: ChannelKey, event: RuntimeEvent, options: DeliverOptions): Promise<Delivery> {
    const version = options.version ?? (await this.#options.versions(channel));
    return this.#handle({ channel, version, by: options.by, depth: 0, kind: 'event' }, event);
  }

  /**
   * A schedule tick (schedules.ts): the trigger `name` of the channel's runnable version fires for
   * the time `at`. Without a handler it starts a run. Two processes seeing the same tick do it once.
   */
  async fireSchedule(channel: ChannelKey, tick: { readonly trigger: string; readonly at: Date }) {
    const { logger } = this.#options.services;
    const version = await this.#options.versions(channel);
    const trigger = version === null ? undefined : findTrigger(version.document, tick.trigger);
    if (trigger?.schedule === undefined) {
      logger.info({ channel, trigger: tick.trigger }, 'A schedule fired for a trigger no longer scheduled');
      return undefined;
    }
    const at = tick.at.toISOString();
    const event = {
      type: 'schedule',
      id: `schedule:${trigger.name}@${at}`,
      data: { trigger: trigger.name, scheduled_at: at },
    };
    const by = { id: 'aitws:schedule', name: `schedule ${trigger.name}` };
    const origin: Origin = { channel, version, by, depth: 0, kind: 'schedule' };
    if (!(await this.#claim(channel, event.id))) return undefined;
    return this.#fire(origin, event, trigger);
  }

  async #safely(origin: Origin, event: RuntimeEvent): Promise<void> {
    try {
      await this.#handle(origin, event);
    } catch (error) {
      this.#options.services.logger.warn(
        { channel: origin.channel, event: event.type, eventId: event.id, err: error },
        'An event could not be handled',
      );
    }
  }

  async #handle(origin: Origin, event: RuntimeEvent): Promise<Delivery> {
    const triggers = origin.version === null ? [] : triggersFor(origin.version.document, event.type);
    const reachesWaiting = !LIFECYCLE_EVENTS.includes(event.type);
    const base = { type: event.type, id: event.id };
    if (triggers.length === 0 && !reachesWaiting) return { ...base, duplicate: false, fired: [], woken: [] };
    if (!(await this.#claim(origin.channel, event.id)))
      return { ...base, duplicate: true, fired: [], woken: [] };
    const fired: FiredTrigger[] = [];
    for (const trigger of triggers) fired.push(await this.#fire(origin, event, trigger));
    const { runtime, services } = this.#options;
    const woken = reachesWaiting
      ? await deliverToWaitingRuns(
          {
            store: runtime.store,
            wake: (id) => runtime.wake(id),
            logger: services.logger,
            now: services.now,
          },
          origin.channel,
          event,
        )
      : [];
    return { ...base, duplicate: false, fired, woken };
  }

  #claim(channel: ChannelKey, id: string): Promise<boolean> {
    const ttl = this.#options.dedupeTtlSeconds ?? DEFAULT_DEDUPE_TTL_SECONDS;
    return this.#options.claims.claimOnce(CLAIM_SCOPE, `${channelPath(channel)}|${id}`, ttl);
  }

  async #fire(origin: Origin, event: RuntimeEvent, trigger: TriggerEntry): Promise<FiredTrigger> {
    const fired = await this.#outcome(origin, event, trigger);
    const { logger } = this.#options.services;
    const where = { channel: origin.channel, event: event.type, eventId: event.id, trigger: trigger.name };
    const outcome = fired.outcome;
    if (outcome.kind === 'refused')
      logger.warn({ ...where, reason: outcome.reason }, 'A trigger was refused');
    else if (outcome.kind === 'action' && !outcome.result.ok)
      logger.warn({ ...where, handler: fired.handler, error: outcome.result }, 'An event handler failed');
    else logger.info({ ...where, handler: fired.handler, outcome: outcome.kind }, 'A trigger fired');
    return fired;
  }

  async #outcome(origin: Origin, event: RuntimeEvent, trigger: TriggerEntry): Promise<FiredTrigger> {
    const refuse = (reason: string, handler?: string): FiredTrigger => ({
      trigger: trigger.name,
      ...(handler === undefined ? {} : { handler }),
      outcome: { kind: 'refused', reason },
    });
    const version = origin.version;
    if (version === null) return refuse('the channel has no runnable version');
    if (origin.depth + 1 > this.#maxDepth)
      return refuse(
        `loop guard: the event comes ${origin.depth} trigger levels deep (at most ${this.#maxDepth})`,
      );
    const name = trigger.handler;
    if (name === undefined) {
      if (origin.kind === 'schedule')
        return startTriggeredRun(this.#options.runtime, origin, version, event, trigger);
      return refuse('the trigger names no handler');
    }
    const handler = findHandler(version, name);
    if (handler === undefined) return refuse(`no [[handlers]] entry is named "${name}"`, name);
    if (handler.action.type === RUN_HANDLER && handler.action.stage === '')
      return {
        ...(await startTriggeredRun(this.#options.runtime, origin, version, event, trigger)),
        handler: handler.name,
      };
    if (origin.run === undefined) {
      const problems = this.#options.runtime.check(version.document);
      if (problems.length > 0)
        return refuse(`the workflow does not pass pre-flight: ${problems[0]?.message}`, name);
    }
    const result = await this.#runAction(origin, version, event, trigger, handler);
    return {
      trigger: trigger.name,
      handler: handler.name,
      outcome: { kind: 'action', type: handler.action.type, result },
    };
  }

  #runAction(
    origin: Origin,
    version: RunnableVersion,
    event: RuntimeEvent,
    trigger: TriggerEntry,
    handler: PlannedHandler,
  ): Promise<HandlerResult> {
    const { services, executors } = this.#options;
    const run = origin.run ?? outsideRun(origin, version, event, trigger, services.now());
    const runtime = {
      inputs: event.data,
      steps: {},
      run: {
        id: origin.run?.id ?? null,
        workflow: version.workflow.name,
        started_by: origin.by.name,
        event: event.type,
        event_id: event.id,
        trigger: trigger.name,
      },
    };
    const deeper: Origin = { ...origin, run, depth: origin.depth + 1, kind: 'event' };
    return runHandlerAction({
      services,
      executors,
      run,
      action: handler.action,
      key: `event:${eventDigest(event.id)}/${trigger.name}`,
      runtime,
      raise: (raised) => this.#safely(deeper, raised),
    });
  }
}

function findHandler(version: RunnableVersion, name: string): PlannedHandler | undefined {
  for (const handler of compilePlan(version.document).handlers.values())
    if (sameName(handler.name, name)) return handler;
  return undefined;
}
