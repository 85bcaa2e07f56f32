/**
 * The runtime service the commands, the webhook and the schedulers call: start a run (after
 * pre-flight), cancel, retry, wake; and the worker side (process runs from the queue). The same
 * service runs embedded (file store, in-process queue) and distributed (Redis, BullMQ).
 */
import { randomBytes } from 'node:crypto';
import { MASK, maskSecrets } from '../document/redact.js';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { ChannelKey } from '../session/port.js';
import type { AiServices } from './ai/services.js';
import { type EngineOptions, processJob, RETRY_MEMO } from './engine.js';
import type { ExecutorRegistry } from './executor.js';
import type { PreflightProblem } from './plan-types.js';
import { type PreflightOptions, preflight } from './preflight.js';
import type { RunQueue } from './queue-port.js';
import type { RunServices } from './run-services.js';
import {
  isFinal,
  type JsonObject,
  type RunActor,
  type RunRecord,
  type RunStore,
  type WorkflowRef,
} from './run-store.js';
import { documentSecretNames, type SecretSource } from './secrets.js';

export interface RuntimeOptions {
  readonly store: RunStore;
  readonly queue: RunQueue;
  readonly executors: ExecutorRegistry;
  readonly secrets: SecretSource;
  readonly services: RunServices;
  readonly engine: Omit<EngineOptions, 'services' | 'executors' | 'tasks'>;
  /**
   * Parallel groups go out as jobs of their own, so every worker process takes a share (BullMQ).
   * Off, a group's members run concurrently inside the run's own job (one process, embedded).
   */
  readonly spreadGroups?: boolean;
  /** What AI steps keep beyond a run (cache, budget, drift, feedback) and check at pre-flight. */
  readonly ai?: AiServices;
}

export interface StartRequest {
  readonly channel: ChannelKey;
  readonly document: AitwsDocument;
  readonly workflow: WorkflowRef;
  readonly inputs: JsonObject;
  readonly startedBy: RunActor;
  /** A caller-chosen id (a webhook's event id): a second start with it returns the first run. */
  readonly id?: string;
  /** Step memos written before the run is queued (`::replay` on a replay run). */
  readonly memos?: Readonly<Record<string, JsonObject>>;
}

/** Runs picked up again at start; more than this many unfinished runs means an operator's attention. */
const RESUME_LIMIT = 100_000;

const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** Short enough to type (`/status r7k2m9qxa`), random enough not to be guessed. */
export function newRunId(): string {
  const bytes = randomBytes(10);
  let id = 'r';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

export class Runtime {
  readonly store: RunStore;
  readonly #options: RuntimeOptions;

  constructor(options: RuntimeOptions) {
    this.#options = options;
    this.store = options.store;
  }

  /** The AI services, when this runtime has them (commands such as /feedback need them). */
  get ai(): AiServices | undefined {
    return this.#options.ai;
  }

  /** Pre-flight problems of `document`, empty when it can run. */
  check(document: AitwsDocument): readonly PreflightProblem[] {
    return preflight(document, this.#preflightOptions()).problems;
  }

  async start(request: StartRequest): Promise<RunRecord> {
    const checked = preflight(request.document, this.#preflightOptions());
    if (checked.plan === undefined || checked.problems.length > 0) throw preflightError(checked.problems);
    await this.#options.ai?.assertAffordable(request.channel, request.document);
    const id = request.id ?? newRunId();
    if (request.id !== undefined) {
      const existing = await this.store.read(id);
      if (existing !== null) return existing;
    }
    const now = this.#options.services.now();
    const at = now.toISOString();
    const run = await this.store.create({
      id,
      channel: request.channel,
      workflow: request.workflow,
      document: request.document,
      inputs: request.inputs,
      state: 'queued',
      attempt: 0,
      startedBy: request.startedBy,
      createdAt: at,
      updatedAt: at,
      deadline: new Date(now.getTime() + checked.plan.runTimeoutMs).toISOString(),
    });
    for (const [key, value] of Object.entries(request.memos ?? {}))
      await this.store.writeStepMemo(run.id, key, 0, value);
    await this.#options.queue.enqueue(run.id);
    return run;
  }

  /** The run, or NO_RUN when this channel has no run by that id (another channel's runs are not found either). */
  async find(channel: ChannelKey, id: string): Promise<RunRecord> {
    const run = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await this.store.read(id) : null;
    if (run === null || !sameChannel(run.channel, channel))
      throw new AitwsError('NO_RUN', `There is no run ${JSON.stringify(id.slice(0, 64))} in this channel.`, {
        hint: 'Type /jobs to list the runs here.',
      });
    return run;
  }

  async cancel(run: RunRecord, by: RunActor): Promise<RunRecord> {
    let current: RunRecord | null = run;
    while (current !== null) {
      if (isFinal(current.state))
        throw new AitwsError(
          'RUN_FINISHED',
          `Run ${current.id} is already ${current.state}; nothing to cancel.`,
        );
      const error = { code: 'CANCELLED', message: `Cancelled by ${by.name}.` };
      const change = {
        ...current,
        state: 'cancelled' as const,
        updatedAt: this.#now(),
        error,
        waitingFor: undefined,
      };
      const result = await this.store.update(current.id, current.revision, change);
      if (result.ok) {
        // A delayed job (a wait, an approval) is promoted so it ends now instead of at its timer.
        await this.#options.queue.wake(current.id);
        return (await this.store.read(current.id)) ?? current;
      }
      current = result.current;
    }
    throw new AitwsError('NO_RUN', `Run ${run.id} no longer exists.`);
  }

  /** A failed or timed-out run continues from the failed action as a new attempt; finished steps are kept. */
  async retry(run: RunRecord): Promise<RunRecord> {
    if (run.state !== 'failed' && run.state !== 'timed_out')
      throw new AitwsError(
        'USAGE',
        `Run ${run.id} is ${run.state}; only a failed or timed-out run can be retried.`,
      );
    const steps = await this.store.steps(run.id);
    const memo = await this.store.readStepMemo(run.id, RETRY_MEMO);
    const attempts: JsonObject = { ...((memo?.value.attempts as JsonObject | undefined) ?? {}) };
    for (const step of steps)
      if (step.state === 'failed' || step.state === 'started') attempts[step.key] = step.attempt;
    const count = ((memo?.value.count as number | undefined) ?? 0) + 1;
    const written = await this.store.writeStepMemo(run.id, RETRY_MEMO, memo?.revision ?? 0, {
      count,
      attempts,
    });
    if (!written)
      throw new AitwsError('CONFLICT', `Run ${run.id} is being retried already.`, { retryable: true });
    const now = this.#options.services.now();
    const timeout = Date.parse(run.deadline) - Date.parse(run.createdAt);
    const change = {
      state: 'queued' as const,
      attempt: run.attempt,
      updatedAt: now.toISOString(),
      deadline: new Date(now.getTime() + timeout).toISOString(),
    };
    const result = await this.store.update(run.id, run.revision, change);
    if (!result.ok)
      throw new AitwsError('CONFLICT', `Run ${run.id} changed meanwhile; try again.`, { retryable: true });
    await this.#options.queue.enqueue(run.id);
    return (await this.store.read(run.id)) ?? run;
  }

  /**
   * Something a waiting step waits for happened (a vote, an event): the run is looked at now. A
   * running run's revision is bumped, so the pass that would park it as waiting walks again.
   */
  async wake(runId: string): Promise<void> {
    for (let tries = 0; tries < 20; tries += 1) {
      const current = await this.store.read(runId);
      if (current === null || isFinal(current.state)) return;
      const result = await this.store.update(runId, current.revision, { ...current, updatedAt: this.#now() });
      if (result.ok) break;
    }
    await this.#options.queue.wake(runId);
  }

  /**
   * `text` with every configured secret the run's document references replaced by ****, then the
   * usual patterns masked: an output that echoes a header it was sent never shows the value.
   */
  mask(run: RunRecord, text: string): string {
    let masked = text;
    for (const name of documentSecretNames(run.document)) {
      const value = this.#options.secrets.get(name);
      if (value !== undefined && value.length >= 4) masked = masked.split(value).join(MASK);
    }
    return maskSecrets(masked);
  }

  /**
   * Puts every unfinished run back on the queue (at start): a run that was running when its
   * process died resumes from its journal; a waiting one is looked at (its wait may be over).
   */
  async resumeUnfinished(): Promise<number> {
    const ids = await this.store.unfinished(RESUME_LIMIT);
    for (const id of ids) await this.#options.queue.enqueue(id);
    return ids.length;
  }

  /** Starts this process's workers on the queue. */
  work(concurrency: number): Promise<void> {
    const { queue } = this.#options;
    const engine: EngineOptions = {
      ...this.#options.engine,
      services: this.#options.services,
      executors: this.#options.executors,
      ...(this.#options.spreadGroups === true
        ? {
            tasks: {
              dispatch: (jobId: string) => queue.enqueue(jobId),
              wake: (runId: string) => this.wake(runId),
            },
          }
        : {}),
    };
    return queue.process((jobId, signal) => processJob(engine, jobId, signal), { concurrency });
  }

  #preflightOptions(): PreflightOptions {
    const { executors, secrets, ai } = this.#options;
    return { executors, secrets, ...(ai === undefined ? {} : { ai: ai.preflight }) };
  }

  #now(): string {
    return this.#options.services.now().toISOString();
  }
}

function sameChannel(a: ChannelKey, b: ChannelKey): boolean {
  return a.platform === b.platform && a.workspace === b.workspace && a.channel === b.channel;
}

export function preflightError(problems: readonly PreflightProblem[]): AitwsError {
  const count = problems.length === 1 ? 'one problem' : `${problems.length} problems`;
  return new AitwsError('PREFLIGHT', `This workflow cannot run: ${count}. Nothing was started.`, {
    details: problems.map((problem) => `${problem.where}: ${problem.message}`),
    hint: 'Fix them with /add or /remove, then /run again. /validate shows the document problems.',
  });
}
