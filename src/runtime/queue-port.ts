/**
 * The run queue port: how a run gets a worker. One job per run (id = run id) that advances the run
 * step by step until it finishes or waits (BullMQ's "process step jobs" pattern). The queue holds
 * no truth about the run: the run store does (the job's data is only the run id).
 *
 * Implementations: EmbeddedRunQueue (in-process, for the console and the file store) and
 * BullRunQueue (BullMQ on Redis, any number of worker processes). Both pass
 * test/contracts/run-queue.contract.ts.
 */

/** What a worker does with a run it picked up. */
export type RunProcessor = (runId: string, signal: AbortSignal) => Promise<ProcessResult>;

export type ProcessResult =
  /** The run is final (or unknown): the job is done. */
  | { readonly kind: 'finished' }
  /**
   * The run waits: pick it up again at `until` (epoch ms), or earlier when `wake` is called.
   * Durable: survives restarts of every process.
   */
  | { readonly kind: 'wait'; readonly until: number };

export interface RunQueue {
  /** Makes sure a job for the run will be processed soon (idempotent: one job per run id). */
  enqueue(runId: string): Promise<void>;
  /**
   * A waiting run should be looked at now (an approval was clicked, an event came): a delayed job
   * is promoted, a missing one is added. Harmless when the run is already being processed.
   */
  wake(runId: string): Promise<void>;
  /**
   * Starts processing with up to `concurrency` runs at once. The signal passed to the processor
   * aborts when the queue closes (the run is picked up again later, elsewhere).
   */
  process(processor: RunProcessor, options: { readonly concurrency: number }): Promise<void>;
  /** Jobs waiting, delayed and active (for /metrics). */
  counts(): Promise<{ readonly waiting: number; readonly delayed: number; readonly active: number }>;
  /** Stops taking jobs, lets active ones stop at their signal, and closes connections. */
  close(): Promise<void>;
}
