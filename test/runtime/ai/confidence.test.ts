/**
 * Confidence from structured output and the escalate_below decision.
 */
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import {
  escalationNeeded,
  parseConfidenceField,
  parseEscalateBelow,
  readConfidence,
  withConfidenceCheck,
} from '../../../src/runtime/ai/confidence.js';
import { compileOutputContract } from '../../../src/runtime/ai/output-contract.js';

describe('readConfidence', () => {
  it('reads a top-level confidence', () => {
    expect(readConfidence({ answer: 'x', confidence: 0.82 })).toEqual({ ok: true, confidence: 0.82 });
    expect(readConfidence({ confidence: 0 })).toEqual({ ok: true, confidence: 0 });
    expect(readConfidence({ confidence: 1 })).toEqual({ ok: true, confidence: 1 });
  });

  it('reads the field named by confidence_field', () => {
    expect(readConfidence({ certainty: 0.4, confidence: 0.9 }, 'certainty')).toEqual({
      ok: true,
      confidence: 0.4,
    });
  });

  it('is undefined when the output has no such field or is not an object', () => {
    expect(readConfidence({ answer: 'x' })).toEqual({ ok: true, confidence: undefined });
    expect(readConfidence('plain text')).toEqual({ ok: true, confidence: undefined });
    expect(readConfidence([0.9])).toEqual({ ok: true, confidence: undefined });
    expect(readConfidence(null)).toEqual({ ok: true, confidence: undefined });
  });

  it('does not read inherited properties', () => {
    expect(readConfidence(Object.create({ confidence: 0.9 }) as object)).toEqual({
      ok: true,
      confidence: undefined,
    });
  });

  it.each([
    [1.3, '1.3'],
    [-0.1, '-0.1'],
    ['0.9', '"0.9"'],
    [null, 'null'],
  ])('refuses %s as a contract failure', (raw, shown) => {
    expect(readConfidence({ confidence: raw })).toEqual({
      ok: false,
      error: `/confidence: confidence must be a number from 0 to 1, got ${shown}`,
    });
  });
});

describe('withConfidenceCheck', () => {
  const contract = compileOutputContract({
    schema: { type: 'object', properties: { answer: { type: 'string' }, confidence: { type: 'number' } } },
  });
  const check = withConfidenceCheck(contract.check);

  it('passes a valid output through unchanged', () => {
    expect(check('{"answer":"a","confidence":0.5}')).toEqual({
      ok: true,
      value: { answer: 'a', confidence: 0.5 },
    });
  });

  it('turns an out-of-range confidence into a contract failure for the repair loop', () => {
    expect(check('{"answer":"a","confidence":7}')).toEqual({
      ok: false,
      errors: ['/confidence: confidence must be a number from 0 to 1, got 7'],
    });
  });

  it('keeps the contract errors when the output already fails', () => {
    expect(check('{"answer":3}').ok).toBe(false);
  });
});

describe('escalationNeeded', () => {
  it('escalates strictly below the threshold', () => {
    expect(escalationNeeded(0.69, 0.7)).toBe(true);
    expect(escalationNeeded(0.7, 0.7)).toBe(false);
    expect(escalationNeeded(0.95, 0.7)).toBe(false);
  });

  it('escalates a missing confidence when a threshold is set', () => {
    expect(escalationNeeded(undefined, 0.7)).toBe(true);
  });

  it('never escalates without a threshold', () => {
    expect(escalationNeeded(undefined, undefined)).toBe(false);
    expect(escalationNeeded(0, undefined)).toBe(false);
  });
});

describe('workflow settings', () => {
  it('parses escalate_below', () => {
    expect(parseEscalateBelow(undefined)).toBeUndefined();
    expect(parseEscalateBelow(0.7)).toBe(0.7);
    expect(() => parseEscalateBelow(1.5)).toThrow(AitwsError);
    expect(() => parseEscalateBelow('0.7')).toThrow(/escalate_below must be a number from 0 to 1/);
  });

  it('parses confidence_field', () => {
    expect(parseConfidenceField(undefined)).toBe('confidence');
    expect(parseConfidenceField('score')).toBe('score');
    expect(() => parseConfidenceField('')).toThrow(AitwsError);
  });
});
