/**
 * The cel-js environment conditions are parsed and evaluated in, and the limits that bound them.
 *
 * Regex safety: the built-in `x.matches(p)` uses JavaScript's backtracking RegExp, so `(a+)+$`
 * could hang the worker. cel-js refuses to register a second `string.matches(string)` (it
 * "overlaps" the built-in) and offers no way to remove one, so `x.matches(p)` is refused at
 * compile time (cel-analysis.ts) and CEL's standard global form `matches(x, p)` is provided here
 * instead, backed by RE2 (src/runtime/safe-regex.ts: linear time). A literal pattern is compiled at
 * compile time too, so a malformed one is a pre-flight error with its position.
 *
 * What is bounded (CONDITION_LIMITS): expression length; AST nodes, nesting depth, literal list and
 * map sizes, and call arguments (cel-js parser limits); comprehension macros (all, exists,
 * exists_one, map, filter) at most 2 deep and 8 per expression; `cel.bind` is refused (nested binds
 * could double a list once per level); the context handed to an evaluation (values and depth).
 * Not bounded: cost polynomial in the data, e.g. `l.all(x, l.exists(y, x == y))` is |l|²; cel-js has
 * no cost budget or hook to count steps, so a runtime that lets very large step outputs reach a
 * condition should also evaluate it under a deadline.
 */
import { Environment, EvaluationError } from '@marcbachmann/cel-js';
import { RegexError, safeRegexTest } from './safe-regex.js';

export const CONDITION_LIMITS = Object.freeze({
  maxExpressionLength: 4096,
  maxAstNodes: 1024,
  maxDepth: 32,
  maxListElements: 64,
  maxMapEntries: 64,
  maxCallArguments: 8,
  maxComprehensionDepth: 2,
  maxComprehensions: 8,
  /** Values (scalars, lists, maps) in the context one evaluation sees. */
  maxContextValues: 100_000,
  maxContextDepth: 64,
});

/** The variables a condition reads, each a map(string, dyn). */
export const CONDITION_VARIABLES = ['inputs', 'steps', 'run'] as const;

// The environment is built once (cel-js documents it as the expensive part).
let environment: Environment | undefined;

export function celEnvironment(): Environment {
  environment ??= createEnvironment();
  return environment;
}

function createEnvironment(): Environment {
  const env = new Environment({
    limits: {
      maxAstNodes: CONDITION_LIMITS.maxAstNodes,
      maxDepth: CONDITION_LIMITS.maxDepth,
      maxListElements: CONDITION_LIMITS.maxListElements,
      maxMapEntries: CONDITION_LIMITS.maxMapEntries,
      maxCallArguments: CONDITION_LIMITS.maxCallArguments,
    },
  });
  for (const name of CONDITION_VARIABLES) env.registerVariable(name, 'map<string, dyn>');
  env.registerFunction('matches(string, string): bool', celMatches, {
    description: 'Whether the RE2 pattern (second) matches anywhere in the text (first).',
  });
  return env;
}

/** The RE2-backed `matches`; a bad pattern is an EvaluationError, which cel-js gives a position. */
function celMatches(text: unknown, pattern: unknown): boolean {
  if (typeof text !== 'string' || typeof pattern !== 'string') {
    throw new EvaluationError('matches(text, pattern) needs two strings');
  }
  try {
    return safeRegexTest(text, pattern);
  } catch (error) {
    if (error instanceof RegexError) throw new EvaluationError(error.message);
    throw error;
  }
}
