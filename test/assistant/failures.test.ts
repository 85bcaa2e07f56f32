import { afterEach, describe, expect, it } from 'vitest';
import { answer, apiError, propose } from '../support/fake-anthropic.js';
import { textOf } from '../support/harness.js';
import { type AssistantHarness, createAssistantHarness, errorCode } from './harness.js';

let h: AssistantHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(options: Parameters<typeof createAssistantHarness>[0] = {}): Promise<AssistantHarness> {
  h = await createAssistantHarness(options);
  return h;
}

/** Every failure is a reply that says what happened, and the draft is untouched. */
async function expectCleanFailure(harness: AssistantHarness, text: string, code: string): Promise<string> {
  const reply = await harness.chat(text);
  expect(reply.ok).toBe(false);
  expect(errorCode(reply)).toBe(code);
  expect(reply.buttons).toEqual([]);
  expect((await harness.store.read(harness.channel)).version).toBe(1);
  return textOf(reply);
}

describe('provider failures', () => {
  it('retries a 429 rate limit after the time it asks for, then answers', async () => {
    const harness = await start();
    harness.fake.enqueue(
      apiError(429, 'rate_limit_error', { headers: { 'retry-after': '0' } }),
      answer('Fine now.'),
    );
    const reply = await harness.chat('/ask hello');
    expect(textOf(reply)).toBe('Fine now.');
    expect(harness.fake.requests).toHaveLength(2);
  });

  it('retries 529 overloaded with backoff, then answers', async () => {
    const harness = await start();
    harness.fake.enqueue(
      apiError(529, 'overloaded_error'),
      apiError(529, 'overloaded_error'),
      answer('Back.'),
    );
    expect(textOf(await harness.chat('/ask hello'))).toBe('Back.');
    expect(harness.fake.requests).toHaveLength(3);
  });

  it('gives up on a 429 after the retries, telling the person to try again', async () => {
    const harness = await start();
    for (let i = 0; i < 3; i++) harness.fake.enqueue(apiError(429, 'rate_limit_error'));
    const text = await expectCleanFailure(harness, '/ask hello', 'RATE_LIMITED');
    expect(text).toMatch(/model provider is limiting requests[\s\S]*Try again in a minute/);
    expect(harness.fake.requests).toHaveLength(3);
  });

  it('does not wait out a long retry-after: one request, and the wait is in the reply', async () => {
    const harness = await start();
    harness.fake.enqueue(apiError(429, 'rate_limit_error', { headers: { 'retry-after': '120' } }));
    expect(await expectCleanFailure(harness, '/ask hello', 'RATE_LIMITED')).toContain('Try again in 120 s');
    expect(harness.fake.requests).toHaveLength(1);
  });

  it('does not retry a spend-limit 429', async () => {
    const harness = await start();
    harness.fake.enqueue(
      apiError(429, 'rate_limit_error', { errorCode: 'enforced_spend_limit_reached' }),
      answer('must not be reached'),
    );
    const text = await expectCleanFailure(harness, '/ask hello', 'BUDGET_EXHAUSTED');
    expect(text).toContain('spend limit');
    expect(harness.fake.requests).toHaveLength(1);
  });

  it('does not retry a billing error or a 429 the server says not to retry', async () => {
    const harness = await start();
    harness.fake.enqueue(apiError(402, 'billing_error'));
    await expectCleanFailure(harness, '/ask hello', 'BUDGET_EXHAUSTED');
    harness.fake.enqueue(apiError(429, 'rate_limit_error', { headers: { 'x-should-retry': 'false' } }));
    await expectCleanFailure(harness, '/ask hello', 'RATE_LIMITED');
    expect(harness.fake.requests).toHaveLength(2);
  });

  it('retries a 500, and after the last retry says the provider had an error', async () => {
    const harness = await start();
    for (let i = 0; i < 3; i++) harness.fake.enqueue(apiError(500, 'api_error'));
    const text = await expectCleanFailure(harness, '/ask hello', 'ASSISTANT_UNAVAILABLE');
    expect(text).toContain("The assistant's model provider had an error.");
    expect(harness.fake.requests).toHaveLength(3);
  });

  it('answers a refused API key with what to check, without retrying', async () => {
    const harness = await start();
    harness.fake.enqueue(apiError(401, 'authentication_error'));
    expect(await expectCleanFailure(harness, '/ask hello', 'ASSISTANT_UNAVAILABLE')).toContain(
      'ANTHROPIC_API_KEY',
    );
    expect(harness.fake.requests).toHaveLength(1);
  });

  it('times out a request that takes too long, once', async () => {
    const harness = await start({ timeoutMs: 300 });
    harness.fake.enqueue({ ...answer('too late'), delayMs: 3000 });
    const started = Date.now();
    const text = await expectCleanFailure(harness, '/ask hello', 'ASSISTANT_UNAVAILABLE');
    expect(text).toContain('did not answer within 0.3 s');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(harness.fake.requests).toHaveLength(1);
  });

  it('refuses malformed tool input whole', async () => {
    const harness = await start();
    harness.fake.enqueue(propose('/add roles name="X"', 'not a list'));
    const text = await expectCleanFailure(harness, '/ask add a role', 'ASSISTANT_BAD_ANSWER');
    expect(text).toContain("The assistant's proposal was malformed, so nothing was proposed.");
    expect(text).toContain('commands:');
    harness.fake.enqueue(propose([], 'empty'));
    await expectCleanFailure(harness, '/ask add a role', 'ASSISTANT_BAD_ANSWER');
    harness.fake.enqueue({
      body: {
        content: [{ type: 'tool_use', id: 't', name: 'apply_now', input: {} }],
        stop_reason: 'tool_use',
      },
    });
    expect(await expectCleanFailure(harness, '/ask add a role', 'ASSISTANT_BAD_ANSWER')).toContain(
      'a tool it does not have',
    );
  });

  it('refuses a proposal cut off by max_tokens, and marks a cut-off text answer', async () => {
    const harness = await start();
    harness.fake.enqueue({
      body: {
        content: [
          {
            type: 'tool_use',
            id: 't',
            name: 'propose_commands',
            input: { commands: ['/add roles name="Aud'] },
          },
        ],
        stop_reason: 'max_tokens',
      },
    });
    expect(await expectCleanFailure(harness, '/ask add an auditor', 'ASSISTANT_BAD_ANSWER')).toContain(
      'cut off',
    );
    harness.fake.enqueue(answer('The first half of a long', { stopReason: 'max_tokens' }));
    const partial = await harness.chat('/ask explain everything');
    expect(partial.ok).toBe(true);
    expect(textOf(partial)).toContain(
      'The first half of a long\n(The answer was cut off at its length limit',
    );
  });

  it('answers a response body cut off mid-JSON with a clear reply', async () => {
    const harness = await start();
    const cut =
      '{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t","name":"propose_commands","input":{"commands":["/add roles na';
    harness.fake.enqueue({ rawBody: cut });
    const text = await expectCleanFailure(harness, '/ask add a role', 'ASSISTANT_UNAVAILABLE');
    expect(text).toContain("could not read the model's answer");
  });

  it('releases the budget a failed call had reserved', async () => {
    const harness = await start({ limits: { dailyTokens: 10_000 } });
    for (let i = 0; i < 3; i++) harness.fake.enqueue(apiError(500, 'api_error'));
    await expectCleanFailure(harness, '/ask hello', 'ASSISTANT_UNAVAILABLE');
    harness.fake.enqueue(answer('Still within budget.'));
    expect(textOf(await harness.chat('/ask hello'))).toBe('Still within budget.');
  });
});
