/**
 * Fallback chains: validation (duplicates, the primary, cycles through model-level fallbacks with
 * their path), expansion order, and withFallback switching models on a provider error and on a
 * contract failure, each switch recorded, over a fake ModelProvider.
 */
import { describe, expect, it } from 'vitest';
import type { ModelProvider, ModelRequest, ModelResponse } from '../../../src/assistant/provider.js';
import { AitwsError } from '../../../src/errors.js';
import {
  type AttemptResult,
  checkFallback,
  checkModelFallbacks,
  expandChain,
  isFallbackWorthyError,
  withFallback,
} from '../../../src/runtime/ai/fallback.js';

/** Answers with `text`, or throws `error`, per model; records every model asked. */
function fakeProviders(behaviour: Record<string, { text: string } | { error: unknown }>) {
  const asked: string[] = [];
  const providerFor = (model: string): ModelProvider => ({
    model,
    async complete(request: ModelRequest): Promise<ModelResponse> {
      asked.push(model);
      const plan = behaviour[model];
      if (plan === undefined || 'error' in plan) throw plan?.error ?? new Error(`no such model ${model}`);
      return {
        model,
        content: [{ type: 'text', text: plan.text }],
        stopReason: 'end_turn',
        usage: {
          inputTokens: request.userText.length,
          cacheWriteTokens: 0,
          cacheReadTokens: 0,
          outputTokens: 1,
        },
      };
    },
  });
  return { asked, providerFor };
}

const request: ModelRequest = { system: [], tools: [], userText: 'Classify: printer on fire', maxTokens: 50 };

/** The caller's contract: the answer must be JSON with a `label`. */
async function callWithContract(provider: ModelProvider): Promise<AttemptResult<{ label: string }>> {
  const response = await provider.complete(request);
  const text = response.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && 'label' in value && typeof value.label === 'string')
      return { ok: true, value: { label: value.label } };
  } catch {
    // Not JSON: a contract failure like any other.
  }
  return { ok: false, reason: 'output.schema: expected an object with a string label' };
}

describe('checkFallback', () => {
  it('accepts a plain chain', () => {
    expect(checkFallback({ primary: 'model-a', fallback: ['model-b', 'model-c'] })).toEqual([]);
  });

  it('refuses duplicates, the primary and empty ids', () => {
    const problems = checkFallback({ primary: 'a', fallback: ['b', 'a', 'b', ' '] });
    expect(problems.map((problem) => problem.kind)).toEqual(['primary', 'duplicate', 'empty']);
    expect(problems[0]?.message).toBe(
      "fallback lists a, the action's own model; a fallback must be another model.",
    );
  });

  it('refuses a cycle through model-level fallbacks, with its path', () => {
    const problems = checkFallback(
      { primary: 'model-a', fallback: ['model-b', 'model-c'] },
      { 'model-c': ['model-d'], 'model-d': ['model-b'] },
    );
    expect(problems).toEqual([
      {
        kind: 'cycle',
        message:
          'fallback chain has a cycle: model-b → model-c → model-d → model-b. Remove one of these fallbacks.',
        path: ['model-b', 'model-c', 'model-d', 'model-b'],
      },
    ]);
    const back = checkFallback({ primary: 'a', fallback: ['b'] }, { b: ['a'] });
    expect(back[0]?.path).toEqual(['a', 'b', 'a']);
  });

  it("lets the action's chain replace the primary's own fallbacks", () => {
    // a → x at model level would not loop, and the action's chain replaces it anyway.
    expect(checkFallback({ primary: 'a', fallback: ['b'] }, { a: ['x'], x: ['a'] })).toEqual([]);
    expect(expandChain({ primary: 'a', fallback: ['b'] }, { a: ['x'], b: ['c'] })).toEqual(['a', 'b', 'c']);
    expect(expandChain({ primary: 'a', fallback: [] }, { a: ['x'], x: ['y'] })).toEqual(['a', 'x', 'y']);
  });

  it('reports each model-level cycle once', () => {
    const problems = checkModelFallbacks({ b: ['c'], c: ['b'], d: ['e'] });
    expect(problems.map((problem) => problem.path)).toEqual([['b', 'c', 'b']]);
  });
});

describe('withFallback', () => {
  it('switches after a provider error and records why', async () => {
    const unavailable = new AitwsError('AI_UNAVAILABLE', 'the model call failed.', { retryable: true });
    const fake = fakeProviders({
      'model-a': { error: unavailable },
      'model-b': { text: '{"label":"fire"}' },
    });
    const outcome = await withFallback(['model-a', 'model-b'], (model) =>
      callWithContract(fake.providerFor(model)),
    );
    expect(outcome).toEqual({
      ok: true,
      value: { label: 'fire' },
      model: 'model-b',
      switches: [
        {
          from: 'model-a',
          to: 'model-b',
          kind: 'provider_error',
          reason: 'AI_UNAVAILABLE: the model call failed.',
        },
      ],
    });
    expect(fake.asked).toEqual(['model-a', 'model-b']);
  });

  it('switches after a contract failure and records why', async () => {
    const fake = fakeProviders({
      'model-a': { text: 'fire, probably' },
      'model-b': { text: '{"label":"fire"}' },
    });
    const outcome = await withFallback(['model-a', 'model-b', 'model-c'], (model) =>
      callWithContract(fake.providerFor(model)),
    );
    expect(outcome.ok).toBe(true);
    expect(outcome.model).toBe('model-b');
    expect(outcome.switches).toEqual([
      {
        from: 'model-a',
        to: 'model-b',
        kind: 'contract_failure',
        reason: 'output.schema: expected an object with a string label',
      },
    ]);
    expect(fake.asked).toEqual(['model-a', 'model-b']);
  });

  it('reports the chain exhausted with every switch', async () => {
    const fake = fakeProviders({ a: { text: 'no' }, b: { error: new Error('socket hang up') } });
    const outcome = await withFallback(['a', 'b'], (model) => callWithContract(fake.providerFor(model)));
    expect(outcome).toMatchObject({
      ok: false,
      model: 'b',
      kind: 'provider_error',
      reason: 'socket hang up',
    });
    expect(outcome.switches.map((item) => item.kind)).toEqual(['contract_failure']);
  });

  it('rethrows an error no other model would fix', async () => {
    const forbidden = new AitwsError('FORBIDDEN', 'Action X handles PII data.');
    const fake = fakeProviders({ a: { error: forbidden }, b: { text: '{"label":"x"}' } });
    await expect(withFallback(['a', 'b'], (model) => callWithContract(fake.providerFor(model)))).rejects.toBe(
      forbidden,
    );
    expect(fake.asked).toEqual(['a']);
    const abort = new DOMException('cancelled', 'AbortError');
    expect(isFallbackWorthyError(abort)).toBe(false);
    expect(isFallbackWorthyError(new AitwsError('RATE_LIMITED', 'slow down'))).toBe(true);
    await expect(withFallback([], async () => ({ ok: true, value: 1 }))).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });
});
