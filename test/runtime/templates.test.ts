/**
 * `{{ … }}` templates: parsed once with positions for malformed ones, resolved through own data
 * properties only, rendered with scalars as text and lists/maps as canonical JSON, and capped.
 */
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import {
  parseTemplate,
  positionAt,
  type RuntimeContext,
  renderTemplate,
  resolveValue,
  TEMPLATE_LIMITS,
  TemplateError,
} from '../../src/runtime/templates.js';

const items = ['first', 'second'];
const context: RuntimeContext = {
  inputs: {
    x: 'ex',
    count: 3,
    ratio: 0.25,
    big: 12345678901234567890n,
    flag: false,
    nothing: null,
    when: new Date('2024-05-01T12:00:00.000Z'),
    user: { name: 'Ada', roles: ['admin', 'dev'] },
    'a b': 'spaced',
    'say "hi"': 'quoted',
    unicode: 'héllo ✓',
    inherited: Object.create({ secret: 'hidden' }),
  },
  steps: {
    A: {
      output: {
        y: 'why',
        items,
        table: [
          { id: 1, tags: ['t1'] },
          { id: 2, tags: [] },
        ],
      },
    },
    'Train model': { output: { accuracy: 0.93 } },
    'fine-tune': { output: { done: true } },
  },
  run: { id: 'run-42' },
};

function render(text: string, values: RuntimeContext = context): string {
  return renderTemplate(parseTemplate(text), values);
}

/** Runs `action`, expecting an AitwsError of `type`, and returns it for closer checks. */
function thrown<T extends AitwsError>(type: abstract new (...args: never[]) => T, action: () => unknown): T {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    if (error instanceof type) return error;
  }
  throw new Error('expected an error, but nothing was thrown');
}

describe('renderTemplate: path forms', () => {
  const cases: readonly (readonly [form: string, template: string, expected: string])[] = [
    ['an input', '{{ inputs.x }}', 'ex'],
    ['no spaces inside the braces', '{{inputs.x}}', 'ex'],
    ['spaces, tabs and newlines inside the braces', '{{ \t\n inputs.x \n}}', 'ex'],
    ['text around placeholders', 'Hello {{ inputs.user.name }}, run {{ run.id }}!', 'Hello Ada, run run-42!'],
    ['a nested input', '{{ inputs.user.name }}', 'Ada'],
    ['a step output', '{{ steps.A.output.y }}', 'why'],
    ['an array index', '{{ steps.A.output.items[1] }}', 'second'],
    ['an index then a key', '{{ steps.A.output.table[0].id }}', '1'],
    ['index, key, index', '{{ steps.A.output.table[0].tags[0] }}', 't1'],
    ['a quoted step name', '{{ steps["Train model"].output.accuracy }}', '0.93'],
    ['a single-quoted input name', "{{ inputs['a b'] }}", 'spaced'],
    ['a quoted name with an escaped quote', '{{ inputs["say \\"hi\\""] }}/{{ inputs["x"] }}', 'quoted/ex'],
    ['a hyphenated name', '{{ steps.fine-tune.output.done }}', 'true'],
    ['a run field', '{{ run.id }}', 'run-42'],
    ['the same value twice', '{{ inputs.x }}{{ inputs.x }}', 'exex'],
    ['text only', 'no placeholders } here {', 'no placeholders } here {'],
    ['an empty template', '', ''],
    ['an escaped opening', '\\{{ inputs.x }} is {{ inputs.x }}', '{{ inputs.x }} is ex'],
  ];

  it.each(cases)('%s: %s', (_form, template, expected) => {
    expect(render(template)).toBe(expected);
  });
});

describe('renderTemplate: values as text', () => {
  const cases: readonly (readonly [kind: string, template: string, expected: string])[] = [
    ['a string as it is', '{{ inputs.unicode }}', 'héllo ✓'],
    ['an integer', '{{ inputs.count }}', '3'],
    ['a fraction', '{{ inputs.ratio }}', '0.25'],
    ['a bigint', '{{ inputs.big }}', '12345678901234567890'],
    ['a boolean', '{{ inputs.flag }}', 'false'],
    ['null', '{{ inputs.nothing }}', 'null'],
    ['a date as ISO-8601', '{{ inputs.when }}', '2024-05-01T12:00:00.000Z'],
    ['a list as JSON', '{{ steps.A.output.items }}', '["first","second"]'],
    [
      'an object as canonical JSON (sorted keys)',
      '{{ inputs.user }}',
      '{"name":"Ada","roles":["admin","dev"]}',
    ],
    ['nested lists and objects', '{{ steps.A.output.table }}', '[{"id":1,"tags":["t1"]},{"id":2,"tags":[]}]'],
  ];

  it.each(cases)('%s', (_kind, template, expected) => {
    expect(render(template)).toBe(expected);
  });

  it('sorts keys canonically at every level, whatever their insertion order', () => {
    const values = { inputs: { o: { b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } } }, steps: {}, run: {} };
    expect(render('{{ inputs.o }}', values)).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('drops undefined and functions from objects and writes null for them in lists, as JSON does', () => {
    const values = { inputs: { o: { a: undefined, f: () => 1, k: [undefined, 1] } }, steps: {}, run: {} };
    expect(render('{{ inputs.o }}', values)).toBe('{"k":[null,1]}');
  });

  it('refuses a number JSON cannot hold', () => {
    const error = thrown(TemplateError, () =>
      render('{{ inputs.n }}', { inputs: { n: Number.NaN }, steps: {}, run: {} }),
    );
    expect(error.message).toBe('{{ inputs.n }} is the number NaN, which cannot be shown as text.');
  });
});

describe('resolveValue', () => {
  it('keeps the type when the whole template is one placeholder', () => {
    expect(resolveValue(parseTemplate('{{ steps.A.output.items }}'), context)).toBe(items);
    expect(resolveValue(parseTemplate('{{ inputs.count }}'), context)).toBe(3);
    expect(resolveValue(parseTemplate('{{  inputs.flag  }}'), context)).toBe(false);
    expect(resolveValue(parseTemplate('{{ inputs.nothing }}'), context)).toBeNull();
    expect(resolveValue(parseTemplate('{{ inputs.user }}'), context)).toEqual({
      name: 'Ada',
      roles: ['admin', 'dev'],
    });
  });

  it('renders a string when there is anything besides the placeholder', () => {
    expect(resolveValue(parseTemplate(' {{ inputs.count }}'), context)).toBe(' 3');
    expect(resolveValue(parseTemplate('{{ inputs.count }}{{ inputs.count }}'), context)).toBe('33');
    expect(resolveValue(parseTemplate('plain'), context)).toBe('plain');
  });
});

describe('own properties only', () => {
  it.each([
    ['{{ inputs.__proto__ }}', 1, 11, '"__proto__" cannot be read'],
    ['{{ steps.A.constructor }}', 1, 12, '"constructor" cannot be read'],
    ['{{ inputs["prototype"] }}', 1, 11, '"prototype" cannot be read'],
    ["{{ run['__proto__'].x }}", 1, 8, '"__proto__" cannot be read'],
    ['{{ inputs.user.constructor.name }}', 1, 16, '"constructor" cannot be read'],
  ])('refuses %s when it is parsed', (template, line, column, fragment) => {
    const error = thrown(TemplateError, () => parseTemplate(template));
    expect(error.code).toBe('VALIDATION');
    expect(error.position).toMatchObject({ line, column });
    expect(error.message).toContain(fragment);
  });

  it.each([
    ['an inherited key', '{{ inputs.inherited.secret }}', 'inputs.inherited has no "secret"'],
    ['an Object.prototype method', '{{ inputs.toString }}', 'inputs has no "toString"'],
    ['an Array.prototype member', '{{ steps.A.output.items.length }}', 'steps.A.output.items is a list'],
    ['a string member', '{{ inputs.x.length }}', 'inputs.x is a string, not an object with keys'],
  ])('does not reach %s', (_what, template, fragment) => {
    const error = thrown(TemplateError, () => render(template));
    expect(error.message).toContain(fragment);
  });

  it('never runs a getter', () => {
    let reads = 0;
    const inputs = Object.defineProperty({}, 'sneaky', {
      enumerable: true,
      get: () => {
        reads += 1;
        return 'value';
      },
    });
    const values = { inputs, steps: {}, run: {} };
    const error = thrown(TemplateError, () => render('{{ inputs.sneaky }}', values));
    expect(error.message).toContain('inputs has no "sneaky"');
    expect(error.hint).toBe('inputs is empty.');
    expect(reads).toBe(0);
  });

  it('reads a key named like a prototype member when the data really has it', () => {
    const values = { inputs: { toString: 'own value' }, steps: {}, run: {} };
    expect(render('{{ inputs.toString }}', values)).toBe('own value');
  });
});

describe('missing values', () => {
  it.each([
    ['an input', '{{ inputs.nope }}', '{{ inputs.nope }} cannot be resolved: inputs has no "nope".'],
    ['a step', '{{ steps.B.output.y }}', '{{ steps.B.output.y }} cannot be resolved: steps has no "B".'],
    [
      'a key deep in an output',
      '{{ steps.A.output.z.w }}',
      '{{ steps.A.output.z.w }} cannot be resolved: steps.A.output has no "z".',
    ],
    [
      'a quoted name',
      '{{ steps["Train model"].output.loss }}',
      '{{ steps["Train model"].output.loss }} cannot be resolved: steps["Train model"].output has no "loss".',
    ],
    [
      'an index past the end',
      '{{ steps.A.output.items[2] }}',
      '{{ steps.A.output.items[2] }} cannot be resolved: steps.A.output.items has 2 items, so there is no [2].',
    ],
    [
      'an index into an object',
      '{{ inputs.user[0] }}',
      '{{ inputs.user[0] }} cannot be resolved: inputs.user is an object, not a list to index.',
    ],
    [
      'a key of null',
      '{{ inputs.nothing.x }}',
      '{{ inputs.nothing.x }} cannot be resolved: inputs.nothing is null, not an object with keys.',
    ],
  ])('names the path and the missing part for %s', (_what, template, message) => {
    const error = thrown(TemplateError, () => render(template));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe(message);
    expect(error.path).toBe(template.slice(3, -3));
  });

  it('hints at the keys that are there', () => {
    const error = thrown(TemplateError, () => render('{{ steps.A.output.z }}'));
    expect(error.hint).toBe('steps.A.output has: items, table, y.');
  });
});

describe('parseTemplate: malformed templates say where', () => {
  const cases: readonly (readonly [
    what: string,
    template: string,
    line: number,
    column: number,
    fragment: string,
  ])[] = [
    ['an unclosed placeholder', 'Hi {{ inputs.x', 1, 4, '"{{" is never closed (expected a closing "}}")'],
    ['an unclosed placeholder on line 3', 'a\nb\n  x {{ inputs.x }', 3, 5, '"{{" is never closed'],
    ['an empty placeholder', 'Hi {{   }}', 1, 9, 'the placeholder is empty'],
    ['an unknown root', '{{ input.x }}', 1, 4, 'unknown name "input" (expected inputs, steps or run)'],
    ['a root alone', '{{ inputs }}', 1, 10, '"inputs" needs a name after it'],
    ['a bad character', '{{ inputs.x! }}', 1, 12, 'unexpected character "!"'],
    ['a space inside the path', '{{ inputs. x }}', 1, 11, 'unexpected character " " after "."'],
    ['a trailing dot', '{{ inputs.x. }}', 1, 13, 'unexpected character " " after "."'],
    ['a brace inside', 'ok {{ inputs.x }} {{{ inputs.x }}', 1, 21, 'unexpected character "{"'],
    ['an unclosed bracket', '{{ steps.A.output.items[0 }}', 1, 26, 'unexpected character " " (expected "]")'],
    ['a negative index', '{{ steps.A.output.items[-1] }}', 1, 25, 'unexpected character "-" after "["'],
    ['an unclosed quoted name', '{{ steps["A }}', 1, 10, 'the quoted name is never closed'],
    ['an empty quoted name', '{{ steps[""].output }}', 1, 10, 'the quoted name is empty'],
    ['an unknown escape', '{{ steps["A\\n"].output }}', 1, 12, 'unsupported escape'],
    ['a root read by index', '{{ steps[0].output }}', 1, 10, '"steps" is read by name, not by index'],
    ['an index too large', '{{ steps.A.output.items[12345678901] }}', 1, 25, 'the index is too large'],
    ['a function call', '{{ inputs.x() }}', 1, 12, 'unexpected character "("'],
    ['an expression', '{{ inputs.x + 1 }}', 1, 13, 'unexpected character "+"'],
  ];

  it.each(cases)('%s: %j', (_what, template, line, column, fragment) => {
    const error = thrown(TemplateError, () => parseTemplate(template));
    expect(error.code).toBe('VALIDATION');
    expect(error.position).toMatchObject({ line, column });
    expect(error.message).toContain(`Template error at line ${line}, column ${column}: `);
    expect(error.message).toContain(fragment);
    expect(error.details).toEqual([expect.stringMatching(new RegExp(`^line ${line}: `))]);
  });

  it('counts columns in characters, not UTF-16 units', () => {
    const error = thrown(TemplateError, () => parseTemplate('✓😀 {{ nope.x }}'));
    expect(error.position).toMatchObject({ line: 1, column: 7 });
    expect(positionAt('😀\nab', 5)).toEqual({ offset: 5, line: 2, column: 3 });
  });

  it('caps the number of path segments', () => {
    const template = `{{ inputs${'.a'.repeat(TEMPLATE_LIMITS.maxPathSegments + 1)} }}`;
    const error = thrown(TemplateError, () => parseTemplate(template));
    expect(error.message).toContain('the path is too long');
  });
});

describe('references()', () => {
  it('lists step and input names in order of first use, once each', () => {
    const template = parseTemplate(
      '{{ steps.B.output.x }} {{ inputs.q }} {{ steps["Train model"].output }} {{ steps.B.output.y }} ' +
        '{{ inputs.p[0] }} {{ run.id }} {{ inputs.q }} \\{{ steps.Escaped.output }}',
    );
    expect(template.references()).toEqual({ steps: ['B', 'Train model'], inputs: ['q', 'p'] });
  });

  it('is empty for plain text', () => {
    expect(parseTemplate('plain {text}').references()).toEqual({ steps: [], inputs: [] });
  });

  it('keeps the parsed parts for tools', () => {
    const template = parseTemplate('a\n{{ steps.A.output.items[0] }}');
    expect(template.parts).toEqual([
      { kind: 'text', text: 'a\n' },
      {
        kind: 'value',
        path: { root: 'steps', segments: ['A', 'output', 'items', 0], text: 'steps.A.output.items[0]' },
        position: { offset: 2, line: 2, column: 1 },
      },
    ]);
  });
});

describe('caps', () => {
  const megabyte = TEMPLATE_LIMITS.maxOutputBytes;

  it('renders output up to the cap', () => {
    const values = { inputs: { blob: 'x'.repeat(megabyte - 2) }, steps: {}, run: {} };
    expect(render('[{{ inputs.blob }}]', values)).toHaveLength(megabyte);
  });

  it.each([
    ['a long string plus text', '{{ inputs.blob }}!', 'x'.repeat(megabyte)],
    ['multi-byte characters (counted in UTF-8 bytes)', '{{ inputs.blob }}', 'é'.repeat(megabyte / 2 + 1)],
    ['a list rendered as JSON', '{{ inputs.blob }}', Array.from({ length: megabyte / 4 }, () => 'ab')],
  ])('refuses output over 1 MiB: %s', (_what, template, blob) => {
    const error = thrown(AitwsError, () => render(template, { inputs: { blob }, steps: {}, run: {} }));
    expect(error.code).toBe('LIMIT');
    expect(error.message).toContain(`at most ${megabyte} bytes`);
  });

  it('refuses JSON nested deeper than the cap', () => {
    let deep: unknown = 'bottom';
    for (let level = 0; level < TEMPLATE_LIMITS.maxJsonDepth + 1; level += 1) deep = [deep];
    const error = thrown(AitwsError, () =>
      render('{{ inputs.deep }}', { inputs: { deep }, steps: {}, run: {} }),
    );
    expect(error.code).toBe('LIMIT');
    expect(error.message).toContain(`nested more than ${TEMPLATE_LIMITS.maxJsonDepth} levels`);
  });

  it('refuses a template source over the cap', () => {
    const error = thrown(AitwsError, () => parseTemplate('x'.repeat(TEMPLATE_LIMITS.maxSourceLength + 1)));
    expect(error.code).toBe('LIMIT');
  });
});
