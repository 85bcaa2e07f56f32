/** `aitws feedback export`, run in-process against the file store and against Redis. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FEEDBACK_USAGE, feedbackCommand } from '../../src/cli/feedback-command.js';
import type { Output } from '../../src/output.js';
import { FileFeedbackStore } from '../../src/runtime/ai/feedback-store-file.js';
import { RedisFeedbackStore } from '../../src/runtime/ai/feedback-store-redis.js';
import type { FeedbackEntry, FeedbackStore } from '../../src/runtime/ai/stores.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { deletePrefix, sharedRedis, uniquePrefix } from '../support/redis.js';

const SCOPE = { channel: 'slack:T1:C1', workflow: 'Digest' };
const OTHER = { channel: 'discord:G1:42', workflow: 'Triage' };

function recorder(): Output & { readonly out_: string[]; readonly err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (line) => out_.push(line), err: (line) => err_.push(line) };
}

function entry(run: string, rating: 'good' | 'bad', minute: number, note?: string): FeedbackEntry {
  return {
    run,
    action: 'Summarise',
    rating,
    ...(note === undefined ? {} : { note }),
    output: `Output of ${run}`,
    prompt: `Prompt of ${run}`,
    by: { id: 'U1', name: 'Ada' },
    at: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
  };
}

async function fill(store: FeedbackStore): Promise<void> {
  await store.add(SCOPE, entry('r2', 'bad', 2, 'too long'));
  await store.add(SCOPE, entry('r1', 'good', 1));
  await store.add(OTHER, entry('r3', 'good', 3));
}

const EXPECTED = [
  {
    channel: SCOPE.channel,
    workflow: 'Digest',
    run: 'r1',
    action: 'Summarise',
    rating: 'good',
    note: null,
    prompt: 'Prompt of r1',
    output: 'Output of r1',
    by: { id: 'U1', name: 'Ada' },
    at: '2026-01-01T00:01:00.000Z',
    messages: [
      { role: 'user', content: 'Prompt of r1' },
      { role: 'assistant', content: 'Output of r1' },
    ],
  },
  {
    channel: SCOPE.channel,
    workflow: 'Digest',
    run: 'r2',
    action: 'Summarise',
    rating: 'bad',
    note: 'too long',
    prompt: 'Prompt of r2',
    output: 'Output of r2',
    by: { id: 'U1', name: 'Ada' },
    at: '2026-01-01T00:02:00.000Z',
  },
];

function parsed(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('aitws feedback export (files)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-feedback-cli-'));
    await fill(new FileFeedbackStore({ dataDir: path.join(dir, 'data') }));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every rating as one JSON line on stdout, good ones with fine-tuning messages', async () => {
    const io = recorder();
    const code = await feedbackCommand(['export', '--data-dir', path.join(dir, 'data')], {}, io);
    expect(code).toBe(0);
    expect(io.err_).toEqual([]);
    const lines = parsed(io.out_);
    expect(lines).toHaveLength(3);
    expect(lines.filter((line) => line.channel === SCOPE.channel)).toEqual(EXPECTED);
    expect(lines.find((line) => line.run === 'r3')).toMatchObject({
      channel: OTHER.channel,
      workflow: 'Triage',
    });
  });

  it('reads AITWS_DATA_DIR, and writes to --output FILE (owner-only) instead of stdout', async () => {
    const io = recorder();
    const file = path.join(dir, 'ratings.jsonl');
    const code = await feedbackCommand(
      ['export', '--output', file],
      { AITWS_DATA_DIR: path.join(dir, 'data') },
      io,
    );
    expect(code).toBe(0);
    expect(io.out_).toEqual([]);
    expect(io.err_).toEqual([`Wrote 3 ratings to ${file}.`]);
    const text = await readFile(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(parsed(text.trimEnd().split('\n'))).toHaveLength(3);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('exports nothing from an empty data dir, and says what to do without "export"', async () => {
    const io = recorder();
    expect(await feedbackCommand(['export', '--data-dir', path.join(dir, 'empty')], {}, io)).toBe(0);
    expect(io.out_).toEqual([]);
    const usage = recorder();
    expect(await feedbackCommand([], {}, usage)).toBe(2);
    expect(usage.err_.join('\n')).toContain(FEEDBACK_USAGE);
  });
});

describe('aitws feedback export (Redis)', () => {
  let redis: { readonly url: string; stop(): Promise<void> };
  let client: RedisClient;
  let prefix: string;
  beforeAll(async () => {
    redis = await sharedRedis();
    client = createRedisClient(redis.url);
  });
  afterAll(async () => {
    await closeRedisClient(client);
    await redis.stop();
  });
  beforeEach(async () => {
    // AITWS_REDIS_PREFIX takes at most 32 characters; uniquePrefix makes longer ones.
    prefix = `fb-${uniquePrefix('x')
      .slice(-20)
      .replace(/[^A-Za-z0-9_.-]/g, '')}`;
    await fill(new RedisFeedbackStore(client, { prefix }));
  });
  afterEach(async () => {
    await deletePrefix(client, prefix);
  });

  it('reads the store REDIS_URL names, under AITWS_REDIS_PREFIX', async () => {
    const io = recorder();
    const code = await feedbackCommand(['export'], { REDIS_URL: redis.url, AITWS_REDIS_PREFIX: prefix }, io);
    expect(code).toBe(0);
    const lines = parsed(io.out_);
    expect(lines).toHaveLength(3);
    expect(lines.filter((line) => line.channel === SCOPE.channel)).toEqual(EXPECTED);
  });
});
