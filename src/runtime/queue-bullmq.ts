/**
 * The run queue on BullMQ (Redis, Redis Cluster): any number of worker processes share the runs.
 * One job per run (job id = run id, data = the run id only) that the worker advances until the
 * run finishes (the job completes and is removed) or waits (`moveToDelayed` + DelayedError, the
 * "process step jobs" pattern; a wake promotes the delayed job).
 *
 * A wake must never be lost, even while a worker is busy with the run and about to put it back
 * to sleep: wake sets a mark (`<prefix>:<queue>:wake:<run id>`) before it looks at the job, and
 * the worker clears the mark before each processing, checks it after, and checks it again once
 * the job is delayed (or completed), so whichever side comes second sees the other.
 */
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import { AitwsError } from '../errors.js';
import { type Logger, silentLogger } from '../logging.js';
import { closeRedisClient, type RedisClient } from '../session/redis-client.js';
import {
  checkNoEviction,
  producerClient,
  type RunQueueClientOptions,
  workerTemplateClient,
} from './queue-bullmq-redis.js';
import type { ProcessResult, RunProcessor, RunQueue } from './queue-port.js';

export { checkNoEviction } from './queue-bullmq-redis.js';

export interface BullRunQueueOptions {
  /** A Redis URL as REDIS_URL takes it: redis://, rediss://, redis+sentinel://, redis+cluster://. */
  readonly connection: string;
  readonly clientOptions?: RunQueueClientOptions;
  /**
   * Every key starts with it. Hash-tagged (`{…}`) so all of a queue's keys live in one Cluster
   * slot, which BullMQ's scripts need. Default `{aitws-runs}`.
   */
  readonly prefix?: string;
  /** Default `runs`. */
  readonly queueName?: string;
  /**
   * How long a worker's claim on a run lasts without renewal (renewed at half this while the
   * run is processed). A crashed worker's run is taken over after about this plus up to two
   * stalled intervals. Defaults 30 s and 15 s.
   */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /** A processor that throws is tried again this much later. Default 5000 ms. */
  readonly retryDelayMs?: number;
  readonly logger?: Logger;
}

interface RunJobData {
  readonly runId: string;
}

type RunJob = Job<RunJobData, void, 'run'>;

// A mark outlives any one processing of a run by far; the expiry only cleans up after a crash.
const WAKE_MARK_TTL_MS = 24 * 60 * 60 * 1000;
// Failed jobs are rare (the processor's errors are retried, stalls recovered): keep some for
// inspection without growing forever.
const FAILED_JOBS_KEPT = 1000;

export class BullRunQueue implements RunQueue {
  private readonly options: BullRunQueueOptions;
  private readonly prefix: string;
  private readonly queueName: string;
  private readonly logger: Logger;
  private readonly client: RedisClient;
  private readonly queue: Queue<RunJobData, void, 'run'>;
  private worker: Worker<RunJobData, void, 'run'> | undefined;
  private workerTemplate: RedisClient | undefined;
  private readonly pending = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(options: BullRunQueueOptions) {
    this.options = options;
    this.prefix = options.prefix ?? '{aitws-runs}';
    this.queueName = options.queueName ?? 'runs';
    this.logger = options.logger ?? silentLogger;
    if (/^(rediss?\+cluster):/i.test(options.connection) && !/\{[^{}]+\}/.test(this.prefix)) {
      throw new AitwsError('CONFIG', `The run queue prefix "${this.prefix}" has no {hash tag}.`, {
        hint: 'On Redis Cluster every key of a queue must share one slot: use a prefix like {aitws-runs}.',
      });
    }
    this.client = producerClient(options.connection, this.clientOptions());
    this.queue = new Queue<RunJobData, void, 'run'>(this.queueName, {
      connection: this.client,
      prefix: this.prefix,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: FAILED_JOBS_KEPT },
    });
    this.queue.on('error', (error) => this.logger.warn({ err: error }, 'run queue connection error'));
  }

  enqueue(runId: string): Promise<void> {
    return this.nudge(runId);
  }

  wake(runId: string): Promise<void> {
    return this.nudge(runId);
  }

  async process(processor: RunProcessor, options: { readonly concurrency: number }): Promise<void> {
    if (this.worker !== undefined) throw new Error('BullRunQueue.process was already called');
    await checkNoEviction(this.client);
    // Closed while the check ran (a console whose input ended at once): a worker started now
    // would hold a connection nothing closes, and the process would never exit.
    if (this.closing !== undefined) return;
    this.workerTemplate = workerTemplateClient(this.options.connection, this.clientOptions());
    const worker = new Worker<RunJobData, void, 'run'>(
      this.queueName,
      // Three parameters: BullMQ passes an AbortSignal only to a processor that declares it.
      (job, token, signal) => this.handle(processor, job, token, signal),
      {
        connection: this.workerTemplate,
        prefix: this.prefix,
        concurrency: options.concurrency,
        lockDuration: this.options.lockDurationMs ?? 30_000,
        stalledInterval: this.options.stalledIntervalMs ?? 15_000,
        // A stalled run is one whose worker died or froze: it must be resumed elsewhere, never
        // failed (BullMQ's default fails it after one stall). Resuming is safe because the run
        // store, not the job, holds the run's state and refuses a stale worker's writes.
        maxStalledCount: Number.MAX_SAFE_INTEGER,
      },
    );
    this.worker = worker;
    worker.on('error', (error) => this.logger.warn({ err: error }, 'run worker error'));
    worker.on('completed', (job) => this.track(this.afterCompleted(job)));
    await worker.waitUntilReady();
  }

  async counts(): Promise<{ waiting: number; delayed: number; active: number }> {
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      delayed: counts.delayed ?? 0,
      active: counts.active ?? 0,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const worker = this.worker;
    if (worker !== undefined) {
      worker.cancelAllJobs('the run queue is closing');
      await worker.close();
    }
    await Promise.allSettled(this.pending);
    await this.queue.close();
    await closeRedisClient(this.client);
    this.workerTemplate?.disconnect();
  }

  private clientOptions(): RunQueueClientOptions {
    const onError = (error: Error): void => this.logger.debug({ err: error }, 'run queue Redis error');
    return { onError, ...this.options.clientOptions };
  }

  private markKey(runId: string): string {
    return `${this.prefix}:${this.queueName}:wake:${runId}`;
  }

  /** enqueue and wake alike: mark first, then make sure a job exists and is due. */
  private async nudge(runId: string): Promise<void> {
    await this.client.set(this.markKey(runId), '1', 'PX', WAKE_MARK_TTL_MS);
    const state = await this.queue.getJobState(runId);
    switch (state) {
      case 'unknown':
        await this.add(runId);
        return;
      case 'delayed':
        await this.promote(runId);
        return;
      case 'completed':
      case 'failed':
        // Kept by someone's retention settings: a finished job would swallow the new one.
        await this.queue.remove(runId);
        await this.add(runId);
        return;
      default:
        // Waiting: it will run and read the store then. Active: the worker sees the mark.
        return;
    }
  }

  private async add(runId: string): Promise<void> {
    await this.queue.add('run', { runId }, { jobId: runId });
  }

  /** A job that stopped being delayed meanwhile is being (or about to be) processed: fine. */
  private async promote(runId: string): Promise<void> {
    try {
      await (await this.queue.getJob(runId))?.promote();
    } catch (error) {
      this.logger.debug({ runId, err: error }, 'run job no longer delayed when promoted');
    }
  }

  private async handle(
    processor: RunProcessor,
    job: RunJob,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const runId = job.id;
    if (runId === undefined) throw new Error('a run job without an id');
    const aborted = signal ?? new AbortController().signal;
    for (;;) {
      const mark = this.markKey(runId);
      await this.client.del(mark);
      const result = await this.attempt(processor, runId, aborted);
      // Woken while processing: what woke it may be newer than what the processor read.
      if ((await this.client.del(mark)) === 1 && !aborted.aborted) continue;
      if (result.kind === 'finished') return;
      await this.sleep(job, token, result.until);
    }
  }

  /** A processor error is retried later (never a failed job); at close the run goes back at once. */
  private async attempt(processor: RunProcessor, runId: string, signal: AbortSignal): Promise<ProcessResult> {
    try {
      return await processor(runId, signal);
    } catch (error) {
      if (signal.aborted) return { kind: 'wait', until: Date.now() };
      this.logger.error({ runId, err: error }, 'run processor failed; trying the run again later');
      return { kind: 'wait', until: Date.now() + (this.options.retryDelayMs ?? 5000) };
    }
  }

  private async sleep(job: RunJob, token: string | undefined, until: number): Promise<never> {
    try {
      await job.moveToDelayed(until, token);
      // A wake that saw the job still active left only its mark.
      if (job.id !== undefined && (await this.client.exists(this.markKey(job.id))) === 1)
        await this.promote(job.id);
    } catch (error) {
      // The lock was lost (another worker took the run over) or Redis is unreachable: either way
      // the job is not ours to finish, and stalled-job recovery brings it back if need be.
      this.logger.warn({ runId: job.id, err: error }, 'could not put the run job to sleep');
    }
    throw new DelayedError();
  }

  /** The mirror of sleep() for a finished run: a wake that saw the job active re-adds it. */
  private async afterCompleted(job: RunJob): Promise<void> {
    const runId = job.id;
    if (runId !== undefined && (await this.client.del(this.markKey(runId))) === 1) await this.nudge(runId);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.logger.warn({ err: error }, 'run queue follow-up failed');
    });
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}
