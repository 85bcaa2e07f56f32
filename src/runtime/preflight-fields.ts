/**
 * The fields a run reads beyond what the document schema checks (`with`, `retry`, `on_error`,
 * `condition`, `after`, `max_concurrency`, `run_timeout`, and timeouts of more than nothing), read
 * one way for both the plan compiler (which takes the value) and pre-flight (which reports the
 * message: what is wrong and how to write it).
 */
import { parseDuration } from '../document/duration.js';
import { suggest } from '../document/suggest.js';
import { describeValue } from '../document/table-check.js';
import { isTable, newTable } from '../document/tree.js';
import type { TomlTable, TomlValue } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { OnError, RetryPolicy } from './plan-types.js';
import { integerOf } from './preflight-outline.js';

export type Read<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const refused = <T>(message: string): Read<T> => ({ ok: false, message });

/** The value, or `fallback` when the field is refused (pre-flight has reported it). */
export function valueOr<T>(read: Read<T>, fallback: T): T {
  return read.ok ? read.value : fallback;
}

export const DEFAULT_RUN_TIMEOUT_MS = 300_000;
export const DEFAULT_RETRY_INTERVAL_MS = 1000;
export const MAX_RETRIES = 100;
const BACKOFFS = ['fixed', 'exponential'] as const;
const RETRY_KEYS = ['max', 'backoff', 'interval'];

/** A duration of more than nothing; undefined when absent. */
export function readDuration(value: TomlValue | undefined): Read<number | undefined> {
  if (value === undefined) return ok(undefined);
  if (typeof value !== 'string')
    return refused(`got ${describeValue(value)}; write a duration such as "30s"`);
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    if (!(error instanceof AitwsError)) throw error;
    return refused(`${error.message}${error.hint === undefined ? '' : ` ${error.hint}`}`);
  }
  return ms > 0
    ? ok(ms)
    : refused(`${describeValue(value)} is no time at all; write a duration such as "30s"`);
}

/** `[error_handling] run_timeout`, default 300 s. */
export function readRunTimeout(errorHandling: TomlTable | undefined): Read<number> {
  const read = readDuration(errorHandling?.run_timeout);
  return read.ok ? ok(read.value ?? DEFAULT_RUN_TIMEOUT_MS) : read;
}

/** What an action's `retry` defaults to: `[error_handling] retry_count` and `retry_interval`, fixed. */
export function retryDefaults(errorHandling: TomlTable | undefined): RetryPolicy {
  const count = integerOf(errorHandling?.retry_count);
  const interval = readDuration(errorHandling?.retry_interval);
  return {
    max: count !== undefined && count >= 0 && count <= MAX_RETRIES ? count : 0,
    backoff: 'fixed',
    intervalMs: valueOr(interval, undefined) ?? DEFAULT_RETRY_INTERVAL_MS,
  };
}

const RETRY_EXAMPLE = 'retry = { max = 3, backoff = "exponential", interval = "2s" }';

/** `retry = { max, backoff, interval }`; what is not given comes from `defaults`. */
export function readRetry(value: TomlValue | undefined, defaults: RetryPolicy): Read<RetryPolicy> {
  if (value === undefined) return ok(defaults);
  if (!isTable(value)) return refused(`got ${describeValue(value)}; write a table such as ${RETRY_EXAMPLE}`);
  for (const key of Object.keys(value)) {
    if (RETRY_KEYS.includes(key)) continue;
    const near = suggest(key, RETRY_KEYS);
    const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
    return refused(`has an unknown key "${key}"${hint}; it takes max, backoff and interval`);
  }
  const max = value.max === undefined ? defaults.max : integerOf(value.max);
  if (max === undefined || max < 0 || max > MAX_RETRIES) {
    return refused(`max is ${describeValue(value.max)}; write a whole number from 0 to ${MAX_RETRIES}`);
  }
  const backoff = value.backoff ?? defaults.backoff;
  const known = BACKOFFS.find((candidate) => candidate === backoff);
  if (known === undefined) {
    return refused(`backoff is ${describeValue(backoff)}; write "fixed" or "exponential"`);
  }
  const interval = readDuration(value.interval);
  if (!interval.ok) return refused(`interval: ${interval.message}`);
  return ok({ max, backoff: known, intervalMs: interval.value ?? defaults.intervalMs });
}

/** `on_error = "fail" | "continue" | "handler:NAME"`, default fail. */
export function readOnError(value: TomlValue | undefined): Read<OnError> {
  if (value === undefined || value === 'fail') return ok({ kind: 'fail' });
  if (value === 'continue') return ok({ kind: 'continue' });
  if (typeof value === 'string' && value.startsWith('handler:')) {
    const handler = value.slice('handler:'.length).trim();
    if (handler !== '') return ok({ kind: 'handler', handler });
  }
  return refused(
    `${describeValue(value)} is not an on_error value; write "fail", "continue" or "handler:NAME" with NAME a [[handlers]] entry`,
  );
}

/** A field that names an entry (`condition`, `after`); undefined when absent. */
export function readName(value: TomlValue | undefined, what: string): Read<string | undefined> {
  if (value === undefined) return ok(undefined);
  if (typeof value === 'string' && value.trim() !== '') return ok(value);
  return refused(`got ${describeValue(value)}; write the name of ${what}`);
}

/** `with = { ... }`, default an empty table. */
export function readWith(value: TomlValue | undefined): Read<TomlTable> {
  if (value === undefined) return ok(newTable());
  if (isTable(value)) return ok(value);
  return refused(
    `got ${describeValue(value)}; write the parameters as a table, e.g. with = { text = "Hello" }`,
  );
}

/** `max_concurrency`, default the number of tasks. */
export function readMaxConcurrency(value: TomlValue | undefined, tasks: number): Read<number> {
  if (value === undefined) return ok(Math.max(1, tasks));
  const count = integerOf(value);
  if (count === undefined || count < 1) {
    return refused(`got ${describeValue(value)}; write a whole number of at least 1`);
  }
  return ok(count);
}

/** The names in a group's `tasks`, each once; non-strings are left to validation. */
export function readTasks(value: TomlValue | undefined): string[] {
  if (!Array.isArray(value)) return [];
  const tasks: string[] = [];
  for (const item of value) if (typeof item === 'string' && !tasks.includes(item)) tasks.push(item);
  return tasks;
}
