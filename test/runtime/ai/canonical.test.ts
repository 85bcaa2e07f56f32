/**
 * Canonical JSON against RFC 8785's own examples, refusals of what JSON cannot represent, the
 * fingerprint, and declared input normalisation giving identical text for equivalent inputs.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import { canonicalJson, fingerprint } from '../../../src/runtime/ai/canonical.js';
import { embed, normaliseValue, parseNormalise } from '../../../src/runtime/ai/normalise.js';
import type { JsonValue } from '../../../src/runtime/run-store.js';

function refusal(run: () => unknown): AitwsError {
  try {
    run();
  } catch (error) {
    if (error instanceof AitwsError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('canonicalJson', () => {
  it('matches the RFC 8785 §3.2.2 example: numbers, strings and literals', () => {
    const input: unknown = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units as in the RFC 8785 §3.2.3 example', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Object.keys cannot check this: it lists integer-like keys ("1") first, so compare text.
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('gives the same text whatever the key order, nested, and no whitespace', () => {
    const a = { b: [1, { y: 2, x: 1 }], a: 'text', c: { e: null, d: true } };
    const b = { c: { d: true, e: null }, a: 'text', b: [1, { x: 1, y: 2 }] };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":"text","b":[1,{"x":1,"y":2}],"c":{"d":true,"e":null}}');
    expect(canonicalJson(-0)).toBe('0');
  });

  it('treats an undefined property as absent', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it.each([
    ['NaN', Number.NaN, 'the number NaN (at $)'],
    ['Infinity', { n: [Number.POSITIVE_INFINITY] }, 'the number Infinity (at $.n[0])'],
    ['undefined at top level', undefined, 'undefined (at $)'],
    ['undefined in an array', [1, undefined], 'undefined (at $[1])'],
    ['a function', { f: () => 1 }, 'a function (at $.f)'],
    ['a bigint', { n: 1n }, 'a bigint (at $.n)'],
    ['a symbol', [Symbol('s')], 'a symbol (at $[0])'],
    ['a Date', { when: new Date(0) }, 'an object of class Date (at $.when)'],
    ['a Map', new Map(), 'an object of class Map (at $)'],
    ['a lone surrogate', { s: 'a\ud800b' }, 'a string with a lone surrogate (at $.s)'],
  ])('refuses %s', (_name, value, where) => {
    const error = refusal(() => canonicalJson(value));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe(`Canonical JSON cannot represent ${where}.`);
  });

  it('refuses cycles but accepts a shared (acyclic) object twice', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(refusal(() => canonicalJson(cyclic)).message).toContain('a circular reference (at $.self)');
  });

  it('accepts null-prototype objects', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 2, a: 1 });
    expect(canonicalJson(bare)).toBe('{"a":1,"b":2}');
  });
});

describe('fingerprint', () => {
  it('is sha256: and the hex of the canonical UTF-8 bytes', () => {
    const value = { é: 'ü', a: [1.5, true] };
    const hex = createHash('sha256').update(Buffer.from('{"a":[1.5,true],"é":"ü"}', 'utf8')).digest('hex');
    expect(fingerprint(value)).toBe(`sha256:${hex}`);
    expect(fingerprint({ a: [1.5, true], é: 'ü' })).toBe(fingerprint(value));
    expect(fingerprint({ a: [true, 1.5], é: 'ü' })).not.toBe(fingerprint(value));
  });
});

describe('normalise', () => {
  const all = parseNormalise(['canonical_json', 'dedupe', 'trim', 'sort']);

  it('refuses an unknown step, naming it and the known ones', () => {
    const error = refusal(() => parseNormalise(['sort', 'shuffle']));
    expect(error.message).toBe('normalise: unknown step "shuffle".');
    expect(error.hint).toBe('Known steps: trim, sort, dedupe, canonical_json.');
  });

  it('trims, sorts by canonical form and dedupes at every depth, whatever the declared order', () => {
    const value: JsonValue = { tags: [' b', 'a ', 'b', { k: [3, 1, 3] }], name: '  x  ' };
    expect(normaliseValue(value, all)).toEqual({ tags: ['a', 'b', { k: [1, 3] }], name: 'x' });
    const reordered = parseNormalise(['trim', 'sort', 'dedupe', 'canonical_json']);
    expect(embed(value, reordered)).toBe(embed(value, all));
  });

  it('makes equivalent inputs byte-identical text', () => {
    const one: JsonValue = {
      users: [
        { name: 'ann', id: 2 },
        { id: 1, name: 'bob ' },
      ],
      mode: 'fast',
    };
    const two: JsonValue = {
      mode: 'fast',
      users: [
        { id: 1, name: 'bob' },
        { id: 2, name: 'ann' },
        { name: 'bob', id: 1 },
      ],
    };
    expect(embed(one, all)).toBe(embed(two, all));
    expect(embed(one, all)).toBe('{"mode":"fast","users":[{"id":1,"name":"bob"},{"id":2,"name":"ann"}]}');
  });

  it('applies only what is declared', () => {
    const value: JsonValue = [' b ', 'a', 'a'];
    expect(normaliseValue(value, parseNormalise([]))).toEqual([' b ', 'a', 'a']);
    expect(normaliseValue(value, parseNormalise(['dedupe']))).toEqual([' b ', 'a']);
    expect(normaliseValue(value, parseNormalise(['sort']))).toEqual([' b ', 'a', 'a']);
    expect(normaliseValue(value, parseNormalise(['trim', 'sort']))).toEqual(['a', 'a', 'b']);
    expect(embed({ b: 1, a: 2 }, parseNormalise([]))).toBe('{"b":1,"a":2}');
    expect(embed({ b: 1, a: 2 }, parseNormalise(['canonical_json']))).toBe('{"a":2,"b":1}');
    expect(embed('  text ', parseNormalise(['trim']))).toBe('text');
  });

  it('does not change its input', () => {
    const value: JsonValue = ['b', 'a'];
    normaliseValue(value, all);
    expect(value).toEqual(['b', 'a']);
  });
});
