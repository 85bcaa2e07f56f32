/**
 * `aitws serve` as its own process, started from the real `bin/aitws.js` as a person starts it: wait
 * for the start-up line, stop it with SIGTERM, or see how it exits by itself when it cannot start.
 * A process that outlives its test is killed, so a hang fails the test instead of the suite.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../support/paths.js';

export interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ServeProcess {
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** Resolves with the first stderr line that matches; rejects when the process exits first. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process exits by itself, killing it after `timeoutMs`. */
  exit(timeoutMs?: number): Promise<Exit>;
  /** SIGTERM, then what the process printed and its exit code. */
  stop(): Promise<Exit>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A temporary working directory, so the file store of each run starts empty and is removed after. */
export async function inTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-serve-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function startServe(options: {
  cwd: string;
  env: Record<string, string>;
  /** Default `serve`; `worker` and its options start a worker the same way. */
  args?: readonly string[];
}): ServeProcess {
  const child = spawn(process.execPath, [BIN, ...(options.args ?? ['serve'])], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  const wake = () => {
    for (const watcher of watchers) watcher();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    wake();
  });
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code) => {
      live.delete(child);
      resolve({ code, stdout, stderr });
      wake();
    });
  });
  let closed = false;
  void exited.then(() => {
    closed = true;
  });

  const exit = async (timeoutMs = 15_000): Promise<Exit> => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    stderr: () => stderr,
    line(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = stderr.split('\n').find((l) => pattern.test(l));
          if (found !== undefined) done(() => resolve(found));
          else if (closed) done(() => reject(new Error(`aitws serve exited first:\n${stderr}`)));
        };
        const timer = setTimeout(
          () =>
            done(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${stderr}`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          settle();
        };
        watchers.add(check);
        check();
      });
    },
    exit,
    async stop() {
      child.kill('SIGTERM');
      return exit();
    },
  };
}

/** The stderr lines that are not JSON log records: what the process says to a person. */
export function plainLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
}

/** The JSON log records on stderr. */
export function logRecords(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
