/**
 * The in-process run queue (console, file store): no Redis, no other process. Jobs are run ids in
 * memory; a waiting run is a timer.
 *
 * Durability does not come from here: the run store holds every run's state, and the runtime
 * re-enqueues the unfinished runs it finds there at startup, so a restart loses nothing but the
 * timers, which the store's `waitingFor.until` re-creates. Timers are therefore unref'd: a run
 * waiting an hour for an approver must not keep the console open (see `idle`).
 */
import { type Logger, silentLogger } from '../logging.js';
import type { ProcessResult, RunProcessor, RunQueue } from './queue-port.js';

export interface EmbeddedRunQueueOptions {
  /** A processor that throws is tried again this much later. Default 1000 ms. */
  readonly retryDelayMs?: number;
  readonly logger?: Logger;
}

interface ActiveJob {
  readonly controller: AbortController;
  /** Woken or enqueued while processing: process again right after, the wake may be newer. */
  again: boolean;
  done: Promise<void>;
}

interface DelayedJob {
  readonly due: number;
  readonly timer: NodeJS.Timeout;
}

interface IdleWaiter {
  readonly horizonMs: number;
  readonly resolve: () => void;
}

// setTimeout fires at once (with a warning) beyond this; a longer wait is re-armed when it fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class EmbeddedRunQueue implements RunQueue {
  private readonly retryDelayMs: number;
  private readonly logger: Logger;
  /** Due now, in arrival order (a Set iterates in insertion order). */
  private readonly ready = new Set<string>();
  private readonly delayed = new Map<string, DelayedJob>();
  private readonly active = new Map<string, ActiveJob>();
  private readonly waiters: IdleWaiter[] = [];
  /** Timers kept ref'd because an idle() caller waits for them. */
  private readonly referenced = new Set<string>();
  private processor: RunProcessor | undefined;
  private concurrency = 0;
  private closed = false;

  constructor(options: EmbeddedRunQueueOptions = {}) {
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.logger = options.logger ?? silentLogger;
  }

  async enqueue(runId: string): Promise<void> {
    this.nudge(runId);
  }

  async wake(runId: string): Promise<void> {
    this.nudge(runId);
  }

  async process(processor: RunProcessor, options: { readonly concurrency: number }): Promise<void> {
    if (this.processor !== undefined) throw new Error('EmbeddedRunQueue.process was already called');
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
      throw new Error(`concurrency must be a positive integer, got ${options.concurrency}`);
    this.processor = processor;
    this.concurrency = options.concurrency;
    this.pump();
  }

  async counts(): Promise<{ waiting: number; delayed: number; active: number }> {
    return { waiting: this.ready.size, delayed: this.delayed.size, active: this.active.size };
  }

  /**
   * Resolves once no job is active or due. Delayed jobs do not count unless due within
   * `horizonMs` (default 0): the console waits for a run's short timers (a retry backoff, a `wait`
   * of a few seconds) but not for an approval's hour-long timeout, and while it waits those
   * timers keep the process alive. Due jobs count even before `process` is called.
   */
  idle(options: { readonly horizonMs?: number } = {}): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ horizonMs: options.horizonMs ?? 0, resolve });
      this.settle();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.delayed.values()) clearTimeout(job.timer);
    this.delayed.clear();
    this.ready.clear();
    const running = [...this.active.values()];
    for (const job of running) job.controller.abort(new Error('the run queue is closing'));
    await Promise.all(running.map((job) => job.done));
    this.settle();
  }

  private nudge(runId: string): void {
    if (this.closed) return;
    const active = this.active.get(runId);
    if (active !== undefined) {
      active.again = true;
      return;
    }
    this.makeReady(runId);
  }

  private makeReady(runId: string): void {
    const delayed = this.delayed.get(runId);
    if (delayed !== undefined) {
      clearTimeout(delayed.timer);
      this.delayed.delete(runId);
      this.referenced.delete(runId);
    }
    this.ready.add(runId);
    this.pump();
  }

  private pump(): void {
    const processor = this.processor;
    if (processor !== undefined && !this.closed) {
      for (const runId of this.ready) {
        if (this.active.size >= this.concurrency) break;
        this.ready.delete(runId);
        const job: ActiveJob = { controller: new AbortController(), again: false, done: Promise.resolve() };
        this.active.set(runId, job);
        job.done = this.runOnce(processor, runId, job);
      }
    }
    this.settle();
  }

  private async runOnce(processor: RunProcessor, runId: string, job: ActiveJob): Promise<void> {
    // Never inside the caller's enqueue(): the processor may itself enqueue or wake.
    await Promise.resolve();
    let result: ProcessResult | undefined;
    try {
      result = await processor(runId, job.controller.signal);
    } catch (error) {
      this.logger.error({ runId, err: error }, 'run processor failed; trying the run again later');
    }
    this.active.delete(runId);
    if (!this.closed) {
      if (job.again) this.ready.add(runId);
      else if (result === undefined) this.schedule(runId, Date.now() + this.retryDelayMs);
      else if (result.kind === 'wait') this.schedule(runId, result.until);
    }
    this.pump();
  }

  private schedule(runId: string, due: number): void {
    const delay = due - Date.now();
    if (delay <= 0) {
      this.ready.add(runId);
      return;
    }
    const timer = setTimeout(
      () => {
        this.delayed.delete(runId);
        this.referenced.delete(runId);
        if (Date.now() < due) this.schedule(runId, due);
        else this.ready.add(runId);
        this.pump();
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    timer.unref();
    this.delayed.set(runId, { due, timer });
  }

  /** Resolves the idle() callers that are satisfied and refs the timers the others wait for. */
  private settle(): void {
    const now = Date.now();
    for (let index = this.waiters.length - 1; index >= 0; index--) {
      const waiter = this.waiters[index];
      if (waiter === undefined) continue;
      if (this.closed || !this.pending(now, waiter.horizonMs)) {
        this.waiters.splice(index, 1);
        waiter.resolve();
      }
    }
    this.referenceTimers(now);
  }

  private pending(now: number, horizonMs: number): boolean {
    if (this.active.size > 0 || this.ready.size > 0) return true;
    if (horizonMs <= 0) return false;
    for (const job of this.delayed.values()) if (job.due <= now + horizonMs) return true;
    return false;
  }

  private referenceTimers(now: number): void {
    const horizonMs = Math.max(0, ...this.waiters.map((waiter) => waiter.horizonMs));
    for (const runId of this.referenced) {
      const job = this.delayed.get(runId);
      if (job === undefined || job.due > now + horizonMs) {
        job?.timer.unref();
        this.referenced.delete(runId);
      }
    }
    if (horizonMs <= 0) return;
    for (const [runId, job] of this.delayed) {
      if (job.due <= now + horizonMs && !this.referenced.has(runId)) {
        job.timer.ref();
        this.referenced.add(runId);
      }
    }
  }
}
