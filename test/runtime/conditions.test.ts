/**
 * Workflow conditions in CEL: compiled (parsed and type-checked) once, evaluated to a strict bool,
 * with user-safe errors that say where and what was expected, RE2 regexes, and bounded cost.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import {
  CONDITION_LIMITS,
  ConditionError,
  type ConditionErrorKind,
  compileCondition,
  referencedSteps,
} from '../../src/runtime/conditions.js';
import type { RuntimeContext } from '../../src/runtime/templates.js';

const context: RuntimeContext = {
  inputs: {
    count: 5,
    ratio: 0.5,
    name: 'Ada Lovelace',
    tags: ['ml', 'prod'],
    flag: true,
    off: false,
    nested: { level: 2, label: 'two' },
    empty: [],
    nothing: null,
    inherited: Object.create({ secret: 'hidden' }),
  },
  steps: {
    Train: { output: { accuracy: 0.93, epochs: 3, items: [{ ok: true }, { ok: false }] } },
    'Fine tune': { output: { done: true } },
  },
  run: { id: 'run-1', attempt: 1 },
};

function evaluate(expression: string, values: RuntimeContext = context): boolean {
  return compileCondition(expression).evaluate(values);
}

/** Runs `action`, expecting a ConditionError, and returns it for closer checks. */
function conditionError(action: () => unknown): ConditionError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConditionError);
    expect(error).toBeInstanceOf(AitwsError);
    if (error instanceof ConditionError) return error;
  }
  throw new Error('expected a ConditionError, but nothing was thrown');
}

describe('compileCondition: evaluation', () => {
  const cases: readonly (readonly [family: string, expression: string, expected: boolean])[] = [
    ['literal', 'true', true],
    ['literal', 'false', false],
    ['equality', 'inputs.count == 5', true],
    ['equality', 'inputs.count != 5', false],
    ['equality', 'inputs.name == "Ada Lovelace"', true],
    ['equality', 'run.id == "run-2"', false],
    ['ordering', 'inputs.count > 4 && inputs.count >= 5', true],
    ['ordering', 'inputs.count < 5', false],
    ['ordering', 'inputs.count <= 5', true],
    ['ordering (int against double)', 'inputs.count > 4.5', true],
    ['double', 'steps.Train.output.accuracy >= 0.9', true],
    ['double', 'inputs.ratio * 2.0 == 1.0', true],
    ['arithmetic (JSON integers are CEL ints)', 'inputs.count + 1 == 6', true],
    ['arithmetic', 'inputs.count * 2 - 1 == 9', true],
    ['arithmetic', 'inputs.count / 2 == 2 && inputs.count % 2 == 1', true],
    ['logical', 'inputs.flag && !inputs.off', true],
    ['logical', 'inputs.off || false', false],
    ['logical (short circuit past a missing key)', 'inputs.flag || inputs.missing == 1', true],
    ['ternary', '(inputs.count > 3 ? "big" : "small") == "big"', true],
    ['in (list)', '"ml" in inputs.tags', true],
    ['in (list)', '"dev" in inputs.tags', false],
    ['in (map)', '"count" in inputs', true],
    ['in (map)', '"Train" in steps && !("Deploy" in steps)', true],
    ['has()', 'has(inputs.nested.level)', true],
    ['has()', 'has(inputs.nested.missing)', false],
    ['has() (inherited keys are not visible)', 'has(inputs.inherited.secret)', false],
    ['has() on a step', 'has(steps.Train.output)', true],
    ['size()', 'size(inputs.tags) == 2', true],
    ['size()', 'size(inputs.empty) == 0 && inputs.name.size() == 12', true],
    ['size()', 'size(inputs.nested) == 2', true],
    ['string', 'inputs.name.startsWith("Ada")', true],
    ['string', 'inputs.name.endsWith("lace")', true],
    ['string', 'inputs.name.contains("Love")', true],
    ['string', 'inputs.name.lowerAscii() == "ada lovelace"', true],
    ['string', 'inputs.name.indexOf("L") == 4', true],
    ['string', 'inputs.name + "!" == "Ada Lovelace!"', true],
    ['matches (RE2, partial match)', 'matches(inputs.name, "Love")', true],
    ['matches (RE2, anchored)', 'matches(inputs.name, "^Ada [A-Z][a-z]+$")', true],
    ['matches (RE2, flags)', 'matches(run.id, "(?i)^RUN-[0-9]+$")', true],
    ['matches', 'matches(inputs.name, "^Love")', false],
    ['null', 'inputs.nothing == null', true],
    ['macro all', 'inputs.tags.all(t, t.size() >= 2)', true],
    ['macro exists', 'steps.Train.output.items.exists(i, i.ok)', true],
    ['macro exists_one', 'steps.Train.output.items.exists_one(i, i.ok)', true],
    ['macro filter', 'size(steps.Train.output.items.filter(i, !i.ok)) == 1', true],
    ['macro map', 'inputs.tags.map(t, t.upperAscii()) == ["ML", "PROD"]', true],
    ['nested macros (two levels)', '[inputs.tags].all(l, l.exists(t, t == "ml"))', true],
    ['bracket access to a step with a space', 'steps["Fine tune"].output.done', true],
    ['a dyn value that is a bool', 'inputs.flag', true],
    ['multi-line', 'inputs.count == 5 &&\n  run.attempt == 1', true],
  ];

  it.each(cases)('%s: %s is %s', (_family, expression, expected) => {
    const result = evaluate(expression);
    expect(typeof result).toBe('boolean');
    expect(result).toBe(expected);
  });

  it('compiles once and evaluates against different contexts', () => {
    const condition = compileCondition('inputs.count > 3');
    expect(condition.expression).toBe('inputs.count > 3');
    expect(condition.evaluate(context)).toBe(true);
    expect(condition.evaluate({ ...context, inputs: { count: 1 } })).toBe(false);
  });

  it('treats a missing root as empty (so has() is false rather than an error)', () => {
    const partial = { inputs: {}, steps: {}, run: {} };
    expect(evaluate('has(inputs.x) || size(steps) > 0', partial)).toBe(false);
  });
});

describe('compileCondition: regular expressions are RE2, so a pattern cannot hang the worker', () => {
  const longText = `${'a'.repeat(50_000)}!`;
  const values: RuntimeContext = { inputs: { text: longText }, steps: {}, run: {} };

  it('finishes (a+)+$ against 50,000 "a"s and a "!" (catastrophic for a backtracking engine)', () => {
    // No timing assertion: a backtracking engine would not return at all on this input.
    expect(evaluate('matches(inputs.text, "(a+)+$")', values)).toBe(false);
    expect(evaluate('matches(inputs.text, "^(a|aa)+!$")', values)).toBe(true);
  });

  it('refuses the receiver form x.matches(p), which cel-js runs with a backtracking RegExp', () => {
    const error = conditionError(() => compileCondition('inputs.name.matches("A")'));
    expect(error.kind).toBe('syntax');
    expect(error.message).toContain('x.matches(pattern) is not available');
    expect(error.message).toContain('matches(x, pattern)');
    expect(error.position).toEqual({ offset: 0, line: 1, column: 1 });
  });

  it.each([
    ['an unclosed group', 'matches(inputs.name, "(a")', 'missing closing )'],
    ['a lookahead', 'matches(inputs.name, "(?=a)b")', 'invalid or unsupported Perl syntax'],
    ['a backreference', 'matches(inputs.name, "(a)\\\\1")', 'invalid escape sequence'],
    ['a huge repeat', 'matches(inputs.name, "a{2000}")', 'invalid repeat count'],
  ])('refuses %s in a literal pattern at compile time, at the pattern', (_what, expression, reason) => {
    const error = conditionError(() => compileCondition(expression));
    expect(error.message).toContain(reason);
    expect(error.message).toContain('line 1, column 22');
    expect(error.position?.column).toBe(22);
  });

  it('refuses a pattern from data when it is evaluated, as a ConditionError', () => {
    const condition = compileCondition('matches(inputs.name, inputs.pattern)');
    const error = conditionError(() =>
      condition.evaluate({ ...context, inputs: { name: 'x', pattern: '(' } }),
    );
    expect(error.kind).toBe('runtime');
    expect(error.message).toContain('Invalid regular expression "("');
  });

  it('refuses a pattern longer than the limit', () => {
    const condition = compileCondition('matches(inputs.name, inputs.pattern)');
    const error = conditionError(() =>
      condition.evaluate({ ...context, inputs: { name: 'x', pattern: 'a'.repeat(2000) } }),
    );
    expect(error.message).toContain('longer than 1024 characters');
  });
});

describe('compileCondition: compile-time errors say where and what was expected', () => {
  const cases: readonly (readonly [
    what: string,
    expression: string,
    kind: ConditionErrorKind,
    line: number,
    column: number,
    fragment: string,
  ])[] = [
    ['an incomplete expression', 'inputs.count >', 'syntax', 1, 15, 'expected a complete CEL expression'],
    ['an unclosed parenthesis', '(inputs.count == 5', 'syntax', 1, 19, 'Expected RPAREN'],
    [
      'a syntax error on a later line',
      'inputs.flag &&\n  inputs.count == = 5',
      'syntax',
      2,
      19,
      'Unexpected character: =',
    ],
    ['an unknown variable', 'input.count == 5', 'type', 1, 1, 'expected one of inputs, steps or run'],
    ['mismatched types', 'inputs.x + 1 == "a"', 'type', 1, 1, 'no such overload: int == string'],
    ['int against double', '1 == 1.0', 'type', 1, 1, 'int == double'],
    ['a non-bool result', '1 + 1', 'type', 1, 1, 'evaluates to int (expected a bool'],
    ['a non-bool result', '"a" + inputs.name', 'type', 1, 1, 'evaluates to string'],
    ['an empty expression', '   ', 'syntax', 1, 1, 'the expression is empty'],
  ];

  it.each(cases)('%s: %s', (_what, expression, kind, line, column, fragment) => {
    const error = conditionError(() => compileCondition(expression));
    expect(error.code).toBe('VALIDATION');
    expect(error.kind).toBe(kind);
    expect(error.position).toMatchObject({ line, column });
    expect(error.message).toContain(`line ${line}, column ${column}`);
    expect(error.message).toContain(fragment);
    expect(error.message).toContain(JSON.stringify(expression.replace(/\s+/g, ' ').trim()));
    // User-safe: no stack trace and no cel-js source highlighting in what a person is shown.
    expect(error.message).not.toMatch(/\n|\s+at \S+ \(|>\s+\d+ \|/);
    expect(error.details).toHaveLength(1);
    expect(error.details[0]).toMatch(new RegExp(`^line ${line}: `));
  });

  it('suggests 1.0 or int() for mixed int/double comparisons', () => {
    const error = conditionError(() => compileCondition('1 == 1.0'));
    expect(error.hint).toContain('int(x)');
  });
});

describe('compileCondition: evaluation errors are ConditionErrors, never crashes', () => {
  it('says which key is missing, where, and how to test for it', () => {
    const error = conditionError(() => evaluate('inputs.count == 5 && inputs.missing == 1'));
    expect(error.code).toBe('VALIDATION');
    expect(error.kind).toBe('runtime');
    expect(error.message).toContain('No such key: missing');
    expect(error.message).toContain('line 1, column 29');
    expect(error.hint).toContain('has(');
  });

  it.each([
    ['a missing step', 'steps.Deploy.output.ok'],
    ['an inherited key', 'inputs.inherited.secret == "hidden"'],
    ['a prototype key', 'inputs.constructor == null'],
    ['an index out of range', 'inputs.tags[5] == "x"'],
  ])('refuses %s', (_what, expression) => {
    const error = conditionError(() => evaluate(expression));
    expect(error.kind).toBe('runtime');
    expect(error.message).toMatch(/No such key|index out of bounds/);
  });

  it.each([
    ['a string', 'inputs.name', 'a string'],
    ['an int', 'inputs.count', 'an int'],
    ['a list', 'inputs.tags', 'a list'],
    ['a map', 'inputs.nested', 'a map'],
    ['null', 'inputs.nothing', 'null'],
  ])('refuses a result that is %s: only a strict bool counts', (_what, expression, described) => {
    const error = conditionError(() => evaluate(expression));
    expect(error.kind).toBe('runtime');
    expect(error.message).toContain(`evaluated to ${described}; expected a bool`);
  });

  it('refuses a runtime type mismatch', () => {
    const error = conditionError(() => evaluate('inputs.name > 3'));
    expect(error.kind).toBe('runtime');
    expect(error.message).toContain('no such overload');
  });

  it('never runs a getter in the context', () => {
    let reads = 0;
    const inputs = Object.defineProperty({}, 'sneaky', {
      enumerable: true,
      get: () => {
        reads += 1;
        return true;
      },
    });
    expect(evaluate('has(inputs.sneaky)', { inputs, steps: {}, run: {} })).toBe(false);
    expect(reads).toBe(0);
  });
});

describe('compileCondition: cost is bounded', () => {
  it('refuses an expression longer than 4 KiB', () => {
    const expression = `inputs.flag${' || inputs.flag'.repeat(400)}`;
    expect(expression.length).toBeGreaterThan(CONDITION_LIMITS.maxExpressionLength);
    const error = conditionError(() => compileCondition(expression));
    expect(error.kind).toBe('limit');
    expect(error.message).toContain(`at most ${CONDITION_LIMITS.maxExpressionLength}`);
    expect(error.message).toContain('…');
  });

  it.each([
    ['comprehensions nested three deep', '[1].all(a, [1].all(b, [1].all(c, true)))', 'nest more than 2 deep'],
    ['more than 8 comprehensions', Array(9).fill('[1].all(x, true)').join(' && '), 'more than 8'],
    ['cel.bind', 'cel.bind(x, inputs.tags, size(x) > 0)', 'cel.bind is not available'],
    ['a list literal over the limit', `size([${Array(70).fill('1').join(', ')}]) > 0`, 'maxListElements'],
    ['deep nesting', `${'('.repeat(40)}true${')'.repeat(40)}`, 'maxDepth'],
  ])('refuses %s', (_what, expression, fragment) => {
    const error = conditionError(() => compileCondition(expression));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain(fragment);
    expect(error.position).toBeDefined();
  });

  it('refuses to evaluate over a context with too many values (LIMIT)', () => {
    const condition = compileCondition('size(inputs.big) > 0');
    const big = Array.from({ length: CONDITION_LIMITS.maxContextValues }, (_, index) => index);
    const error = conditionError(() => condition.evaluate({ inputs: { big }, steps: {}, run: {} }));
    expect(error.code).toBe('LIMIT');
    expect(error.message).toContain('more than 100000 values');
  });

  it('refuses to evaluate over a context nested too deeply (LIMIT)', () => {
    let deep: unknown = true;
    for (let level = 0; level < CONDITION_LIMITS.maxContextDepth + 1; level += 1) deep = { next: deep };
    const error = conditionError(() =>
      evaluate('has(inputs.deep)', { inputs: { deep }, steps: {}, run: {} }),
    );
    expect(error.code).toBe('LIMIT');
    expect(error.message).toContain('nested more than 64 levels');
  });
});

describe('referencedSteps', () => {
  const cases: readonly (readonly [expression: string, steps: readonly string[]])[] = [
    ['inputs.count > 1', []],
    ['steps.Train.output.accuracy > 0.9', ['Train']],
    ['steps["Fine tune"].output.done', ['Fine tune']],
    ['has(steps.Eval.output) && steps.Train.output.ok && steps.Eval.output.ok', ['Eval', 'Train']],
    ['steps.B.x == 1 || steps.A.x == 1 || steps.B.y == 2', ['B', 'A']],
    ['steps.Train.output.items.exists(i, i.ok && steps.Check.output.ok)', ['Train', 'Check']],
    // A comprehension variable named `steps` shadows the variable inside its body.
    ['inputs.tags.exists(steps, steps.x == 1) && steps.Real.ok', ['Real']],
    // A dynamic index names no step; iterating over steps names none either.
    ['steps[inputs.which].ok && steps.all(name, name != "")', []],
    // Reported even where the expression is refused for other reasons (pre-flight lists both).
    ['steps.A.text.matches("x")', ['A']],
  ];

  it.each(cases)('%s reads %j', (expression, steps) => {
    expect(referencedSteps(expression)).toEqual(steps);
  });

  it('is also on the compiled condition', () => {
    expect(compileCondition('steps.Train.output.ok && has(steps.Eval.output)').steps).toEqual([
      'Train',
      'Eval',
    ]);
  });

  it('throws a syntax error with its position', () => {
    const error = conditionError(() => referencedSteps('steps.A.ok &&'));
    expect(error.kind).toBe('syntax');
    expect(error.position).toMatchObject({ line: 1, column: 14 });
  });
});

describe('no eval', () => {
  // A call of the global eval or Function; `eval(input, pos) {` (a method re2js defines) is not one.
  const noEval = /(?<![.\w])eval\s*\((?![^)]*\)\s*\{)|new\s+Function\s*\(|(?<![.\w])Function\s*\(/;
  const root = path.resolve(import.meta.dirname, '../..');
  const files = [
    ...readdirSync(path.join(root, 'src/runtime'))
      .filter((name) => name.endsWith('.ts'))
      .map((name) => path.join(root, 'src/runtime', name)),
    ...readdirSync(path.join(root, 'node_modules/@marcbachmann/cel-js/lib'))
      .filter((name) => name.endsWith('.js'))
      .map((name) => path.join(root, 'node_modules/@marcbachmann/cel-js/lib', name)),
    path.join(root, 'node_modules/re2js/build/index.js'),
  ];

  it.each(files.map((file) => [path.relative(root, file), file]))(
    '%s uses neither eval nor Function()',
    (_, file) => {
      const offending = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => noEval.test(line));
      expect(offending).toEqual([]);
    },
  );
});
