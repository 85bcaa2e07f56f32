/**
 * The invocation envelope: execution modes enforced on the control parameters (refusals naming
 * what conflicts), the request fingerprint covering what decides the answer and nothing else, and
 * equivalent inputs giving byte-identical requests and one fingerprint end to end.
 */
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import {
  applyDeterminism,
  buildEnvelope,
  type ControlParameters,
  type EnvelopeFields,
  type InvocationEnvelope,
  requestFingerprint,
} from '../../../src/runtime/ai/envelope.js';
import { embed, parseNormalise } from '../../../src/runtime/ai/normalise.js';
import { planPrompt, renderRequest } from '../../../src/runtime/ai/prompt-plan.js';
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

const origin = {
  platform: 'console',
  workspace: 'w1',
  channel: 'c1',
  run: 'r1',
  action: 'summarise',
  attempt: 1,
};

function fields(overrides: Partial<EnvelopeFields> = {}): EnvelopeFields {
  return {
    capability: 'language_model.generative',
    model: { id: 'claude-sonnet-4-5' },
    version_hint: '2025-09',
    input: planPrompt({ system: 'Be brief.', context: [], user: 'Hello' }).input,
    control: { max_tokens: 256, temperature: 0, seed: 7 },
    execution_mode: 'strict',
    correlation_id: 'corr-1',
    origin,
    ...overrides,
  };
}

describe('applyDeterminism', () => {
  it('strict sets temperature 0, drops top_p = 1 and keeps the seed', () => {
    expect(applyDeterminism({ max_tokens: 10, seed: 42 }, 'strict')).toEqual({
      max_tokens: 10,
      seed: 42,
      temperature: 0,
    });
    expect(applyDeterminism({ max_tokens: 10, seed: 42, top_p: 1, temperature: 0 }, 'strict')).toEqual({
      max_tokens: 10,
      seed: 42,
      temperature: 0,
    });
  });

  it('strict refuses a conflicting temperature or top_p, naming both sides', () => {
    const hot = refusal(() => applyDeterminism({ max_tokens: 10, seed: 1, temperature: 0.7 }, 'strict'));
    expect(hot.code).toBe('VALIDATION');
    expect(hot.message).toBe(
      'execution_mode = "strict" conflicts with temperature = 0.7: strict mode requires temperature 0.',
    );
    expect(hot.hint).toBe('Remove temperature or choose execution_mode = "seeded", "logged" or "default".');
    expect(refusal(() => applyDeterminism({ max_tokens: 10, seed: 1, top_p: 0.9 }, 'strict')).message).toBe(
      'execution_mode = "strict" conflicts with top_p = 0.9: strict mode requires greedy sampling (top_p unset or 1).',
    );
  });

  it('strict and seeded refuse a missing seed', () => {
    expect(refusal(() => applyDeterminism({ max_tokens: 10 }, 'strict')).message).toBe(
      'execution_mode = "strict" requires a seed (temperature=0, fixed seed); none was declared.',
    );
    const seeded = refusal(() => applyDeterminism({ max_tokens: 10, temperature: 0.7 }, 'seeded'));
    expect(seeded.message).toBe(
      'execution_mode = "seeded" requires a seed (Fixed seed with normal temperature); none was declared.',
    );
    expect(seeded.hint).toBe('Declare a fixed whole number, e.g. seed = 42.');
  });

  it('seeded, logged and default send what was declared', () => {
    const declared: ControlParameters = {
      max_tokens: 10,
      temperature: 0.7,
      top_p: 0.9,
      seed: 3,
      stop: ['END'],
    };
    expect(applyDeterminism(declared, 'seeded')).toEqual(declared);
    expect(applyDeterminism(declared, 'logged')).toEqual(declared);
    expect(applyDeterminism({ max_tokens: 10 }, 'default')).toEqual({ max_tokens: 10 });
  });

  it.each<[string, ControlParameters, string]>([
    ['max_tokens', { max_tokens: 0 }, 'max_tokens must be a positive whole number, got 0.'],
    ['temperature', { max_tokens: 1, temperature: -1 }, 'temperature must be a number of 0 or more, got -1.'],
    ['top_p', { max_tokens: 1, top_p: 1.5 }, 'top_p must be a number above 0 and at most 1, got 1.5.'],
    ['seed', { max_tokens: 1, seed: 1.5 }, 'seed must be a whole number, got 1.5.'],
    ['stop', { max_tokens: 1, stop: [''] }, 'stop sequences must not be empty.'],
  ])('refuses an invalid %s', (_name, control, message) => {
    expect(refusal(() => applyDeterminism(control, 'default')).message).toBe(message);
  });
});

describe('buildEnvelope', () => {
  it('defaults to mode "default" and refuses an unknown mode', () => {
    const { execution_mode: _mode, ...rest } = fields();
    expect(buildEnvelope({ ...rest, control: { max_tokens: 5 } }).execution_mode).toBe('default');
    const error = refusal(() => buildEnvelope(fields({ execution_mode: 'careful' })));
    expect(error.message).toBe('execution_mode "careful" is not a mode.');
    expect(error.hint).toBe('Use one of "strict", "seeded", "logged", "default".');
  });

  it('records the control parameters as enforced', () => {
    expect(buildEnvelope(fields({ control: { max_tokens: 9, seed: 1 } })).control).toEqual({
      max_tokens: 9,
      seed: 1,
      temperature: 0,
    });
  });
});

describe('requestFingerprint', () => {
  const base = buildEnvelope(fields());

  it('ignores correlation id and origin, so another run of the same request shares the key', () => {
    const rerun = buildEnvelope(
      fields({
        correlation_id: 'corr-2',
        origin: { ...origin, run: 'r2', attempt: 3, channel: 'c9', platform: 'slack' },
      }),
    );
    expect(requestFingerprint(rerun)).toBe(requestFingerprint(base));
    expect(requestFingerprint(base)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('does not change between an explicit and an implied strict temperature', () => {
    const implied = buildEnvelope(fields({ control: { max_tokens: 256, seed: 7, top_p: 1 } }));
    expect(requestFingerprint(implied)).toBe(requestFingerprint(base));
  });

  it.each<[string, Partial<EnvelopeFields>]>([
    ['capability', { capability: 'vision.image_caption' }],
    ['model', { model: { id: 'claude-haiku-4-5' } }],
    ['model class', { model: { class: 'claude-sonnet-4-5' } }],
    ['version hint', { version_hint: '2025-10' }],
    ['input', { input: planPrompt({ system: 'Be brief.', context: [], user: 'Hello!' }).input }],
    ['control', { control: { max_tokens: 257, seed: 7 } }],
    ['mode', { execution_mode: 'logged' }],
  ])('changes with the %s', (_name, change) => {
    expect(requestFingerprint(buildEnvelope(fields(change)))).not.toBe(requestFingerprint(base));
  });
});

describe('deterministic inputs end to end', () => {
  const steps = parseNormalise(['sort', 'dedupe', 'canonical_json', 'trim']);

  function envelopeFor(inputs: Record<string, JsonValue>, runId: string): InvocationEnvelope {
    const context = Object.keys(inputs)
      .sort()
      .map((name) => ({
        id: name,
        text: embed(inputs[name] ?? null, steps),
        provenance: { kind: 'input' as const, ref: `inputs.${name}` },
      }));
    const plan = planPrompt({
      system: 'Triage.',
      context,
      user: 'Which ticket first?',
      max_context_tokens: 200,
    });
    return buildEnvelope(
      fields({ input: plan.input, origin: { ...origin, run: runId }, correlation_id: runId }),
    );
  }

  it('gives byte-identical requests and one fingerprint for differently ordered equal inputs', () => {
    const one = envelopeFor(
      {
        tickets: [
          { id: 2, title: 'Printer', tags: ['hw', 'urgent'] },
          { title: 'VPN ', id: 1, tags: ['net'] },
        ],
        team: 'ops',
      },
      'run-1',
    );
    const two = envelopeFor(
      {
        team: ' ops',
        tickets: [
          { tags: ['net'], id: 1, title: 'VPN' },
          { tags: ['urgent', 'hw'], title: 'Printer', id: 2 },
          { id: 1, title: 'VPN', tags: ['net'] },
        ],
      },
      'run-2',
    );
    const first = JSON.stringify(renderRequest(one.input, one.control.max_tokens));
    expect(JSON.stringify(renderRequest(two.input, two.control.max_tokens))).toBe(first);
    expect(requestFingerprint(two)).toBe(requestFingerprint(one));
    expect(first).toContain('[{\\"id\\":1,\\"tags\\":[\\"net\\"],\\"title\\":\\"VPN\\"}');
  });
});
