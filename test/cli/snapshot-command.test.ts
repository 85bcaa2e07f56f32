/**
 * `aitws snapshot RUN`, run in-process through its exported runner (the subcommand table in
 * src/cli.ts registers it): the snapshot of a run in the data directory or on Redis, as pretty JSON
 * that validates against the aiwg schema; one clear line and exit 1 for a run it cannot show.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SNAPSHOT_USAGE, snapshotCommand } from '../../src/cli/snapshot-command.js';
import type { Environment } from '../../src/cli/subcommand.js';
import { EXIT_UNREADABLE } from '../../src/cli/validate-files.js';
import { writeRunSnapshot } from '../../src/runtime/ai/run-snapshot.js';
import type { RunRecord, RunStore } from '../../src/runtime/run-store.js';
import { FileRunStore } from '../../src/runtime/run-store-file.js';
import { RedisRunStore } from '../../src/runtime/run-store-redis.js';
import { createRedisClient } from '../../src/session/redis-client.js';
import { richDocument } from '../contracts/session-store.fixtures.js';
import { deletePrefix, sharedRedis, uniquePrefix } from '../support/redis.js';
import { snapshotErrors } from '../support/snapshot-schema.js';

const at = (second: number): string => new Date(Date.UTC(2026, 11, 6, 12, 0, second)).toISOString();

async function storeRun(store: RunStore, id: string, finish = true): Promise<RunRecord> {
  const created = await store.create({
    id,
    channel: { platform: 'console', workspace: 'local', channel: 'cli' },
    workflow: { name: 'greeter', version: 2, hash: `sha256:${'cd'.repeat(32)}` },
    document: richDocument(),
    inputs: { who: 'Ada' },
    state: 'queued',
    attempt: 0,
    startedBy: { id: 'U1', name: 'Ada' },
    createdAt: at(0),
    updatedAt: at(0),
    deadline: at(59),
  });
  const running = { ...created, state: 'running' as const, attempt: 1, updatedAt: at(1) };
  expect((await store.update(id, 1, running)).ok).toBe(true);
  const step = { key: 'Compose/Greeting#0', idempotencyKey: `${id}/g`, startedAt: at(1) };
  await store.recordStep(id, { ...step, state: 'started' });
  await store.recordStep(id, {
    ...step,
    state: 'succeeded',
    finishedAt: at(2),
    output: { text: 'Hello Ada' },
  });
  if (finish)
    expect((await store.update(id, 2, { ...running, state: 'succeeded', updatedAt: at(3) })).ok).toBe(true);
  return (await store.read(id)) as RunRecord;
}

interface Printed {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

async function snapshot(args: string[], env: Environment = {}): Promise<Printed> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await snapshotCommand(args, env, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out, err };
}

function printedSnapshot(printed: Printed): Record<string, unknown> {
  expect(printed.err).toEqual([]);
  expect(printed.code).toBe(0);
  expect(printed.out).toHaveLength(1);
  const text = printed.out[0] ?? '';
  // Pretty: one field a line, for people; still one JSON document, for jq.
  expect(text.split('\n').length).toBeGreaterThan(20);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  expect(snapshotErrors(parsed)).toEqual([]);
  return parsed;
}

describe('aitws snapshot on the data directory', () => {
  let dir: string;
  let store: FileRunStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-snapshot-cli-'));
    store = new FileRunStore({ dataDir: dir });
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a finished run without a stored snapshot, built from its journal (--data-dir)', async () => {
    await storeRun(store, 'r-old');
    const printed = printedSnapshot(await snapshot(['r-old', '--data-dir', dir]));
    expect(printed).toMatchObject({
      run_id: 'r-old',
      workflow_id: 'greeter@2',
      config: { model: { id: 'none' }, execution_mode: 'default' },
      outputs: { response: '{"Compose/Greeting#0":{"text":"Hello Ada"}}' },
    });
  });

  it('prints the stored snapshot as stored (AITWS_DATA_DIR)', async () => {
    const run = await storeRun(store, 'r-new');
    const { snapshot: stored } = await writeRunSnapshot(store, run);
    const printed = printedSnapshot(await snapshot(['r-new'], { AITWS_DATA_DIR: dir }));
    expect(printed).toEqual(JSON.parse(JSON.stringify(stored)));
  });

  it('says in one line that a run is unknown, or not finished, and exits 1', async () => {
    await storeRun(store, 'r-busy', false);
    expect(await snapshot(['r-nope', '--data-dir', dir])).toEqual({
      code: 1,
      out: [],
      err: ['aitws snapshot: there is no run "r-nope" in this store.'],
    });
    expect(await snapshot(['../etc/passwd', '--data-dir', dir])).toMatchObject({ code: 1, out: [] });
    expect(await snapshot(['r-busy', '--data-dir', dir])).toEqual({
      code: 1,
      out: [],
      err: ['aitws snapshot: run r-busy is running; its snapshot is written when it finishes.'],
    });
  });

  it('asks for exactly one run', async () => {
    for (const args of [[], ['r1', 'r2']]) {
      const printed = await snapshot(args, { AITWS_DATA_DIR: dir });
      expect(printed.code).toBe(EXIT_UNREADABLE);
      expect(printed.err.join('\n')).toContain(SNAPSHOT_USAGE);
    }
  });
});

describe('aitws snapshot on Redis', () => {
  const redis = sharedRedis();

  afterAll(async () => {
    await (await redis).stop();
  });

  it('reads the run store under REDIS_URL and AITWS_REDIS_PREFIX', async () => {
    const { url } = await redis;
    const prefix = uniquePrefix('snap');
    const client = createRedisClient(url);
    const store = new RedisRunStore(client, { prefix, ownsClient: true });
    try {
      await storeRun(store, 'r-redis');
      const printed = printedSnapshot(
        await snapshot(['r-redis'], { REDIS_URL: url, AITWS_REDIS_PREFIX: prefix }),
      );
      expect(printed.run_id).toBe('r-redis');
      // Another prefix is another store.
      const elsewhere = await snapshot(['r-redis'], { REDIS_URL: url, AITWS_REDIS_PREFIX: `${prefix}x` });
      expect(elsewhere.code).toBe(1);
    } finally {
      await deletePrefix(client, prefix);
      await store.close();
    }
  });
});
