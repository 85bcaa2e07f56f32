/**
 * Workflow conditions: `[[conditions]] expression = "…"` is CEL over `inputs`, `steps` and `run`
 * (each a map(string, dyn)). An expression is parsed and type-checked once, when a workflow is
 * submitted or approved, so pre-flight can refuse it with a position; it is evaluated each time
 * an action or stage with `condition = "Name"` is reached, and must yield a bool.
 *
 * Library: `@marcbachmann/cel-js` (zero dependencies). It interprets its own AST: it uses neither
 * `eval` nor `new Function` (checked in its lib/ sources; the only `RegExp` it builds is the one
 * in `string.matches`, which is refused: see cel-environment.ts), and reads own properties only.
 *
 * This is the public entry point. The pieces:
 *   cel-environment.ts  the cel-js environment, the RE2-backed `matches`, CONDITION_LIMITS
 *   cel-analysis.ts     the AST walk: referenced steps and the rules cel-js cannot enforce
 *   cel-context.ts      the RuntimeContext copied into what cel-js reads (bounded)
 *   cel-errors.ts       ConditionError and its messages (position, what was expected, hints)
 */
import type { ParseResult } from '@marcbachmann/cel-js';
import { analyse } from './cel-analysis.js';
import { toCelContext } from './cel-context.js';
import { CONDITION_LIMITS, celEnvironment } from './cel-environment.js';
import { ConditionError, celTypeName, compileError, fromCelError, quote } from './cel-errors.js';
import type { RuntimeContext } from './runtime-context.js';

export { CONDITION_LIMITS } from './cel-environment.js';
export { ConditionError, type ConditionErrorKind } from './cel-errors.js';
export type { RuntimeContext } from './runtime-context.js';
export type { SourcePosition } from './source-position.js';

export interface CompiledCondition {
  readonly expression: string;
  /** Steps the expression names as `steps.NAME` or `steps["NAME"]` (see referencedSteps). */
  readonly steps: readonly string[];
  /** Evaluates to a strict boolean; throws ConditionError (a runtime error) otherwise. */
  evaluate(context: RuntimeContext): boolean;
}

/** Parses and type-checks `expression`; throws ConditionError with the position when it is refused. */
export function compileCondition(expression: string): CompiledCondition {
  const parsed = parseExpression(expression);
  const analysis = analyse(parsed.ast);
  if (analysis.violation !== undefined) {
    const { node, message, expected } = analysis.violation;
    throw compileError('syntax', expression, node.start, message, expected);
  }
  checkType(expression, parsed);
  return {
    expression,
    steps: analysis.steps,
    evaluate: (context) => evaluateParsed(expression, parsed, context),
  };
}

/**
 * The step names `expression` reads as `steps.NAME` or `steps["NAME"]` (including inside `has()`),
 * in order of first use, from the parsed AST. A dynamic index (`steps[inputs.which]`) names no step
 * and is not reported; neither is iterating over `steps` itself. A comprehension variable that
 * shadows `steps` is respected. Throws ConditionError on a syntax error.
 */
export function referencedSteps(expression: string): string[] {
  return analyse(parseExpression(expression).ast).steps;
}

function parseExpression(expression: string): ParseResult {
  if (expression.length > CONDITION_LIMITS.maxExpressionLength) {
    throw new ConditionError(
      'limit',
      expression,
      `Condition ${quote(expression)} is ${expression.length} characters long; at most ${CONDITION_LIMITS.maxExpressionLength} are allowed.`,
    );
  }
  if (expression.trim() === '') {
    throw compileError(
      'syntax',
      expression,
      0,
      'the expression is empty',
      'a bool expression such as inputs.x == "y"',
    );
  }
  try {
    return celEnvironment().parse(expression);
  } catch (error) {
    throw fromCelError('syntax', expression, error);
  }
}

function checkType(expression: string, parsed: ParseResult): void {
  const result = parsed.check();
  if (!result.valid) throw fromCelError('type', expression, result.error);
  // `dyn` (e.g. `inputs.flag`) can only be judged when evaluated; anything else must be bool.
  if (result.type !== 'bool' && result.type !== 'dyn') {
    throw compileError(
      'type',
      expression,
      parsed.ast.start,
      `the expression evaluates to ${result.type ?? 'an unknown type'}`,
      'a bool (true or false), e.g. a comparison such as x == 1',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluating

function evaluateParsed(expression: string, parsed: ParseResult, context: RuntimeContext): boolean {
  const values = toCelContext(expression, context);
  let result: unknown;
  try {
    result = parsed(values);
  } catch (error) {
    throw fromCelError('runtime', expression, error);
  }
  if (typeof result !== 'boolean') {
    throw new ConditionError(
      'runtime',
      expression,
      `Condition ${quote(expression)} evaluated to ${celTypeName(result)}; expected a bool (true or false).`,
      { hint: 'Compare the value, e.g. inputs.flag == true or size(inputs.items) > 0.' },
    );
  }
  return result;
}
