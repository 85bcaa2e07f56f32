import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, decideRetry, retryAfterMs } from '../../src/assistant/provider-retry.js';

function httpError(
  status: number,
  type: string,
  headers: Record<string, string> = {},
  errorCode?: string,
): APIError {
  const body = {
    type: 'error',
    error: { type, message: 'x', details: errorCode === undefined ? null : { error_code: errorCode } },
  };
  return APIError.generate(status, body, undefined, new Headers(headers));
}

const decide = (error: unknown, attempt = 0) =>
  decideRetry(error, attempt, DEFAULT_RETRY_POLICY, 30_000, () => 0);

describe('the retry policy', () => {
  it('retries rate limits, overload and server errors with exponential backoff', () => {
    expect(decide(httpError(429, 'rate_limit_error'))).toEqual({ retry: true, delayMs: 500 });
    expect(decide(httpError(529, 'overloaded_error'), 1)).toEqual({ retry: true, delayMs: 1000 });
    expect(decide(httpError(500, 'api_error'), 1)).toEqual({ retry: true, delayMs: 1000 });
    expect(decide(new APIConnectionError({ message: 'reset' }))).toEqual({ retry: true, delayMs: 500 });
    expect(decide(httpError(529, 'overloaded_error'), 2)).toMatchObject({
      retry: false,
      error: { code: 'ASSISTANT_UNAVAILABLE' },
    });
  });

  it('waits what the server asks, up to a cap', () => {
    expect(decide(httpError(429, 'rate_limit_error', { 'retry-after': '2' }))).toEqual({
      retry: true,
      delayMs: 2000,
    });
    expect(decide(httpError(429, 'rate_limit_error', { 'retry-after-ms': '150' }))).toEqual({
      retry: true,
      delayMs: 150,
    });
    expect(decide(httpError(429, 'rate_limit_error', { 'retry-after': '60' }))).toMatchObject({
      retry: false,
      error: { code: 'RATE_LIMITED', hint: 'Try again in 60 s. Nothing was changed.' },
    });
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4000)).toBe(6000);
    expect(retryAfterMs(new Headers({}))).toBeUndefined();
  });

  it('never retries a spend limit, a billing error, a refused key, a bad request or a timeout', () => {
    for (const code of ['enforced_spend_limit_reached', 'contract_spend_limit_reached']) {
      expect(decide(httpError(429, 'rate_limit_error', { 'x-should-retry': 'true' }, code))).toMatchObject({
        retry: false,
        error: { code: 'BUDGET_EXHAUSTED' },
      });
    }
    expect(decide(httpError(402, 'billing_error'))).toMatchObject({
      retry: false,
      error: { code: 'BUDGET_EXHAUSTED' },
    });
    expect(decide(httpError(401, 'authentication_error'))).toMatchObject({ retry: false });
    expect(decide(httpError(400, 'invalid_request_error'))).toMatchObject({
      retry: false,
      error: { retryable: false },
    });
    expect(decide(new APIConnectionTimeoutError())).toMatchObject({
      retry: false,
      error: { message: 'The assistant did not answer within 30 s.' },
    });
  });

  it('obeys x-should-retry', () => {
    expect(decide(httpError(429, 'rate_limit_error', { 'x-should-retry': 'false' }))).toMatchObject({
      retry: false,
    });
    expect(decide(httpError(400, 'invalid_request_error', { 'x-should-retry': 'true' }))).toEqual({
      retry: true,
      delayMs: 500,
    });
  });
});
