/** Worker processes for the crash tests (test/support/runtime-worker.ts), killed with SIGKILL at will. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./runtime-worker.ts', import.meta.url));

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

export interface WorkerProcess {
  readonly pid: number;
  /** Resolves once the worker works on the queue. */
  readonly ready: Promise<void>;
  /** SIGKILL: no cleanup, its queue lock is left to expire. */
  kill(): Promise<void>;
  /** SIGTERM: closes its queue, as a deploy would. */
  stop(): Promise<void>;
}

export function spawnRuntimeWorker(env: Readonly<Record<string, string>>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      started.delete(child);
      resolve();
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
  });
  // A test that fails before waiting must not leave an unhandled rejection.
  ready.catch(() => undefined);
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return { pid: child.pid ?? 0, ready, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}
