/**
 * Several OS processes sharing one data directory. The children run the compiled store
 * (test/support/global-build.ts compiles dist/ before the tests), because they are plain node.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { FileSessionStore } from '../../src/session/file-store.js';
import type { ChannelKey } from '../../src/session/port.js';
import { REPO_ROOT } from '../support/paths.js';

const WRITER = path.join(import.meta.dirname, 'fixtures/concurrent-writer.mjs');
const COMPILED = path.join(REPO_ROOT, 'dist/src/session/file-store.js');
const KEY: ChannelKey = { platform: 'console', workspace: 'multi', channel: 'shared' };
const WORKERS = ['p1', 'p2', 'p3', 'p4'];
const PER_WORKER = 25;
const TOTAL = WORKERS.length * PER_WORKER;

interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly lines: string[];
  readonly stderr: string[];
}

function start(dataDir: string, worker: string): Child {
  const child = spawn(process.execPath, [WRITER, dataDir, worker, String(PER_WORKER), String(TOTAL + 10)]);
  const lines: string[] = [];
  const stderr: string[] = [];
  child.stdout
    .setEncoding('utf8')
    .on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  return { process: child, lines, stderr };
}

function until(condition: () => boolean, child: Child): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (child.process.exitCode !== null)
        reject(new Error(`writer exited early: ${child.stderr.join('')}`));
      else setTimeout(check, 5);
    };
    check();
  });
}

function exited(child: Child): Promise<number | null> {
  if (child.process.exitCode !== null) return Promise.resolve(child.process.exitCode);
  return new Promise((resolve) => child.process.once('exit', resolve));
}

let base: string;
beforeAll(() => {
  if (!existsSync(COMPILED))
    throw new Error(`${COMPILED} is missing: run the tests through vitest.config.ts (it builds dist/).`);
});
beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'aitws-processes-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

it(`${WORKERS.length} processes appending ${PER_WORKER} items each to one channel lose nothing`, async () => {
  const children = WORKERS.map((worker) => start(base, worker));
  await Promise.all(children.map((child) => until(() => child.lines.includes('ready'), child)));
  for (const child of children) child.process.stdin.end('go\n');
  const codes = await Promise.all(children.map(exited));
  expect(codes, children.map((child) => child.stderr.join('')).join('\n')).toEqual(WORKERS.map(() => 0));

  const store = new FileSessionStore({ dataDir: base, historyLimit: TOTAL + 10 });
  const record = await store.read(KEY);
  const items = Array.isArray(record.document?.items) ? record.document.items.map(String) : [];
  expect(record.version).toBe(TOTAL);
  expect(items).toHaveLength(TOTAL);
  expect(new Set(items).size).toBe(TOTAL);

  const history = await store.history(KEY);
  expect(history.map((entry) => entry.version)).toEqual(
    Array.from({ length: TOTAL }, (_, index) => TOTAL - index),
  );
  for (const entry of history) {
    const entryItems = Array.isArray(entry.document?.items) ? entry.document.items : [];
    expect(entryItems).toHaveLength(entry.version);
    expect(entryItems.at(-1)).toBe(entry.change.replace('add ', ''));
  }
  // Each writer's items land in its own order.
  for (const worker of WORKERS) {
    const own = items.filter((item) => item.startsWith(`${worker}-`));
    expect(own).toEqual(Array.from({ length: PER_WORKER }, (_, index) => `${worker}-${index}`));
  }
  // The writers really raced: some of their compare-and-sets lost and were retried.
  const attempts = children.map((child) => {
    const summary: unknown = JSON.parse(child.lines.at(-1) ?? '{}');
    return typeof summary === 'object' && summary !== null && 'attempts' in summary
      ? Number(summary.attempts)
      : 0;
  });
  expect(attempts.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(TOTAL);
});
