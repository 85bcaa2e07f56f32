/**
 * ConditionError and the messages it carries: a cel-js error (or anything thrown while parsing or
 * evaluating) turned into one sentence that says where, what went wrong and what was expected.
 */
import { TypeError as CelTypeError, EvaluationError, ParseError } from '@marcbachmann/cel-js';
import { AitwsError, type ErrorCode } from '../errors.js';
import { excerptAt, positionAt, type SourcePosition } from './source-position.js';

export type ConditionErrorKind = 'syntax' | 'type' | 'limit' | 'runtime';

/** A condition that cannot be compiled or evaluated; `message` is safe to show a chat user. */
export class ConditionError extends AitwsError {
  readonly kind: ConditionErrorKind;
  readonly expression: string;
  readonly position: SourcePosition | undefined;
  constructor(
    kind: ConditionErrorKind,
    expression: string,
    message: string,
    options: { position?: SourcePosition; hint?: string; code?: ErrorCode } = {},
  ) {
    // A refused expression is a validation finding; data too large to evaluate is a LIMIT.
    super(options.code ?? 'VALIDATION', message, {
      ...(options.hint === undefined ? {} : { hint: options.hint }),
      ...(options.position === undefined ? {} : { details: [excerptAt(expression, options.position)] }),
    });
    this.name = 'ConditionError';
    this.kind = kind;
    this.expression = expression;
    this.position = options.position;
  }
}

/** Turns a cel-js error (or anything thrown while parsing/evaluating) into a ConditionError. */
export function fromCelError(kind: ConditionErrorKind, expression: string, error: unknown): ConditionError {
  if (error instanceof ParseError || error instanceof CelTypeError || error instanceof EvaluationError) {
    const offset = error.range?.start ?? error.node?.start ?? 0;
    const errorKind = error instanceof ParseError && isLimitCode(error.code) ? 'limit' : kind;
    return compileError(
      errorKind,
      expression,
      offset,
      summaryOf(error),
      expectedFor(errorKind, error.code, error),
    );
  }
  if (error instanceof RangeError) {
    // V8's "Invalid string length" / "Maximum call stack size exceeded": a value grew too large.
    return new ConditionError(
      'limit',
      expression,
      `Condition ${quote(expression)} needed too much memory or depth.`,
      {
        code: 'LIMIT',
      },
    );
  }
  return new ConditionError('runtime', expression, `Condition ${quote(expression)} could not be evaluated.`);
}

/** A ConditionError at `offset`: what is wrong (`problem`) and, if known, what was `expected`. */
export function compileError(
  kind: ConditionErrorKind,
  expression: string,
  offset: number,
  problem: string,
  expected: string | undefined,
): ConditionError {
  const position = positionAt(expression, offset);
  const what = { syntax: 'is not valid', type: 'has a type error', limit: 'is too large', runtime: 'failed' }[
    kind
  ];
  const tail = expected === undefined ? '' : ` (expected ${expected})`;
  return new ConditionError(
    kind,
    expression,
    `Condition ${quote(expression)} ${what} at line ${position.line}, column ${position.column}: ${problem}${tail}.`,
    { position, ...hintFor(kind, problem) },
  );
}

/** cel-js's summary without its trailing period, or a generic phrase if it has none. */
function summaryOf(error: ParseError | CelTypeError | EvaluationError): string {
  const summary =
    typeof error.summary === 'string' && error.summary !== '' ? error.summary : 'invalid expression';
  return summary.replace(/\.$/, '');
}

function isLimitCode(code: string): boolean {
  return /limit|max/i.test(code);
}

/** What the author should have written, where cel-js's own message does not say. */
function expectedFor(
  kind: ConditionErrorKind,
  code: string,
  error: Error & { summary?: string },
): string | undefined {
  if (typeof error.summary === 'string' && /^expected\b/i.test(error.summary)) return undefined;
  if (kind === 'limit') return 'a shorter or less deeply nested expression';
  if (code === 'unknown_variable') return 'one of inputs, steps or run';
  if (code === 'no_such_overload' || code === 'no_matching_overload') {
    return 'values of types that the operator or function accepts';
  }
  if (code === 'no_such_key' || code === 'index_out_of_bounds') return undefined;
  if (kind === 'syntax') return 'a complete CEL expression';
  return undefined;
}

function hintFor(kind: ConditionErrorKind, problem: string): { hint?: string } {
  if (kind === 'runtime' && /^No such key/i.test(problem)) {
    return { hint: 'Use has(inputs.x) (or has(steps.A.output.y)) to test whether a key is present first.' };
  }
  if (kind === 'type' && /\b(int \S+ double|double \S+ int)\b/.test(problem)) {
    return { hint: 'CEL does not mix ints and doubles in ==; write 1.0 for a double or int(x) to convert.' };
  }
  return {};
}

/** The expression as quoted in messages: JSON-quoted, shortened if long. */
export function quote(expression: string): string {
  const oneLine = expression.replace(/\s+/g, ' ').trim();
  return JSON.stringify(oneLine.length > 120 ? `${oneLine.slice(0, 120)}…` : oneLine);
}

/** CEL's name for a JavaScript value produced by cel-js. */
export function celTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return 'an int';
  if (typeof value === 'number') return 'a double';
  if (typeof value === 'string') return 'a string';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof Date) return 'a timestamp';
  if (value instanceof Map || typeof value === 'object') return 'a map';
  return 'an unsupported value';
}
