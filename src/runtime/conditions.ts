/**
 * Workflow conditions: `[[conditions]] expression = "…"` is CEL over `inputs`, `steps` and `run`
 * (each a map(string, dyn)). An expression is parsed and type-checked once, when a workflow is
 * submitted or approved, so pre-flight can refuse it with a position; it is evaluated each time
 * an action or stage with `condition = "Name"` is reached, and must yield a bool.
 *
 * Library: `@marcbachmann/cel-js` (zero dependencies). It interprets its own AST: it uses neither
 * `eval` nor `new Function` (checked in its lib/ sources; the only `RegExp` it builds is the one
 * in `string.matches`, replaced below), and reads own properties only.
 *
 * Regex safety: the built-in `x.matches(p)` uses JavaScript's backtracking RegExp, so `(a+)+$`
 * could hang the worker. cel-js refuses to register a second `string.matches(string)` (it
 * "overlaps" the built-in) and offers no way to remove one, so `x.matches(p)` is refused at
 * compile time and CEL's standard global form `matches(x, p)` is provided instead, backed by RE2
 * (src/runtime/safe-regex.ts: linear time). A literal pattern is compiled at compile time too, so
 * a malformed one is a pre-flight error with its position.
 *
 * What is bounded (CONDITION_LIMITS): expression length; AST nodes, nesting depth, literal list and
 * map sizes, and call arguments (cel-js parser limits); comprehension macros (all, exists,
 * exists_one, map, filter) at most 2 deep and 8 per expression; `cel.bind` is refused (nested binds
 * could double a list once per level); the context handed to an evaluation (values and depth).
 * Not bounded: cost polynomial in the data, e.g. `l.all(x, l.exists(y, x == y))` is |l|²; cel-js has
 * no cost budget or hook to count steps, so a runtime that lets very large step outputs reach a
 * condition should also evaluate it under a deadline.
 */
import {
  type ASTNode,
  TypeError as CelTypeError,
  Environment,
  EvaluationError,
  ParseError,
  type ParseResult,
} from '@marcbachmann/cel-js';
import { AitwsError, type ErrorCode } from '../errors.js';
import { compileSafeRegex, RegexError, safeRegexTest } from './safe-regex.js';
import { excerptAt, positionAt, type RuntimeContext, type SourcePosition } from './templates.js';

export type { RuntimeContext, SourcePosition } from './templates.js';

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

export interface CompiledCondition {
  readonly expression: string;
  /** Steps the expression names as `steps.NAME` or `steps["NAME"]` (see referencedSteps). */
  readonly steps: readonly string[];
  /** Evaluates to a strict boolean; throws ConditionError (a runtime error) otherwise. */
  evaluate(context: RuntimeContext): boolean;
}

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

const VARIABLES = ['inputs', 'steps', 'run'] as const;
const COMPREHENSIONS: ReadonlySet<string> = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

// ---------------------------------------------------------------------------------------------
// The environment: built once (cel-js documents it as the expensive part).

let environment: Environment | undefined;

function celEnvironment(): Environment {
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
  for (const name of VARIABLES) env.registerVariable(name, 'map<string, dyn>');
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

// ---------------------------------------------------------------------------------------------
// Compiling

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
// AST analysis: referenced steps and the rules cel-js cannot enforce itself

interface Violation {
  readonly node: ASTNode;
  readonly message: string;
  readonly expected: string;
}

interface Analysis {
  readonly steps: string[];
  violation: Violation | undefined;
  comprehensions: number;
}

interface Scope {
  /** Whether `steps` still means the variable (a comprehension variable may shadow it). */
  readonly stepsVisible: boolean;
  readonly comprehensionDepth: number;
}

function analyse(root: ASTNode): Analysis {
  const analysis: Analysis = { steps: [], violation: undefined, comprehensions: 0 };
  visit(root, { stepsVisible: true, comprehensionDepth: 0 }, analysis);
  return analysis;
}

function visit(node: ASTNode, scope: Scope, analysis: Analysis): void {
  noteStepReference(node, scope, analysis);
  if (analysis.violation === undefined) analysis.violation = ruleViolation(node, scope, analysis);
  if (node.op === 'rcall' && isComprehension(node)) {
    visitComprehension(node, scope, analysis);
    return;
  }
  for (const child of childNodes(node.args)) visit(child, scope, analysis);
}

/** `list.exists(x, body)`: the receiver is read in the outer scope, the body one level deeper. */
function visitComprehension(node: ASTNode & { op: 'rcall' }, scope: Scope, analysis: Analysis): void {
  const [, receiver, args] = node.args;
  visit(receiver, scope, analysis);
  const [variable, ...bodies] = args;
  const inner: Scope = {
    stepsVisible: scope.stepsVisible && !(variable?.op === 'id' && variable.args === 'steps'),
    comprehensionDepth: scope.comprehensionDepth + 1,
  };
  for (const body of bodies) visit(body, inner, analysis);
}

function isComprehension(node: ASTNode & { op: 'rcall' }): boolean {
  const [name, , args] = node.args;
  return COMPREHENSIONS.has(name) && args[0]?.op === 'id';
}

function noteStepReference(node: ASTNode, scope: Scope, analysis: Analysis): void {
  if (!scope.stepsVisible) return;
  let name: string | undefined;
  if (node.op === '.' && isStepsVariable(node.args[0])) name = node.args[1];
  else if (node.op === '[]' && isStepsVariable(node.args[0])) {
    const key = node.args[1];
    if (key.op === 'value' && typeof key.args === 'string') name = key.args;
  }
  if (name !== undefined && !analysis.steps.includes(name)) analysis.steps.push(name);
}

function isStepsVariable(node: ASTNode): boolean {
  return node.op === 'id' && node.args === 'steps';
}

function ruleViolation(node: ASTNode, scope: Scope, analysis: Analysis): Violation | undefined {
  if (node.op === 'call') return literalPatternViolation(node);
  if (node.op !== 'rcall') return undefined;
  const [name, receiver] = node.args;
  if (name === 'matches') {
    return {
      node,
      message: 'x.matches(pattern) is not available',
      expected: 'matches(x, pattern), which uses RE2 patterns that cannot backtrack',
    };
  }
  if (name === 'bind' && receiver.op === 'id' && receiver.args === 'cel') {
    return { node, message: 'cel.bind is not available in conditions', expected: 'the value written out' };
  }
  if (!isComprehension(node)) return undefined;
  return comprehensionViolation(node, scope, analysis);
}

function comprehensionViolation(node: ASTNode, scope: Scope, analysis: Analysis): Violation | undefined {
  analysis.comprehensions += 1;
  if (scope.comprehensionDepth >= CONDITION_LIMITS.maxComprehensionDepth) {
    return {
      node,
      message: `all/exists/exists_one/map/filter nest more than ${CONDITION_LIMITS.maxComprehensionDepth} deep`,
      expected: 'a simpler expression',
    };
  }
  if (analysis.comprehensions > CONDITION_LIMITS.maxComprehensions) {
    return {
      node,
      message: `more than ${CONDITION_LIMITS.maxComprehensions} all/exists/exists_one/map/filter in one condition`,
      expected: 'a simpler expression',
    };
  }
  return undefined;
}

/** `matches(x, "literal")`: compile the pattern now, so a bad one is refused before anything runs. */
function literalPatternViolation(node: ASTNode & { op: 'call' }): Violation | undefined {
  const [name, args] = node.args;
  const pattern = args[1];
  if (name !== 'matches' || pattern === undefined) return undefined;
  if (pattern.op !== 'value' || typeof pattern.args !== 'string') return undefined;
  try {
    compileSafeRegex(pattern.args);
    return undefined;
  } catch (error) {
    const reason =
      error instanceof AitwsError ? error.message.replace(/\.$/, '') : 'invalid regular expression';
    return { node: pattern, message: reason, expected: 'an RE2 pattern (no lookaround or backreferences)' };
  }
}

/** AST nodes directly under `args` (which may be a node, a list of nodes, or map entry pairs). */
function childNodes(args: unknown): ASTNode[] {
  if (isAstNode(args)) return [args];
  if (!Array.isArray(args)) return [];
  return args.flatMap((item: unknown) => childNodes(item));
}

function isAstNode(value: unknown): value is ASTNode {
  return typeof value === 'object' && value !== null && 'op' in value && 'args' in value && 'start' in value;
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

/**
 * Copies the context into what cel-js reads: JSON-like data with objects as Maps (any key is safe,
 * nothing inherited is visible) and safe integers as CEL ints (BigInt), so `inputs.count + 1`
 * works on a count that came from JSON. As JSON does, undefined, functions and symbols are dropped
 * from objects and become null in lists. Bounded by maxContextValues and maxContextDepth.
 */
function toCelContext(expression: string, context: RuntimeContext): Record<string, unknown> {
  const budget = { remaining: CONDITION_LIMITS.maxContextValues };
  const values: Record<string, unknown> = {};
  for (const name of VARIABLES) {
    const root = Object.hasOwn(context, name) ? context[name] : undefined;
    values[name] = toCelValue(expression, root ?? {}, 0, budget);
  }
  return values;
}

function toCelValue(
  expression: string,
  value: unknown,
  depth: number,
  budget: { remaining: number },
): unknown {
  budget.remaining -= 1;
  if (budget.remaining < 0)
    throw contextLimit(expression, `more than ${CONDITION_LIMITS.maxContextValues} values`);
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof Uint8Array) {
    return isJsonLike(value) ? value : null;
  }
  if (depth >= CONDITION_LIMITS.maxContextDepth) {
    throw contextLimit(expression, `values nested more than ${CONDITION_LIMITS.maxContextDepth} levels deep`);
  }
  if (Array.isArray(value)) {
    return Array.from(value, (item: unknown) => toCelValue(expression, item, depth + 1, budget));
  }
  const map = new Map<string, unknown>();
  for (const key of Object.keys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    // Only data properties: a getter is code, and a condition reads data.
    if (descriptor === undefined || !('value' in descriptor) || !isJsonLike(descriptor.value)) continue;
    map.set(key, toCelValue(expression, descriptor.value, depth + 1, budget));
  }
  return map;
}

function isJsonLike(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

function contextLimit(expression: string, what: string): ConditionError {
  return new ConditionError(
    'limit',
    expression,
    `Condition ${quote(expression)} was not evaluated: its data has ${what}.`,
    { hint: 'Keep large step outputs out of conditions, or reduce them in an earlier step.', code: 'LIMIT' },
  );
}

// ---------------------------------------------------------------------------------------------
// Errors

/** Turns a cel-js error (or anything thrown while parsing/evaluating) into a ConditionError. */
function fromCelError(kind: ConditionErrorKind, expression: string, error: unknown): ConditionError {
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

function compileError(
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
function quote(expression: string): string {
  const oneLine = expression.replace(/\s+/g, ' ').trim();
  return JSON.stringify(oneLine.length > 120 ? `${oneLine.slice(0, 120)}…` : oneLine);
}

/** CEL's name for a JavaScript value produced by cel-js. */
function celTypeName(value: unknown): string {
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
