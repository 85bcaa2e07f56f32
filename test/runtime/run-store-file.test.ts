/** The RunStore contract on FileRunStore, and what files add: shared directories, ids as paths. */
import { execFile } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import type { NewRun, RunRecord } from '../../src/runtime/run-store.js';
import { FileRunStore, RUN_FILE_FOLDERS } from '../../src/runtime/run-store-file.js';
import { runStoreContract } from '../contracts/run-store.contract.js';
import { richDocument } from '../contracts/session-store.fixtures.js';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'aitws-runs-'));
}

runStoreContract('FileRunStore', async () => {
  const dataDir = await tempDir();
  return {
    store: new FileRunStore({ dataDir }),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

const at = (minute: number): string => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();

function newRun(id: string): NewRun {
  return {
    id,
    channel: { platform: 'console', workspace: 'local', channel: 'files' },
    workflow: { name: 'train', version: 1, hash: `sha256:${'cd'.repeat(32)}` },
    document: richDocument(),
    inputs: { dataset: 'iris' },
    state: 'queued',
    attempt: 0,
    startedBy: { id: 'U1', name: 'Ada' },
    createdAt: at(0),
    updatedAt: at(0),
    deadline: at(60),
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error.code;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

describe('FileRunStore', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await tempDir();
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('two stores on one directory (as two processes) racing update from one revision: one wins', async () => {
    const first = new FileRunStore({ dataDir });
    const second = new FileRunStore({ dataDir });
    const run = await first.create(newRun('run-1'));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        (n % 2 === 0 ? first : second).update('run-1', 1, { ...run, state: 'running', attempt: n + 1 }),
      ),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    const winner = results.findIndex((result) => result.ok);
    expect(await second.read('run-1')).toMatchObject({ revision: 2, attempt: winner + 1 });
  });

  it('two stores appending steps to one run see each other (the journal cache catches up)', async () => {
    const first = new FileRunStore({ dataDir });
    const second = new FileRunStore({ dataDir });
    await first.create(newRun('run-1'));
    const step = { idempotencyKey: 'k', startedAt: at(1) };
    expect((await first.recordStep('run-1', { key: 'a', state: 'started', ...step })).attempt).toBe(1);
    expect((await second.recordStep('run-1', { key: 'a', state: 'started', ...step })).attempt).toBe(2);
    await second.recordStep('run-1', { key: 'b', state: 'skipped', ...step });
    expect((await first.recordStep('run-1', { key: 'a', state: 'started', ...step })).attempt).toBe(3);
    expect(await first.recordStep('run-1', { key: 'b', state: 'started', ...step })).toMatchObject({
      state: 'skipped',
    });
    expect((await second.steps('run-1')).map((s) => [s.key, s.attempt])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
  });

  it('a run removed and created again under its id starts a new journal in every store', async () => {
    const first = new FileRunStore({ dataDir });
    const second = new FileRunStore({ dataDir });
    const step = { key: 'a', state: 'started', idempotencyKey: 'k', startedAt: at(1) } as const;
    const run = await first.create(newRun('run-1'));
    await first.recordStep('run-1', step);
    await first.update('run-1', 1, { ...run, state: 'cancelled' });
    expect(await second.removeFinishedBefore(new Date(at(10)))).toBe(1);
    await second.create(newRun('run-1'));
    expect((await first.recordStep('run-1', step)).attempt).toBe(1);
  });

  it('refuses run ids that are not plain path components (USAGE), and writes nothing', async () => {
    const store = new FileRunStore({ dataDir });
    for (const id of ['../x', 'a/b', '.hidden', '', 'x'.repeat(65), 'a b', 'é']) {
      expect(await codeOf(store.create(newRun(id)))).toBe('USAGE');
      expect(await codeOf(store.read(id))).toBe('USAGE');
      expect(await codeOf(store.update(id, 1, { ...newRun('ok'), state: 'running' }))).toBe('USAGE');
      expect(await codeOf(store.steps(id))).toBe('USAGE');
      expect(await codeOf(store.writeStepMemo(id, 'k', 0, {}))).toBe('USAGE');
    }
    expect(await readdir(dataDir)).toEqual([]);
    await store.create(newRun(`A_z-9${'x'.repeat(59)}`));
  });

  it('keeps everything under runs/ and the document out of the record file an update rewrites', async () => {
    const store = new FileRunStore({ dataDir });
    const run = await store.create(newRun('run-1'));
    await store.update('run-1', 1, { ...run, state: 'running' });
    await store.writeStepMemo('run-1', 'Gate/Approve#0', 0, { votes: [] });
    expect(await readdir(dataDir)).toEqual([...RUN_FILE_FOLDERS]);
    const dir = store.runDir('run-1');
    expect((await readdir(dir)).sort()).toEqual(['memos', 'record.json', 'run.json', 'steps.jsonl']);
    const record: unknown = JSON.parse(await readFile(path.join(dir, 'record.json'), 'utf8'));
    expect(record).toMatchObject({ revision: 2, change: { state: 'running' } });
    expect(JSON.stringify(record)).not.toContain('iris');
  });

  it('skips a torn last journal line (a crash mid-append) and appends after it', async () => {
    const store = new FileRunStore({ dataDir });
    await store.create(newRun('run-1'));
    const step = { key: 'a', state: 'started', idempotencyKey: 'k', startedAt: at(1) } as const;
    await store.recordStep('run-1', step);
    const journal = path.join(store.runDir('run-1'), 'steps.jsonl');
    await appendFile(journal, '{"key":"b","attem');
    expect((await store.steps('run-1')).map((s) => s.key)).toEqual(['a']);
    // A fresh store (another process) reads the file from the start.
    const other = new FileRunStore({ dataDir });
    await other.recordStep('run-1', { ...step, key: 'c' });
    expect((await store.steps('run-1')).map((s) => s.key)).toEqual(['a', 'c']);
    expect((await readFile(journal, 'utf8')).split('\n')).toHaveLength(4);
  });

  it('reports a damaged record as unreadable data, naming the file by its variable', async () => {
    const store = new FileRunStore({ dataDir });
    await store.create(newRun('run-1'));
    await appendFile(path.join(store.runDir('run-1'), 'record.json'), 'garbage');
    const error = await store.read('run-1').catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(AitwsError);
    expect((error as AitwsError).message).toContain(path.join('$AITWS_DATA_DIR', 'runs', 'run-1'));
    expect((error as AitwsError).message).not.toContain(dataDir);
  });

  it('lists from the channel index and skips entries whose run is gone', async () => {
    const store = new FileRunStore({ dataDir });
    await store.create(newRun('run-1'));
    const second = await store.create({ ...newRun('run-2'), createdAt: at(1) });
    await rm(store.runDir('run-1'), { recursive: true });
    const listed: RunRecord[] = await store.list(second.channel, { limit: 5 });
    expect(listed.map((run) => run.id)).toEqual(['run-2']);
  });
});

describe('FileRunStore across OS processes', () => {
  const run = promisify(execFile);
  const PROCESSES = 3;
  const INCREMENTS = 15;
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await tempDir();
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('processes racing update from one revision: exactly one wins; then no increment is lost', async () => {
    const store = new FileRunStore({ dataDir });
    await store.create(newRun('run-1'));
    const storeModule = path.resolve(import.meta.dirname, '../../src/runtime/run-store-file.ts');
    const barrier = path.join(dataDir, 'barrier');
    await mkdir(barrier);
    // The children wait for each other (a file each), so their updates overlap.
    const script = `
      import { readdir, writeFile } from 'node:fs/promises';
      import { FileRunStore } from ${JSON.stringify(storeModule)};
      const store = new FileRunStore({ dataDir: ${JSON.stringify(dataDir)} });
      const run = await store.read('run-1');
      await writeFile(${JSON.stringify(barrier)} + '/' + process.pid, '');
      while ((await readdir(${JSON.stringify(barrier)})).length < ${PROCESSES}) await new Promise((r) => setTimeout(r, 2));
      const race = await store.update('run-1', 1, { ...run, state: 'running' });
      let added = 0;
      while (added < ${INCREMENTS}) {
        const current = await store.read('run-1');
        const next = { ...current, state: 'running', attempt: current.attempt + 1 };
        if ((await store.update('run-1', current.revision, next)).ok) added += 1;
      }
      console.log(JSON.stringify(race.ok));
    `;
    const tsx = path.resolve(import.meta.dirname, '../../node_modules/.bin/tsx');
    const outputs = await Promise.all(
      Array.from({ length: PROCESSES }, () =>
        run(tsx, ['--input-type=module', '-e', script], { cwd: dataDir }),
      ),
    );
    const wins = outputs.map(({ stdout }) => JSON.parse(stdout) as boolean).filter(Boolean);
    expect(wins).toHaveLength(1);
    const total = PROCESSES * INCREMENTS;
    expect(await store.read('run-1')).toMatchObject({
      revision: 2 + total,
      attempt: total,
      state: 'running',
    });
  });
});
