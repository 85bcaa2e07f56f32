/**
 * How a pass (or a task) stops early: this process shuts down, the run's deadline passes, or the
 * run was finished elsewhere (a cancel). Actions get the signal; the engine decides what to write.
 */
import type { EngineOptions } from './engine.js';
import { isFinal, type RunRecord } from './run-store.js';

/** Why a pass was aborted, so the engine knows what to write. */
export class RunStop extends Error {
  readonly reason: 'cancelled' | 'deadline' | 'shutdown';
  constructor(reason: RunStop['reason']) {
    super(`run stopped: ${reason}`);
    this.reason = reason;
  }
}

/**
 * Runs `work` with a signal that aborts (with a RunStop) when this process shuts down, the run's
 * deadline passes, or the run is finished elsewhere (a cancel).
 */
export async function stoppable<T>(
  options: EngineOptions,
  run: RunRecord,
  shutdown: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const stopOn = (reason: RunStop['reason']) => () => controller.abort(new RunStop(reason));
  const onShutdown = stopOn('shutdown');
  shutdown.addEventListener('abort', onShutdown, { once: true });
  const deadline = setTimeout(
    stopOn('deadline'),
    Math.max(0, Date.parse(run.deadline) - options.services.now().getTime()),
  );
  const watch = setInterval(() => void watchRun(options, run.id, stopOn('cancelled')), options.watchMs);
  try {
    return await work(controller.signal);
  } finally {
    shutdown.removeEventListener('abort', onShutdown);
    clearTimeout(deadline);
    clearInterval(watch);
  }
}

async function watchRun(options: EngineOptions, runId: string, cancel: () => void): Promise<void> {
  const current = await options.services.store.read(runId).catch(() => undefined);
  if (current === null || (current !== undefined && isFinal(current.state))) cancel();
}
