/**
 * Issue #19 benchmark: the run page's time to first byte for a finished 1,000-action run (50
 * stages of 20, each action with a small output), served by the page routes of `aitws serve` over
 * loopback HTTP from a file run store, median of ROUNDS after a warm-up. The floor is what any
 * page of that run must do in the same process: read the run and its 1,000 steps from the store
 * and draw the graph as SVG. The ratio is what the HTML (timeline, outputs, escaping, masking)
 * and HTTP add.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { maskSecrets } from '../src/document/redact.js';
import type { AitwsDocument } from '../src/document/types.js';
import { nodeStatesOf, renderGraph } from '../src/graph/index.js';
import { linkSignature, queryOf } from '../src/http/page-links.js';
import { pageRoutes } from '../src/http/pages/routes.js';
import type { PageSources } from '../src/http/pages/run-data.js';
import { silentLogger } from '../src/logging.js';
import { stepKey } from '../src/runtime/plan.js';
import type { RunStore } from '../src/runtime/run-store.js';
import { FileRunStore } from '../src/runtime/run-store-file.js';
import { MemoryAccessStore } from '../src/session/access-memory.js';
import { MemorySessionStore } from '../src/session/memory-store.js';
import { thousandActions } from '../test/graph/workflows.js';
import { fmt, median } from './lib.js';

const ROUNDS = 15;
const SECRET = 'bench-page-secret-0123456789abcdef';
const CHANNEL = { platform: 'console', workspace: 'local', channel: 'bench' } as const;
const RUN_ID = 'rbench00001';

function actionsOf(document: AitwsDocument): { stage: string; action: string }[] {
  const stages = document.stages as { name: string; actions: { name: string }[] }[];
  return stages.flatMap((stage) =>
    stage.actions.map((action) => ({ stage: stage.name, action: action.name })),
  );
}

async function finishedRun(store: RunStore, document: AitwsDocument): Promise<void> {
  const at = new Date('2026-12-01T10:00:00Z');
  const iso = (ms: number): string => new Date(at.getTime() + ms).toISOString();
  await store.create({
    id: RUN_ID,
    channel: CHANNEL,
    workflow: { name: 'Generated 1000 actions', version: 1, hash: 'sha256:bench' },
    document,
    inputs: { ticket: 'bench' },
    state: 'queued',
    attempt: 1,
    startedBy: { id: 'ada', name: 'Ada' },
    createdAt: iso(0),
    updatedAt: iso(0),
    deadline: iso(300_000),
  });
  let offset = 0;
  for (const { stage, action } of actionsOf(document)) {
    const key = stepKey(stage, action, 0);
    const startedAt = iso(offset);
    offset += 5;
    await store.recordStep(RUN_ID, {
      key,
      state: 'succeeded',
      idempotencyKey: `${RUN_ID}:${key}`,
      startedAt,
      finishedAt: iso(offset),
      output: { text: `done ${action}`, count: offset },
    });
  }
  const run = await store.read(RUN_ID);
  if (run === null) throw new Error('the bench run was not stored');
  const change = { attempt: 1, updatedAt: iso(offset), deadline: run.deadline };
  const running = await store.update(RUN_ID, run.revision, { ...change, state: 'running' });
  if (!running.ok) throw new Error('the bench run did not start');
  await store.update(RUN_ID, running.revision, { ...change, state: 'succeeded' });
}

async function listen(sources: PageSources): Promise<{ server: Server; base: string }> {
  const [runs] = pageRoutes(sources);
  if (runs === undefined) throw new Error('no page route');
  const server = createServer((request, response) => {
    void runs.handle(request, response, Buffer.alloc(0));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function timed(operation: () => Promise<unknown>): Promise<number[]> {
  await operation();
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await operation();
    samples.push(performance.now() - start);
  }
  return samples;
}

export async function benchPages(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-bench-pages-'));
  const store = new FileRunStore({ dataDir: dir });
  try {
    const document = thousandActions();
    await finishedRun(store, document);
    const sources: PageSources = {
      settings: { secret: SECRET, baseUrl: 'https://bot.example.com', ttlSeconds: 86_400 },
      runs: store,
      mask: (_run, text) => maskSecrets(text),
      access: new MemoryAccessStore(),
      policy: { admins: new Set(), defaultPrivileges: ['read', 'write'] },
      sessions: new MemorySessionStore(),
      logger: silentLogger,
    };
    const { server, base } = await listen(sources);
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    const signature = linkSignature(SECRET, 'run', RUN_ID, 'ada', expiry);
    const url = `${base}/runs/${RUN_ID}?${queryOf({ user: 'ada', expiry, signature })}`;
    let bytes = 0;
    const ttfb: number[] = [];
    const whole = await timed(async () => {
      const start = performance.now();
      const response = await fetch(url);
      ttfb.push(performance.now() - start);
      if (response.status !== 200) throw new Error(`the run page answered ${response.status}`);
      bytes = (await response.arrayBuffer()).byteLength;
    });
    server.close();
    const floor = await timed(async () => {
      const run = await store.read(RUN_ID);
      if (run === null) throw new Error('no run');
      const steps = await store.steps(RUN_ID);
      await renderGraph(run.document, 'svg', { states: nodeStatesOf(run, steps) });
    });
    const firstByte = median(ttfb.slice(1));
    console.log(
      `pages: the run page of a finished 1,000-action run, median of ${ROUNDS} (file run store, loopback HTTP)`,
    );
    console.log(
      `  time to first byte   ${fmt(firstByte).padStart(8)} ms  (whole page ${fmt(median(whole))} ms, ${fmt(bytes / 1024, 0)} KiB)`,
    );
    console.log(`  floor: read run + 1,000 steps, draw the graph  ${fmt(median(floor))} ms`);
    console.log(`  ratio ${fmt(firstByte / median(floor), 2)}x`);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
