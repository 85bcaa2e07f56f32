/**
 * The repair loop: a contract failure re-prompts with its errors, every attempt is logged, and
 * exhaustion is reported (not thrown) so a fallback model can take over.
 */
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import { compileOutputContract } from '../../../src/runtime/ai/output-contract.js';
import {
  parseMaxIterations,
  type RepairPrompt,
  repairExhaustedError,
  repairMessage,
  runWithRepair,
} from '../../../src/runtime/ai/repair.js';

const contract = compileOutputContract({
  schema: {
    type: 'object',
    properties: { email: { type: 'string', format: 'email' } },
    required: ['email'],
  },
});

/** A scripted model: answers in order, recording the prompts it was given. */
function scripted(answers: readonly string[]) {
  const prompts: (RepairPrompt | undefined)[] = [];
  const attempt = async (prompt: RepairPrompt | undefined, iteration: number): Promise<string> => {
    prompts.push(prompt);
    const answer = answers[iteration];
    if (answer === undefined) throw new Error(`no answer scripted for iteration ${iteration}`);
    return answer;
  };
  return { prompts, attempt };
}

describe('runWithRepair', () => {
  it('accepts a first good answer without a repair prompt', async () => {
    const model = scripted(['{"email":"a@example.org"}']);
    const outcome = await runWithRepair({ maxIterations: 2, attempt: model.attempt, check: contract.check });
    expect(outcome).toEqual({
      ok: true,
      value: { email: 'a@example.org' },
      text: '{"email":"a@example.org"}',
      attempts: [{ iteration: 0, ok: true, reasons: [] }],
    });
    expect(model.prompts).toEqual([undefined]);
  });

  it('repairs on the second attempt, the second prompt carrying the first errors', async () => {
    const model = scripted(['{"email":"x"}', '{"email":"x@example.org"}']);
    const outcome = await runWithRepair({
      maxIterations: 2,
      attempt: model.attempt,
      check: contract.check,
      instruction: contract.instruction,
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.attempts).toEqual([
      { iteration: 0, ok: false, reasons: ['/email: must match format "email"'] },
      { iteration: 1, ok: true, reasons: [] },
    ]);
    const [first, second] = model.prompts;
    expect(first).toBeUndefined();
    expect(second?.iteration).toBe(1);
    expect(second?.previousText).toBe('{"email":"x"}');
    expect(second?.errors).toEqual(['/email: must match format "email"']);
    expect(second?.message).toContain('- /email: must match format "email"');
    expect(second?.message).toContain(contract.instruction);
    expect(second?.message).toContain('Answer with only one JSON value');
  });

  it('reports exhaustion with every attempt instead of throwing', async () => {
    const model = scripted(['nope', '{"email":"x"}', '{}']);
    const outcome = await runWithRepair({ maxIterations: 2, attempt: model.attempt, check: contract.check });
    if (outcome.ok) throw new Error('expected exhaustion');
    expect(outcome.attempts.map((attempt) => [attempt.iteration, attempt.ok])).toEqual([
      [0, false],
      [1, false],
      [2, false],
    ]);
    expect(outcome.attempts[0]?.reasons[0]).toMatch(/^the answer is not valid JSON/);
    expect(outcome.lastErrors).toEqual(["(root): must have required property 'email'"]);
    expect(outcome.lastText).toBe('{}');
    expect(model.prompts).toHaveLength(3);
    expect(model.prompts[2]?.errors).toEqual(['/email: must match format "email"']);

    const error = repairExhaustedError(outcome);
    expect(error).toBeInstanceOf(AitwsError);
    expect(error.message).toContain('after 3 attempt(s)');
    expect(error.details).toEqual(outcome.lastErrors);
  });

  it('with maxIterations 0 checks once and never re-prompts', async () => {
    const model = scripted(['nope']);
    const outcome = await runWithRepair({ maxIterations: 0, attempt: model.attempt, check: contract.check });
    expect(outcome.ok).toBe(false);
    expect(outcome.attempts).toHaveLength(1);
  });

  it('lets provider errors from attempt propagate', async () => {
    const attempt = async (): Promise<string> => {
      throw new Error('provider down');
    };
    await expect(runWithRepair({ maxIterations: 2, attempt, check: contract.check })).rejects.toThrow(
      'provider down',
    );
  });

  it('refuses an out-of-range maxIterations before calling the model', async () => {
    const model = scripted(['{}']);
    await expect(
      runWithRepair({ maxIterations: 6, attempt: model.attempt, check: contract.check }),
    ).rejects.toThrow(/repair\.max_iterations must be a whole number from 0 to 5/);
    expect(model.prompts).toEqual([]);
  });
});

describe('repairMessage', () => {
  it('is deterministic and lists each error', () => {
    const message = repairMessage(['/a: must be string', '/b: must be number'], 'Answer with only JSON.');
    expect(message).toBe(
      [
        'Your previous answer did not satisfy the required output format.',
        'Problems found:',
        '- /a: must be string',
        '- /b: must be number',
        'Answer with only JSON.',
      ].join('\n'),
    );
    expect(repairMessage(['/a: must be string'], 'Answer with only JSON.')).toBe(
      repairMessage(['/a: must be string'], 'Answer with only JSON.'),
    );
  });

  it('has a generic instruction when the contract gives none', () => {
    expect(repairMessage(['x'])).toContain('Answer with only the corrected output');
  });
});

describe('parseMaxIterations', () => {
  it('defaults to 2 and accepts 0 to 5', () => {
    expect(parseMaxIterations(undefined)).toBe(2);
    expect(parseMaxIterations(0)).toBe(0);
    expect(parseMaxIterations(5)).toBe(5);
  });

  it.each([6, -1, 1.5, '3', Number.NaN])('refuses %s', (raw) => {
    expect(() => parseMaxIterations(raw)).toThrow(AitwsError);
  });
});
