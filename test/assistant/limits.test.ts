/**
 * Cost and abuse limits: question length, per-person and per-channel rate limits, and the daily
 * token budget per workspace, in one process and across two bot processes sharing one Redis.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCore, type Core } from '../../src/app.js';
import type { AssistantLimits } from '../../src/assistant/guard.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';
import type { ChannelKey } from '../../src/session/port.js';
import { answer, type FakeAnthropic, propose, startFakeAnthropic } from '../support/fake-anthropic.js';
import { textOf } from '../support/harness.js';
import { type RedisServer, startRedis, uniquePrefix } from '../support/redis.js';
import { type AssistantHarness, createAssistantHarness, errorCode } from './harness.js';

let h: AssistantHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(limits: Partial<AssistantLimits>): Promise<AssistantHarness> {
  h = await createAssistantHarness({ limits });
  return h;
}

/** Usage the fake reports, so budget arithmetic is exact: 5,000 + 100 = 5,100 billed tokens. */
const FIXED_USAGE = {
  input_tokens: 5000,
  output_tokens: 100,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
};

describe('in one process', () => {
  it('refuses a question over 4,000 characters with the limit, before any request', async () => {
    const harness = await start({});
    const reply = await harness.chat(`/ask ${'why '.repeat(1001)}`);
    expect(errorCode(reply)).toBe('LIMIT');
    expect(textOf(reply)).toContain('(the limit is 4,000)');
    expect(harness.fake.requests).toEqual([]);
    expect((await harness.chat(`/ask ${'y'.repeat(4000)}`)).ok).toBe(true);
    expect(harness.fake.requests).toHaveLength(1);
  });

  it('limits questions per person', async () => {
    const harness = await start({ perUser: { max: 2, windowSeconds: 60 } });
    expect((await harness.chat('/ask one')).ok).toBe(true);
    expect((await harness.chat('/ask two')).ok).toBe(true);
    const third = await harness.chat('/ask three');
    expect(errorCode(third)).toBe('RATE_LIMITED');
    expect(textOf(third)).toContain('at most 2 questions per person in a minute');
    expect((await harness.chat('/ask from bob', 'bob')).ok).toBe(true);
    expect(harness.fake.requests).toHaveLength(3);
  });

  it('limits questions per channel, whoever asks', async () => {
    const harness = await start({ perChannel: { max: 2, windowSeconds: 3600 } });
    await harness.chat('/ask one', 'alice');
    await harness.chat('/ask two', 'bob');
    const third = await harness.chat('/ask three', 'carol');
    expect(errorCode(third)).toBe('RATE_LIMITED');
    expect(textOf(third)).toContain('at most 2 questions per channel in an hour');
    expect(harness.fake.requests).toHaveLength(2);
  });

  it('stops at the daily token budget and counts what the calls really used', async () => {
    const harness = await start({ dailyTokens: 10_000 });
    harness.fake.setDefault(() => ({
      body: { content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage: FIXED_USAGE },
    }));
    expect((await harness.chat('/ask one')).ok).toBe(true);
    expect((await harness.chat('/ask two')).ok).toBe(true);
    const third = await harness.chat('/ask three');
    expect(errorCode(third)).toBe('BUDGET_EXHAUSTED');
    expect(textOf(third)).toContain("today's budget for this workspace (10,000 tokens)");
    expect(textOf(third)).toContain('resets at 00:00 UTC');
    expect(harness.fake.requests).toHaveLength(2);
  });
});

describe('across two bot processes sharing Redis', () => {
  let redis: RedisServer;
  let fake: FakeAnthropic;
  const cores: Core[] = [];
  const channel: ChannelKey = { platform: 'slack', workspace: 'T9', channel: 'C9' };

  beforeAll(async () => {
    redis = await startRedis();
    fake = await startFakeAnthropic();
  });

  afterEach(async () => {
    for (const core of cores.splice(0)) await core.close();
  });

  afterAll(async () => {
    await fake.close();
    await redis.stop();
  });

  function twoProcesses(limits: Partial<AssistantLimits>): [Core, Core] {
    const config = loadConfig({
      REDIS_URL: redis.url,
      AITWS_REDIS_PREFIX: uniquePrefix('ask'),
      ANTHROPIC_API_KEY: 'sk-ant-test-key',
      ANTHROPIC_BASE_URL: fake.url,
    });
    const a = buildCore({ config, logger: silentLogger, assistantLimits: limits });
    const b = buildCore({ config, logger: silentLogger, assistantLimits: limits });
    cores.push(a, b);
    return [a, b];
  }

  const ask = (core: Core, question: string, user = 'alice') =>
    core.dispatcher.handle({ text: `/ask ${question}`, actor: { id: `U-${user}`, name: user }, channel });

  it('share the per-person rate limit', async () => {
    fake.setDefault(() => answer('ok'));
    const [a, b] = twoProcesses({ perUser: { max: 3, windowSeconds: 60 } });
    expect((await ask(a, 'one')).ok).toBe(true);
    expect((await ask(b, 'two')).ok).toBe(true);
    expect((await ask(a, 'three')).ok).toBe(true);
    expect(errorCode(await ask(b, 'four'))).toBe('RATE_LIMITED');
    expect(errorCode(await ask(a, 'five'))).toBe('RATE_LIMITED');
    expect((await ask(b, 'from bob', 'bob')).ok).toBe(true);
  });

  it('share the daily budget of the workspace', async () => {
    fake.setDefault(() => ({
      body: { content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage: FIXED_USAGE },
    }));
    const [a, b] = twoProcesses({ dailyTokens: 10_000 });
    const before = fake.requests.length;
    expect((await ask(a, 'one')).ok).toBe(true);
    expect((await ask(b, 'two')).ok).toBe(true);
    expect(errorCode(await ask(a, 'three'))).toBe('BUDGET_EXHAUSTED');
    expect(errorCode(await ask(b, 'four'))).toBe('BUDGET_EXHAUSTED');
    expect(fake.requests.length - before).toBe(2);
  });

  it('let one process apply the proposal another one made', async () => {
    fake.setDefault(() =>
      propose(['/create name="Shared"', '/add roles name="Auditor" privileges=["read"]'], 'Start.'),
    );
    const [a, b] = twoProcesses({});
    expect((await ask(a, 'start a workflow with an auditor')).ok).toBe(true);
    const applied = await b.dispatcher.handle({
      text: '/apply',
      actor: { id: 'U-bob', name: 'bob' },
      channel,
    });
    expect(textOf(applied)).toMatch(/^bob applied 2 proposed commands as one change · v1/);
    const again = await a.dispatcher.handle({
      text: '/apply',
      actor: { id: 'U-carol', name: 'carol' },
      channel,
    });
    expect(textOf(again)).toContain('already applied by bob');
  });
});
