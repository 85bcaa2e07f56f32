/**
 * Which Messages API failures are worth another attempt, and what each one tells a chat user.
 * The SDK's own retries are switched off (maxRetries: 0) because it retries every 429, and a 429
 * that reports a spend limit fails again until someone raises the limit: retrying it only adds
 * latency and load. Decisions rest on the status, the structured `error.details.error_code`,
 * the error type and the retry headers, never on message text.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { AitwsError } from '../errors.js';

export interface RetryPolicy {
  /** Attempts after the first one. */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A 429 asking to wait longer than this is answered at once with "try again in …". */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY = {
  retries: 2,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 20_000,
} as const satisfies RetryPolicy;

/** 429s that report a spending cap rather than a request rate: no retry helps until it is raised. */
const SPEND_LIMIT_CODES: ReadonlySet<string> = new Set([
  'enforced_spend_limit_reached',
  'contract_spend_limit_reached',
]);

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly error: AitwsError };

/** Milliseconds the server asked us to wait, from `retry-after-ms` or `retry-after` (seconds or a date). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const millis = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(millis) && millis >= 0) return millis;
  const raw = headers?.get('retry-after');
  if (raw === null || raw === undefined) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoff(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exponential = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  // Up to a quarter less, so processes that failed together do not retry together.
  return Math.round(exponential * (1 - random() * 0.25));
}

function unavailable(message: string, cause: unknown, retryable = true): AitwsError {
  return new AitwsError('ASSISTANT_UNAVAILABLE', message, {
    retryable,
    cause,
    hint: 'Nothing was changed. /help and /help SECTION work without the assistant.',
  });
}

function spendLimit(cause: unknown): AitwsError {
  return new AitwsError(
    'BUDGET_EXHAUSTED',
    "The assistant's model provider account has reached its spend limit.",
    {
      cause,
      hint: 'Whoever runs this bot can raise the limit in the Anthropic Console. /help works meanwhile.',
    },
  );
}

function rateLimited(waitMs: number | undefined, cause: unknown): AitwsError {
  const wait = waitMs === undefined ? 'in a minute' : `in ${Math.max(1, Math.ceil(waitMs / 1000))} s`;
  return new AitwsError('RATE_LIMITED', 'The assistant is busy: its model provider is limiting requests.', {
    retryable: true,
    cause,
    hint: `Try again ${wait}. Nothing was changed.`,
  });
}

/** The error a chat user sees for an HTTP failure, once no (further) retry is possible. */
function finalError(error: APIError): AitwsError {
  const status = error.status ?? 0;
  if (error.type === 'billing_error' || status === 402) return spendLimit(error);
  if (status === 429) {
    if (error.errorCode !== null && SPEND_LIMIT_CODES.has(error.errorCode)) return spendLimit(error);
    return rateLimited(retryAfterMs(error.headers), error);
  }
  if (status === 401 || status === 403) {
    return new AitwsError('ASSISTANT_UNAVAILABLE', "The model provider refused the assistant's API key.", {
      cause: error,
      hint: 'Whoever runs this bot should check ANTHROPIC_API_KEY. /help works meanwhile.',
    });
  }
  if (status === 529 || error.type === 'overloaded_error')
    return unavailable("The assistant's model is overloaded right now.", error);
  if (status >= 500 || status === 408 || status === 409)
    return unavailable("The assistant's model provider had an error.", error);
  // Any other 4xx means this request itself was refused: the same request would be refused again.
  return unavailable("The model provider refused the assistant's request.", error, false);
}

/**
 * `attempt` counts from 0 for the first failure. Timeouts are not retried: the person has already
 * waited the whole timeout, and a second full wait would outlast any chat client's patience.
 */
export function decideRetry(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  timeoutMs: number,
  random: () => number = Math.random,
): RetryDecision {
  if (error instanceof APIConnectionTimeoutError)
    return {
      retry: false,
      error: unavailable(`The assistant did not answer within ${timeoutMs / 1000} s.`, error),
    };
  if (error instanceof APIConnectionError) {
    return attempt < policy.retries
      ? { retry: true, delayMs: backoff(attempt, policy, random) }
      : { retry: false, error: unavailable('The assistant could not reach its model provider.', error) };
  }
  if (!(error instanceof APIError))
    return { retry: false, error: unavailable("The assistant could not read the model's answer.", error) };
  const final = finalError(error);
  if (attempt >= policy.retries || !retryable(error)) return { retry: false, error: final };
  const asked = retryAfterMs(error.headers);
  if (asked !== undefined && asked > policy.maxRetryAfterMs) return { retry: false, error: final };
  return { retry: true, delayMs: asked ?? backoff(attempt, policy, random) };
}

function retryable(error: APIError): boolean {
  const told = error.headers?.get('x-should-retry');
  if (told === 'false') return false;
  const status = error.status ?? 0;
  if (error.type === 'billing_error' || status === 402) return false;
  if (status === 429) return error.errorCode === null || !SPEND_LIMIT_CODES.has(error.errorCode);
  if (told === 'true') return true;
  return status === 408 || status === 409 || status >= 500;
}
