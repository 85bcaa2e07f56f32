/**
 * ai.invoke under the AI contract, through the real Anthropic SDK against a fake Messages API on
 * loopback: repairs, fallbacks, safety, classification, the cache, ensembles, escalation, the
 * journal and determinism. Stores are the in-memory ones (their own contracts run on files and
 * Redis in stores.test.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelProvider } from '../../../src/assistant/provider.js';
import { createAnthropicProvider } from '../../../src/assistant/provider-anthropic.js';
import { AitwsError } from '../../../src/errors.js';
import { createMetrics } from '../../../src/metrics.js';
import { MemoryWorkspaceBudget } from '../../../src/runtime/ai/budget.js';
import { anthropicProvider, ProviderRegistry } from '../../../src/runtime/ai/capabilities.js';
import { MemoryFeedbackStore } from '../../../src/runtime/ai/feedback-store.js';
import { aiRecordKey, readAiStepRecord } from '../../../src/runtime/ai/record.js';
import { MemoryAiResponseCache, MemoryDriftStore } from '../../../src/runtime/ai/store-memory.js';
import type { Executor } from '../../../src/runtime/executor.js';
import { createAiInvokeExecutor } from '../../../src/runtime/executors/ai-invoke.js';
import { castRunVote } from '../../../src/runtime/executors/human-approval.js';
import { answer, apiError, type FakeAnthropic, startFakeAnthropic } from '../../support/fake-anthropic.js';
import { type ActionHarness, createActionHarness } from '../executors/context.js';

let fake: FakeAnthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

function provider(model?: string): ModelProvider {
  return createAnthropicProvider({
    apiKey: 'sk-ant-test-key',
    baseUrl: fake.url,
    model: model ?? 'claude-sonnet-4-5',
    retry: { retries: 0 },
    sleep: async () => {},
  });
}

interface Setup {
  readonly executor: Executor;
  readonly cache: MemoryAiResponseCache;
  readonly drift: MemoryDriftStore;
  readonly budget: MemoryWorkspaceBudget;
}

function setup(allows: readonly ('PUBLIC' | 'PII' | 'PHI' | 'PROPRIETARY')[] = ['PUBLIC']): Setup {
  const cache = new MemoryAiResponseCache();
  const drift = new MemoryDriftStore();
  const budget = new MemoryWorkspaceBudget(10);
  const registry = new ProviderRegistry([
    anthropicProvider({ defaultModel: 'claude-sonnet-4-5', connect: provider, allows: [...allows] }),
  ]);
  const executor = createAiInvokeExecutor({ registry, maxTokensCap: 4000, cache, drift, budget }) as Executor;
  return { executor, cache, drift, budget };
}

async function run(
  chosen: Setup,
  harness: ActionHarness,
  values: Record<string, unknown>,
): Promise<Awaited<ReturnType<Executor['run']>>> {
  return chosen.executor.run(harness.context, chosen.executor.params.parse(values));
}

async function failure(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

async function recordOf(harness: ActionHarness) {
  const memo = await harness.store.readStepMemo(harness.runId, aiRecordKey(harness.stepKey));
  return memo === null ? undefined : readAiStepRecord(memo.value);
}

const LABEL_SCHEMA = JSON.stringify({
  type: 'object',
  required: ['label', 'confidence'],
  properties: { label: { enum: ['bug', 'question'] }, confidence: { type: 'number' } },
});

describe('ai.invoke: output contract and repair', () => {
  it('repairs a contract failure on the second attempt, sending what was wrong', async () => {
    const chosen = setup();
    const harness = await createActionHarness({ action: 'Classify' });
    fake.enqueue(answer('It is a bug.'), answer('{"label":"bug","confidence":0.9}'));
    const outcome = await run(chosen, harness, {
      prompt: 'Classify: the app crashes',
      output: { schema: LABEL_SCHEMA },
      repair: { max_iterations: 2 },
    });
    expect(outcome).toMatchObject({
      kind: 'done',
      output: { value: { label: 'bug', confidence: 0.9 }, confidence: 0.9, attempts: 2, repairs: 1 },
    });
    expect(fake.requests).toHaveLength(2);
    const second = fake.requests[1]?.body?.messages ?? [];
    expect(second).toHaveLength(3);
    expect(second[1]).toEqual({ role: 'assistant', content: 'It is a bug.' });
    expect(JSON.stringify(second[2])).toContain('did not satisfy the required output format');
    const record = await recordOf(harness);
    expect(record?.attempts.map((attempt) => attempt.ok)).toEqual([false, true]);
    expect(record?.attempts[0]?.reasons.join(' ')).toMatch(/JSON/);
    // The contract's instruction is among the system prompt's formatting rules.
    expect(JSON.stringify(fake.requests[0]?.body?.system)).toContain('matching this JSON Schema');
  });

  it('exhausts the repair loop, then a fallback model answers; the switch is recorded', async () => {
    const chosen = setup();
    const harness = await createActionHarness({ action: 'Classify' });
    fake.enqueue(answer('nope'), answer('still prose'), answer('{"label":"question","confidence":0.8}'));
    const outcome = await run(chosen, harness, {
      prompt: 'Classify: how do I log in?',
      output: { schema: LABEL_SCHEMA },
      repair: { max_iterations: 1 },
      fallback: ['claude-haiku-4-5'],
    });
    expect(outcome).toMatchObject({ kind: 'done', output: { model: 'claude-haiku-4-5', attempts: 3 } });
    expect(fake.requests.map((request) => request.body?.model)).toEqual([
      'claude-sonnet-4-5',
      'claude-sonnet-4-5',
      'claude-haiku-4-5',
    ]);
    const record = await recordOf(harness);
    expect(record?.switches).toEqual([
      expect.objectContaining({
        from: 'claude-sonnet-4-5',
        to: 'claude-haiku-4-5',
        kind: 'contract_failure',
      }),
    ]);
  });

  it('falls back on a provider error too, and fails with every attempt listed when the chain runs out', async () => {
    const chosen = setup();
    const harness = await createActionHarness({ action: 'Classify' });
    fake.enqueue(apiError(529, 'overloaded_error'), answer('{"label":"bug","confidence":1}'));
    const saved = await run(chosen, harness, {
      prompt: 'one',
      output: { schema: LABEL_SCHEMA },
      fallback: ['claude-haiku-4-5'],
    });
    expect(saved).toMatchObject({ output: { model: 'claude-haiku-4-5' } });

    fake.enqueue(answer('x'), answer('y'));
    const other = await createActionHarness({ action: 'Classify', runId: 'run-2' });
    const error = await failure(
      run(chosen, other, {
        prompt: 'two',
        output: { regex: '^(bug|question)$' },
        repair: { max_iterations: 1 },
      }),
    );
    expect(error.code).toBe('AI_OUTPUT_INVALID');
    expect(error.message).toContain('after 2 attempts');
    expect(error.details).toHaveLength(2);
  });

  it('accepts a regex contract and passes the text on', async () => {
    const chosen = setup();
    const harness = await createActionHarness({ action: 'Label' });
    fake.enqueue(answer('question'));
    const outcome = await run(chosen, harness, { prompt: 'Label it', output: { regex: '^(bug|question)$' } });
    expect(outcome).toMatchObject({ output: { text: 'question', attempts: 1 } });
  });
});

describe('ai.invoke: what may leave', () => {
  it('blocks PII before dispatch when the provider does not allow it: no request is made', async () => {
    const chosen = setup(['PUBLIC']);
    const harness = await createActionHarness({ action: 'Reply' });
    const error = await failure(
      run(chosen, harness, { prompt: 'Write to ann@example.com about her card 4111 1111 1111 1111' }),
    );
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).not.toContain('ann@example.com');
    expect(fake.requests).toHaveLength(0);
  });

  it('never sends the value of a secret the workflow uses, however it got into the prompt', async () => {
    const chosen = setup(['PUBLIC', 'PII']);
    const harness = await createActionHarness({
      action: 'Summarise',
      secrets: { CRM_TOKEN: 'crm-7f3a9c1e' },
      document: {
        stages: [{ name: 'S', actions: [{ name: 'Fetch', with: { token: `\${secret:CRM_TOKEN}` } }] }],
      },
    });
    const error = await failure(run(chosen, harness, { prompt: 'The fetch said: auth crm-7f3a9c1e ok' }));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('secret CRM_TOKEN');
    expect(error.message).not.toContain('crm-7f3a9c1e');
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a declared data classification the provider does not allow', async () => {
    const chosen = setup(['PUBLIC', 'PII']);
    const harness = await createActionHarness({ action: 'Triage' });
    const error = await failure(run(chosen, harness, { prompt: 'Triage', data_classification: ['PHI'] }));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('PHI');
    expect(fake.requests).toHaveLength(0);
  });

  it('a safety policy blocks a disallowed topic, redacts PII and raises violation events', async () => {
    const chosen = setup(['PUBLIC', 'PII']);
    const harness = await createActionHarness({ action: 'Draft' });
    const blocked = await failure(
      run(chosen, harness, { prompt: 'Tell me about weapons', safety: { disallowed_topics: ['weapons'] } }),
    );
    expect(blocked.code).toBe('AI_SAFETY');
    expect(fake.requests).toHaveLength(0);
    expect(harness.events.map((event) => event.event)).toContain('safety.violation');

    fake.enqueue(answer('Done.'));
    await run(chosen, harness, { prompt: 'Email bob@example.com the notes', safety: { pii: 'redact' } });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.raw).not.toContain('bob@example.com');
  });
});

describe('ai.invoke: journal, cache and determinism', () => {
  it('identical inputs give byte-identical requests, normalised context included', async () => {
    const chosen = setup();
    const first = await createActionHarness({ runId: 'run-a', action: 'Sum' });
    const second = await createActionHarness({ runId: 'run-b', action: 'Sum' });
    fake.enqueue(answer('ok'), answer('ok'));
    const base = {
      prompt: 'Summarise',
      execution_mode: 'strict',
      seed: 7,
      normalise: ['sort', 'dedupe', 'canonical_json'],
    };
    await run(chosen, first, {
      ...base,
      context: [
        { id: 'tags', value: ['b', 'a', 'b'] },
        { id: 'doc', value: { y: 1, x: 2 } },
      ],
    });
    await run(chosen, second, {
      ...base,
      context: [
        { id: 'tags', value: ['a', 'b'] },
        { id: 'doc', value: { x: 2, y: 1 } },
      ],
    });
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]?.raw).toBe(fake.requests[1]?.raw);
    // Strict mode sends temperature 0.
    expect(fake.requests[0]?.body).toMatchObject({ temperature: 0 });
  });

  it('a resumed step reads its journal instead of asking again', async () => {
    const chosen = setup();
    const harness = await createActionHarness({ action: 'Sum' });
    fake.enqueue(answer('first answer'));
    await run(chosen, harness, { prompt: 'Summarise' });
    const again = await run(chosen, harness, { prompt: 'Summarise' });
    expect(fake.requests).toHaveLength(1);
    expect(again).toMatchObject({ output: { text: 'first answer' } });
    expect((await recordOf(harness))?.cached).toBe(true);
  });

  it('cache = true: a second run with the same request makes no request', async () => {
    const chosen = setup();
    fake.enqueue(answer('cached answer'));
    const first = await createActionHarness({ runId: 'run-c1', action: 'Sum' });
    const second = await createActionHarness({ runId: 'run-c2', action: 'Sum' });
    await run(chosen, first, { prompt: 'Summarise', cache: true });
    const hit = await run(chosen, second, { prompt: 'Summarise', cache: true });
    expect(fake.requests).toHaveLength(1);
    expect(hit).toMatchObject({ output: { text: 'cached answer' } });
    expect((await recordOf(second))?.cached).toBe(true);
    expect(second.logs.some((line) => line.message.includes('response cache'))).toBe(true);
    // Without cache = true the other run asks for itself.
    const third = await createActionHarness({ runId: 'run-c3', action: 'Sum' });
    fake.enqueue(answer('fresh'));
    await run(chosen, third, { prompt: 'Summarise' });
    expect(fake.requests).toHaveLength(2);
  });
});

describe('ai.invoke: ensembles, limits, budget and drift', () => {
  it('an ensemble votes: the majority answer wins, every member recorded', async () => {
    const chosen = setup();
    const harness = await createActionHarness({ action: 'Vote' });
    fake.enqueue(
      answer('{"label":"bug","confidence":0.9}'),
      answer('{"label":"question","confidence":0.6}'),
      answer('{"label":"bug","confidence":0.7}'),
    );
    const outcome = await run(chosen, harness, {
      prompt: 'Classify',
      output: { schema: LABEL_SCHEMA },
      seed: 10,
      ensemble: { members: 3, models: ['claude-sonnet-4-5'], vote: 'field:label' },
    });
    expect(outcome).toMatchObject({ output: { value: { label: 'bug' } } });
    expect(fake.requests).toHaveLength(3);
    const record = await recordOf(harness);
    expect(record?.ensemble?.members).toHaveLength(3);
    expect(record?.ensemble?.reason).toContain('2 of 3 agreed');
  });

  it('an ensemble without seeds on one model resumes to the same vote from its journal', async () => {
    const chosen = setup();
    const harness = await createActionHarness({ action: 'Vote' });
    fake.enqueue(
      answer('{"label":"question","confidence":0.9}'),
      answer('{"label":"bug","confidence":0.6}'),
      answer('{"label":"question","confidence":0.7}'),
    );
    const values = {
      prompt: 'Classify',
      output: { schema: LABEL_SCHEMA },
      ensemble: { members: 3, models: ['claude-sonnet-4-5'], vote: 'field:label' },
    };
    const first = await run(chosen, harness, values);
    const resumed = await run(chosen, harness, values);
    expect(fake.requests).toHaveLength(3);
    expect(resumed).toEqual(first);
    expect(resumed).toMatchObject({ output: { value: { label: 'question' } } });
    expect((await recordOf(harness))?.ensemble?.reason).toContain('2 of 3 agreed');
  });

  it('charges the workspace budget once per step and counts drift; a crossed threshold raises drift_detected', async () => {
    const chosen = setup();
    for (let index = 0; index < 2; index += 1) {
      const harness = await createActionHarness({ runId: `run-d${index}`, action: 'Sum' });
      fake.enqueue(answer('bad'), answer('{"label":"bug","confidence":0.2}'));
      await run(chosen, harness, {
        prompt: `case ${index}`,
        output: { schema: LABEL_SCHEMA },
        drift: { metric: 'validation_failure_rate', threshold: 0.5, min_samples: 2 },
      });
      if (index === 1) expect(harness.events.map((event) => event.event)).toContain('drift_detected');
      else expect(harness.events.map((event) => event.event)).not.toContain('drift_detected');
    }
    const summary = await chosen.drift.summary({ channel: 'console:local:runs', workflow: 'test' }, 'Sum');
    expect(summary).toMatchObject({ samples: 2, validation_failure_rate: 1, repairs: 1 });
    expect(await chosen.budget.remaining('local')).toBeLessThan(10);
  });

  it('refuses a call whose cost may exceed cost_ceiling before sending it', async () => {
    const chosen = setup();
    const harness = await createActionHarness({ action: 'Long' });
    const error = await failure(
      run(chosen, harness, {
        prompt: 'Write a lot',
        model: 'claude-opus-4-5',
        max_tokens: 4000,
        cost_ceiling: '$0.01',
      }),
    );
    expect(error.code).toBe('LIMIT');
    expect(error.message).toMatch(/cost_ceiling of \$0\.01/);
    expect(fake.requests).toHaveLength(0);
  });

  it('fails with the numbers when the model takes longer than latency_budget', async () => {
    const chosen = setup();
    const harness = await createActionHarness({ action: 'Slow' });
    fake.enqueue({ ...answer('late'), delayMs: 1500 });
    const error = await failure(run(chosen, harness, { prompt: 'Hurry', latency_budget: '200ms' }));
    expect(error.code).toBe('LIMIT');
    expect(error.message).toContain('latency_budget of 0.2s');
  });
});

describe('ai.invoke: escalation', () => {
  it('a low-confidence answer waits for review; an approval lets the run go on with it', async () => {
    const chosen = setup();
    const harness = await createActionHarness({
      action: 'Classify',
      document: { roles: [{ name: 'Reviewer', privileges: ['approve'] }] },
    });
    fake.enqueue(answer('{"label":"bug","confidence":0.4}'));
    const params = {
      prompt: 'Classify',
      output: { schema: LABEL_SCHEMA },
      escalate_below: 0.7,
      approvers: ['Reviewer'],
    };
    const waiting = await run(chosen, harness, params);
    expect(waiting).toMatchObject({ kind: 'wait', waitingFor: { kind: 'approval' } });
    expect(harness.notifications[0]?.text).toContain('confidence 0.4 is below 0.7');
    const vote = await castRunVote(harness.store, {
      runId: harness.runId,
      stepKey: harness.stepKey,
      voter: { id: 'U2', name: 'Rita' },
      choice: 'approve',
      now: harness.clock.now(),
      eligible: async (_voter, approvers) => ({ eligible: approvers.includes('Reviewer') }),
    });
    expect(vote).toMatchObject({ kind: 'counted', decision: { decision: 'approved' } });
    const decided = await run(chosen, harness, params);
    expect(decided).toMatchObject({
      kind: 'done',
      output: { value: { label: 'bug' }, confidence: 0.4, review: { decision: 'approved' } },
    });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('ai.invoke: metrics', () => {
  it('counts requests, tokens, cost, repairs and escalations by model; recorded answers apart', async () => {
    const metrics = createMetrics();
    const registry = new ProviderRegistry([
      anthropicProvider({ defaultModel: 'claude-sonnet-4-5', connect: provider, allows: ['PUBLIC'] }),
    ]);
    const executor = createAiInvokeExecutor({ registry, maxTokensCap: 4000, metrics }) as Executor;
    const harness = await createActionHarness({ action: 'Classify' });
    fake.enqueue(answer('nope'), answer('{"label":"bug","confidence":0.9}'));
    const values = { prompt: 'Classify', output: { schema: LABEL_SCHEMA } };
    await executor.run(harness.context, executor.params.parse(values));
    // The same step again: answered from its journal.
    await executor.run(harness.context, executor.params.parse(values));
    const text = await metrics.registry.metrics();
    expect(text).toContain('aitws_ai_requests_total{model="claude-sonnet-4-5",source="model"} 2');
    expect(text).toContain('aitws_ai_requests_total{model="claude-sonnet-4-5",source="recorded"} 2');
    expect(text).toContain('aitws_ai_repairs_total{model="claude-sonnet-4-5"} 1');
    expect(text).toMatch(/aitws_ai_cost_usd_total\{model="claude-sonnet-4-5"\} 0\.0\d+/);
    expect(text).toMatch(/aitws_ai_tokens_total\{model="claude-sonnet-4-5",direction="output"\} \d+/);
  });
});

describe('ai.invoke: envelope, prompt plan and feedback examples', () => {
  it('records the envelope (origin, correlation id, control, input) and trims context to max_context_tokens', async () => {
    const chosen = setup();
    const harness = await createActionHarness({ action: 'Brief' });
    fake.enqueue(answer('ok'));
    await run(chosen, harness, {
      prompt: 'Brief me',
      max_tokens: 200,
      max_context_tokens: 60,
      context: [
        { id: 'old', value: 'a'.repeat(400) },
        { id: 'new', value: 'recent news' },
      ],
    });
    const record = await recordOf(harness);
    expect(record).toMatchObject({
      correlation_id: `${harness.runId}/${harness.stepKey}`,
      origin: { platform: 'console', run: harness.runId, action: 'Brief', attempt: 1 },
      control: { max_tokens: 200 },
      truncations: 1,
      trimmed: [{ block: 'old', action: 'dropped' }],
    });
    const sent = fake.requests[0]?.raw ?? '';
    expect(sent).toContain('recent news');
    expect(sent).not.toContain('aaaa');
  });

  it('feedback = { examples = N } puts the best-rated earlier answers into the prompt', async () => {
    const feedback = new MemoryFeedbackStore();
    const scope = { channel: 'console:local:runs', workflow: 'test' };
    const by = { id: 'U1', name: 'Ada' };
    const rate = (run: string, output: string, rating: 'good' | 'bad') =>
      feedback.add(scope, {
        run,
        action: 'Reply',
        rating,
        output,
        prompt: 'p',
        by,
        at: '2026-01-01T00:00:00Z',
      });
    await rate('r1', 'A warm, short answer.', 'good');
    await rate('r2', 'A rude answer.', 'bad');
    const registry = new ProviderRegistry([
      anthropicProvider({ defaultModel: 'claude-sonnet-4-5', connect: provider }),
    ]);
    const executor = createAiInvokeExecutor({ registry, maxTokensCap: 4000, feedback }) as Executor;
    const harness = await createActionHarness({ action: 'Reply' });
    fake.enqueue(answer('ok'));
    await executor.run(
      harness.context,
      executor.params.parse({ prompt: 'Answer the customer', feedback: { examples: 3 } }),
    );
    const sent = fake.requests[0]?.raw ?? '';
    expect(sent).toContain('A warm, short answer.');
    expect(sent).not.toContain('A rude answer.');
  });
});
