/**
 * Regular expressions from workflow authors, matched in time linear in the text.
 *
 * JavaScript's RegExp backtracks, so a pattern such as `(a+)+$` against a long run of `a`s followed
 * by `!` takes exponential time and would hang the worker evaluating a condition. `re2js` is a
 * pure-JavaScript port of RE2 (no native code, no `eval`/`new Function`: checked in its build): it
 * compiles a pattern to an automaton and never backtracks, so a match costs O(text × program).
 * The price is RE2's syntax: no lookaround and no backreferences, which is also what CEL's
 * `matches` is specified to use.
 *
 * Bounded here: the pattern's length and its compiled program size (RE2 itself caps repeat counts
 * at 1000), so the per-character cost of a match stays small; the text is not bounded (linear).
 */
import { RE2JS, RE2JSException } from 're2js';
import { AitwsError } from '../errors.js';

export const REGEX_LIMITS = Object.freeze({
  /** Characters in a pattern; a condition is at most 4 KiB anyway, but a pattern can come from data. */
  maxPatternLength: 1024,
  /** RE2's own "cost" measure of a compiled pattern: instructions run per character at most. */
  maxProgramSize: 4096,
  /** Compiled patterns kept for reuse (conditions are evaluated many times with the same literal). */
  cacheSize: 128,
});

/** A pattern that cannot be used, with the reason in RE2's words; `message` is safe to show. */
export class RegexError extends AitwsError {
  readonly pattern: string;
  constructor(pattern: string, reason: string) {
    super('VALIDATION', `Invalid regular expression ${quotePattern(pattern)}: ${reason}.`, {
      hint: 'Patterns use RE2 syntax: no lookahead, lookbehind or backreferences.',
    });
    this.name = 'RegexError';
    this.pattern = pattern;
  }
}

const cache = new Map<string, RE2JS>();

/** Compiles (or reuses) `pattern`; throws RegexError when it is malformed or too costly. */
export function compileSafeRegex(pattern: string): RE2JS {
  const cached = cache.get(pattern);
  if (cached !== undefined) return cached;
  const compiled = compileUncached(pattern);
  remember(pattern, compiled);
  return compiled;
}

/** Whether `pattern` matches anywhere in `text` (RE2 partial match, as CEL's `matches` is defined). */
export function safeRegexTest(text: string, pattern: string): boolean {
  return compileSafeRegex(pattern).test(text);
}

function compileUncached(pattern: string): RE2JS {
  if (pattern.length > REGEX_LIMITS.maxPatternLength) {
    throw new RegexError(pattern, `it is longer than ${REGEX_LIMITS.maxPatternLength} characters`);
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    throw new RegexError(pattern, re2Reason(error));
  }
  if (compiled.programSize() > REGEX_LIMITS.maxProgramSize) {
    throw new RegexError(pattern, 'it is too complex (use fewer or smaller repetitions)');
  }
  return compiled;
}

/** Keeps the cache bounded: the oldest entry goes first (Map iterates in insertion order). */
function remember(pattern: string, compiled: RE2JS): void {
  if (cache.size >= REGEX_LIMITS.cacheSize) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(pattern, compiled);
}

/** RE2's syntax messages read "error parsing regexp: missing closing ): `(a`"; keep the useful part. */
function re2Reason(error: unknown): string {
  if (!(error instanceof RE2JSException)) return 'it could not be compiled';
  return error.message.replace(/^error parsing regexp:\s*/, '');
}

function quotePattern(pattern: string): string {
  const shown = pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern;
  return JSON.stringify(shown);
}
