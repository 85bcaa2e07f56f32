import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelProvider } from '../../../src/assistant/provider.js';
import { createAnthropicProvider } from '../../../src/assistant/provider-anthropic.js';
import { AitwsError } from '../../../src/errors.js';
import {
  type AiInvokeParams,
  checkAiInvoke,
  createAiInvokeExecutor,
} from '../../../src/runtime/executors/ai-invoke.js';
import { answer, apiError, type FakeAnthropic, startFakeAnthropic } from '../../support/fake-anthropic.js';
import { createActionHarness } from './context.js';

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

/** The real provider against the fake Messages API; no backoff sleeps. */
function provider(model?: string): ModelProvider {
  return createAnthropicProvider({
    apiKey: 'sk-ant-test-key',
    baseUrl: fake.url,
    ...(model === undefined ? {} : { model }),
    retry: { retries: 1 },
    sleep: async () => {},
  });
}

const executor = createAiInvokeExecutor({
  providerFor: (model) => provider(model ?? 'claude-default'),
  maxTokensCap: 2000,
});

function params(values: Record<string, unknown>): AiInvokeParams {
  return executor.params.parse(values);
}

async function failure(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

describe('ai.invoke', () => {
  it('sends the prompt as the user turn and the system prompt, and maps the answer', async () => {
    fake.enqueue({
      body: {
        content: [
          { type: 'text', text: 'Three ' },
          { type: 'text', text: 'findings.' },
        ],
        stop_reason: 'end_turn',
        usage: {
          input_tokens: 42,
          output_tokens: 7,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      },
    });
    const harness = await createActionHarness({ action: 'Summarise' });
    const outcome = await executor.run(
      harness.context,
      params({ prompt: 'Summarise the report.', system: 'You are terse.', max_tokens: 300 }),
    );
    expect(outcome).toEqual({
      kind: 'done',
      output: {
        text: 'Three findings.',
        model: 'claude-default',
        stop_reason: 'end_turn',
        usage: { input_tokens: 42, output_tokens: 7 },
        // Not in the price table: no cost is claimed.
        cost_usd: 0,
        attempts: 1,
        repairs: 0,
        fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      },
    });
    expect(fake.requests).toHaveLength(1);
    const body = fake.requests[0]?.body;
    expect(body?.model).toBe('claude-default');
    expect(body?.max_tokens).toBe(300);
    expect(body?.system).toEqual([{ type: 'text', text: 'You are terse.' }]);
    expect(body?.messages).toEqual([{ role: 'user', content: 'Summarise the report.' }]);
    expect(body?.tools).toEqual([]);
  });

  it('uses the model the action names, the default max_tokens, no system prompt, and the cap', async () => {
    const harness = await createActionHarness();
    fake.enqueue(answer('cut short', { stopReason: 'max_tokens' }));
    const outcome = await executor.run(harness.context, params({ prompt: 'Hi', model: 'claude-other' }));
    expect(outcome).toMatchObject({
      output: { text: 'cut short', model: 'claude-other', stop_reason: 'max_tokens' },
    });
    expect(fake.requests[0]?.body?.max_tokens).toBe(1024);
    expect(fake.requests[0]?.body?.system).toEqual([]);

    const over = await failure(executor.run(harness.context, params({ prompt: 'Hi', max_tokens: 100_000 })));
    expect(over.code).toBe('PARAMETER');
    expect(over.message).toContain('max_tokens is 100000; the most allowed is 2000');
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses a missing or empty prompt and unknown parameters', () => {
    for (const bad of [{}, { prompt: '  ' }, { prompt: 'x', max_tokens: 0 }, { prompt: 'x', temprature: 1 }])
      expect(executor.params.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it('fails with AI_UNAVAILABLE when no provider is configured', async () => {
    const none = createAiInvokeExecutor({ providerFor: () => undefined });
    const harness = await createActionHarness({ action: 'Summarise' });
    const error = await failure(none.run(harness.context, params({ prompt: 'Hi' })));
    expect(error.code).toBe('AI_UNAVAILABLE');
    expect(error.hint).toContain('ANTHROPIC_API_KEY');
    expect(fake.requests).toHaveLength(0);
  });

  it('turns provider errors into step errors that say which action failed, without the key', async () => {
    const harness = await createActionHarness({ action: 'Summarise' });
    fake.enqueue(apiError(401, 'authentication_error', { message: 'invalid x-api-key sk-ant-test-key' }));
    const refused = await failure(executor.run(harness.context, params({ prompt: 'Hi' })));
    expect(refused.code).toBe('AI_UNAVAILABLE');
    expect(refused.message).toMatch(/^Summarise: the model call failed: /);
    expect(refused.message).not.toContain('sk-ant');
    expect(refused.retryable).toBe(false);

    fake.enqueue(apiError(429, 'rate_limit_error'), apiError(429, 'rate_limit_error'));
    const limited = await failure(executor.run(harness.context, params({ prompt: 'Hi' })));
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.retryable).toBe(true);
    expect(limited.message).toBe('Summarise: the model provider is limiting requests.');

    fake.enqueue(apiError(529, 'overloaded_error'), apiError(529, 'overloaded_error'));
    const overloaded = await failure(executor.run(harness.context, params({ prompt: 'Hi' })));
    expect(overloaded.code).toBe('AI_UNAVAILABLE');
    expect(overloaded.retryable).toBe(true);
  });

  it('stops waiting when the step is cancelled', async () => {
    const harness = await createActionHarness();
    const controller = new AbortController();
    fake.enqueue({ ...answer('late'), delayMs: 2000 });
    const pending = executor.run(harness.wake({ signal: controller.signal }), params({ prompt: 'Hi' }));
    setTimeout(() => controller.abort(new AitwsError('CANCELLED', 'Cancelled.')), 20);
    const error = await failure(pending);
    expect(error.code).toBe('CANCELLED');
  });
});

describe('ai.invoke pre-flight check', () => {
  it('refuses before the run what the step would refuse: strict without a seed, review without approvers, a misspelt field', () => {
    expect(checkAiInvoke({ prompt: 'x', execution_mode: 'strict' })).toEqual([
      { field: 'with.execution_mode', message: expect.stringContaining('requires a seed') },
    ]);
    expect(
      checkAiInvoke({ prompt: 'x', execution_mode: 'strict', seed: 7, temperature: 0.5 })[0]?.message,
    ).toContain('strict mode requires temperature 0');
    expect(checkAiInvoke({ prompt: 'x', escalate_below: 0.7 })).toEqual([
      { field: 'with.approvers', message: expect.stringContaining('approvers') },
    ]);
    expect(checkAiInvoke({ prompt: 'x', temprature: 1 }).map((problem) => problem.field)).toEqual(['with']);
    expect(checkAiInvoke({ execution_mode: 'strict', seed: 7 })).toEqual([
      { field: 'with.prompt', message: 'ai.invoke needs a prompt.' },
    ]);
    // Templates are rendered at run time, so they are not judged as written.
    expect(
      checkAiInvoke({ prompt: '{{ inputs.q }}', seed: '{{ inputs.seed }}', execution_mode: 'strict' }),
    ).toEqual([]);
  });
});
