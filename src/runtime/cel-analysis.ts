/**
 * One walk over a parsed condition's AST that finds the steps it reads (`steps.NAME`,
 * `steps["NAME"]`) and the first rule cel-js cannot enforce itself: `x.matches(p)` and `cel.bind`
 * are refused, comprehension macros are bounded, and a literal `matches` pattern must compile.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { AitwsError } from '../errors.js';
import { CONDITION_LIMITS } from './cel-environment.js';
import { compileSafeRegex } from './safe-regex.js';

const COMPREHENSIONS: ReadonlySet<string> = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** A rule broken at `node`, worded for compileError. */
export interface Violation {
  readonly node: ASTNode;
  readonly message: string;
  readonly expected: string;
}

export interface Analysis {
  /** Step names, in order of first use. */
  readonly steps: string[];
  /** The first rule broken, if any. */
  violation: Violation | undefined;
  comprehensions: number;
}

interface Scope {
  /** Whether `steps` still means the variable (a comprehension variable may shadow it). */
  readonly stepsVisible: boolean;
  readonly comprehensionDepth: number;
}

export function analyse(root: ASTNode): Analysis {
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
