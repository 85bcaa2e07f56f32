/**
 * Output contracts: JSON Schema 2020-12 with formats asserted, strict schemas refused at compile
 * time, JSON taken from the whole text or one fenced block only, RE2 regexes matched whole.
 */
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import {
  CONTRACT_LIMITS,
  type ContractResult,
  compileOutputContract,
  extractJson,
} from '../../../src/runtime/ai/output-contract.js';

const person = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1 },
    email: { type: 'string', format: 'email' },
  },
  required: ['name', 'email'],
  additionalProperties: false,
};

function errorsOf(result: ContractResult): readonly string[] {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.errors;
}

function compileError(spec: Parameters<typeof compileOutputContract>[0]): AitwsError {
  try {
    compileOutputContract(spec);
  } catch (error) {
    if (error instanceof AitwsError) return error;
    throw error;
  }
  throw new Error('expected the contract to be refused');
}

describe('schema contracts', () => {
  const contract = compileOutputContract({ schema: person });

  it('accepts a valid JSON answer and returns the parsed value', () => {
    expect(contract.kind).toBe('schema');
    expect(contract.check('{"name":"Ada","email":"ada@example.org"}')).toEqual({
      ok: true,
      value: { name: 'Ada', email: 'ada@example.org' },
    });
  });

  it('asserts formats: an email of "x" fails', () => {
    expect(errorsOf(contract.check('{"name":"Ada","email":"x"}'))).toEqual([
      '/email: must match format "email"',
    ]);
  });

  it('reports every problem with its path, naming extra properties', () => {
    const errors = errorsOf(contract.check('{"email":"x","age":3}'));
    expect(errors).toContain("(root): must have required property 'name'");
    expect(errors).toContain('(root): must NOT have additional properties ("age")');
    expect(errors).toContain('/email: must match format "email"');
  });

  it('caps the number and length of errors', () => {
    const many = compileOutputContract({
      schema: { type: 'array', items: { type: 'string', enum: ['x'.repeat(300)] } },
    });
    const errors = errorsOf(many.check(JSON.stringify(Array.from({ length: 20 }, (_, i) => i))));
    expect(errors).toHaveLength(CONTRACT_LIMITS.maxErrors + 1);
    expect(errors.at(-1)).toMatch(/^… and \d+ more$/);
    for (const error of errors) expect(error.length).toBeLessThanOrEqual(CONTRACT_LIMITS.maxErrorLength);
  });

  it('says when the answer is not JSON at all', () => {
    expect(errorsOf(contract.check('Sure! Ada, ada@example.org'))[0]).toMatch(
      /^the answer is not valid JSON: /,
    );
  });

  it('puts the schema, with sorted keys, in its instruction', () => {
    expect(contract.instruction).toContain('JSON Schema: {"additionalProperties":false,');
    const { required, ...rest } = person;
    const reordered = compileOutputContract({ schema: { required, ...rest } });
    expect(reordered.instruction).toBe(contract.instruction);
  });

  it('validates $defs references after compilation', () => {
    const withRefs = compileOutputContract({
      schema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'https://example.org/tags',
        type: 'array',
        items: { $ref: '#/$defs/tag' },
        $defs: { tag: { type: 'string', pattern: '^[a-z]+$' } },
      },
    });
    expect(withRefs.check('["a","b"]').ok).toBe(true);
    expect(errorsOf(withRefs.check('["a","B"]'))).toEqual(['/1: must match pattern "^[a-z]+$"']);
    // The same $id again (an edited schema) compiles: ajv does not keep the first one registered.
    expect(() =>
      compileOutputContract({ schema: { $id: 'https://example.org/tags', type: 'array', maxItems: 2 } }),
    ).not.toThrow();
  });

  it('accepts nullable union types', () => {
    const nullable = compileOutputContract({
      schema: { type: 'object', properties: { note: { type: ['string', 'null'] } }, required: ['note'] },
    });
    expect(nullable.check('{"note":null}').ok).toBe(true);
  });
});

describe('schemas refused at compile time', () => {
  it('refuses an unknown keyword (strict mode), naming it', () => {
    const error = compileError({ schema: { type: 'string', maxlength: 3 } });
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/^Invalid output\.schema: .*maxlength/);
  });

  it('refuses an unknown format', () => {
    expect(compileError({ schema: { type: 'string', format: 'emial' } }).message).toContain('emial');
  });

  it('refuses a wrong keyword type', () => {
    expect(compileError({ schema: { type: 'strng' } }).message).toMatch(/^Invalid output\.schema: /);
  });

  it('refuses a reference it cannot resolve instead of fetching it', () => {
    expect(compileError({ schema: { $ref: 'https://example.org/remote.json' } }).message).toContain(
      'https://example.org/remote.json',
    );
  });

  it('refuses a schema pattern RE2 cannot run, with the RE2 hint', () => {
    const error = compileError({ schema: { type: 'string', pattern: '(?=a)b' } });
    expect(error.message).toMatch(/^Invalid output\.schema: Invalid regular expression/);
    expect(error.hint).toContain('RE2');
  });

  it('refuses a contract with both or neither of schema and regex', () => {
    expect(compileError({}).message).toContain('exactly one');
    expect(compileError({ schema: { type: 'string' }, regex: 'a' }).message).toContain('exactly one');
  });

  it('refuses an oversized schema', () => {
    const huge = { type: 'string', description: 'x'.repeat(CONTRACT_LIMITS.maxSchemaLength) };
    expect(compileError({ schema: huge }).message).toContain('longer than');
  });
});

describe('extracting JSON from text', () => {
  it('takes the whole text, surrounding whitespace aside', () => {
    expect(extractJson('  {"a":1}\n')).toEqual({ ok: true, value: { a: 1 } });
  });

  it('takes one fenced json block surrounded by prose', () => {
    const text = 'Here is the result:\n```json\n{"a": [1, 2]}\n```\nAnything else?';
    expect(extractJson(text)).toEqual({ ok: true, value: { a: [1, 2] } });
  });

  it('refuses two fenced blocks rather than guessing', () => {
    const text = '```json\n{"a":1}\n```\nor\n```json\n{"a":2}\n```';
    expect(errorsOf(extractJson(text))).toEqual([
      'the answer has 2 ```json blocks; give exactly one JSON value',
    ]);
  });

  it('does not dig JSON out of prose', () => {
    expect(extractJson('The answer is {"a":1}.').ok).toBe(false);
  });

  it('reports a broken fenced block', () => {
    expect(errorsOf(extractJson('```json\n{"a":\n```'))[0]).toMatch(/^the ```json block is not valid JSON: /);
  });
});

describe('regex contracts', () => {
  it('matches the whole (trimmed) text and returns it', () => {
    const contract = compileOutputContract({ regex: '(yes|no)' });
    expect(contract.kind).toBe('regex');
    expect(contract.check('yes\n')).toEqual({ ok: true, value: 'yes' });
    expect(errorsOf(contract.check('yes, definitely'))).toEqual([
      'the whole answer does not match the regular expression "(yes|no)"',
    ]);
    expect(contract.instruction).toContain('"(yes|no)"');
  });

  it('runs a catastrophic-backtracking pattern in linear time', () => {
    const contract = compileOutputContract({ regex: '(a+)+$' });
    const started = performance.now();
    const result = contract.check(`${'a'.repeat(50_000)}!`);
    expect(result.ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('runs a catastrophic schema pattern in linear time too', () => {
    const contract = compileOutputContract({ schema: { type: 'string', pattern: '^(a+)+$' } });
    const started = performance.now();
    expect(contract.check(JSON.stringify(`${'a'.repeat(50_000)}!`)).ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('refuses a pattern RE2 cannot compile', () => {
    const error = compileError({ regex: '(a' });
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/^output\.regex: Invalid regular expression "\(a"/);
  });
});
