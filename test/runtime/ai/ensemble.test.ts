/**
 * Ensembles: round-robin members with seeds base + i, every member recorded by index whatever the
 * completion order, a majority vote over canonical JSON, a field vote, a tie broken by the lowest
 * member index, failed members not voting, over a fake ModelProvider.
 */
import { describe, expect, it } from 'vitest';
import type { ModelProvider, ModelRequest, ModelResponse } from '../../../src/assistant/provider.js';
import {
  decide,
  type EnsembleMember,
  ensembleSchema,
  type MemberRecord,
  planEnsemble,
  runEnsemble,
} from '../../../src/runtime/ai/ensemble.js';

/** Gives member i the i-th answer (JSON text), resolving in reverse order to shuffle completion. */
function fakeMembers(answers: readonly string[]) {
  const requests: { model: string; seed?: number }[] = [];
  const provider = (model: string, answer: string, delayMs: number): ModelProvider => ({
    model,
    async complete(request: ModelRequest): Promise<ModelResponse> {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (answer === 'THROW') throw new Error(`${model} overloaded`);
      return {
        model,
        content: [{ type: 'text', text: answer }],
        stopReason: 'end_turn',
        usage: {
          inputTokens: request.userText.length,
          cacheWriteTokens: 0,
          cacheReadTokens: 0,
          outputTokens: 3,
        },
      };
    },
  });
  const run = async (member: EnsembleMember): Promise<unknown> => {
    requests.push({ model: member.model, ...(member.seed === undefined ? {} : { seed: member.seed }) });
    const answer = answers[member.index] ?? 'null';
    const response = await provider(member.model, answer, (answers.length - member.index) * 2).complete({
      system: [],
      tools: [],
      userText: 'Is the printer on fire?',
      maxTokens: 20,
    });
    const text = response.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    return JSON.parse(text);
  };
  return { run, requests };
}

describe('ensemble spec', () => {
  it('defaults to 3 members and a majority vote, and refuses bad votes', () => {
    expect(ensembleSchema.parse({ models: ['a'] })).toEqual({ members: 3, models: ['a'], vote: 'majority' });
    expect(ensembleSchema.parse({ members: 5n, models: ['a'], vote: 'field:verdict.label' }).members).toBe(5);
    expect(ensembleSchema.safeParse({ models: ['a'], vote: 'mean' }).success).toBe(false);
    expect(ensembleSchema.safeParse({ models: [] }).success).toBe(false);
    expect(ensembleSchema.safeParse({ models: ['a'], members: 10 }).success).toBe(false);
  });

  it('assigns models round-robin in declared order with seeds base + i', () => {
    expect(planEnsemble({ members: 4, models: ['a', 'b', 'c'] }, 100)).toEqual([
      { index: 0, model: 'a', seed: 100 },
      { index: 1, model: 'b', seed: 101 },
      { index: 2, model: 'c', seed: 102 },
      { index: 3, model: 'a', seed: 103 },
    ]);
    expect(planEnsemble({ members: 2, models: ['a'] })).toEqual([
      { index: 0, model: 'a' },
      { index: 1, model: 'a' },
    ]);
  });
});

describe('runEnsemble', () => {
  it('decides by majority over canonical JSON and records every member by index', async () => {
    const fake = fakeMembers(['{"fire":true,"room":"B2"}', '{"fire":false}', '{"room":"B2", "fire":true}']);
    const spec = ensembleSchema.parse({ members: 3, models: ['model-a', 'model-b'] });
    const result = await runEnsemble(spec, fake.run, { baseSeed: 7 });
    expect(result.decision).toMatchObject({
      vote: 'majority',
      output: { fire: true, room: 'B2' },
      member: 0,
      voters: 3,
      majority: true,
      tie: false,
    });
    expect(result.decision.groups).toEqual([
      { key: '{"fire":true,"room":"B2"}', members: [0, 2] },
      { key: '{"fire":false}', members: [1] },
    ]);
    expect(result.members.map((record) => [record.index, record.model, record.seed])).toEqual([
      [0, 'model-a', 7],
      [1, 'model-b', 8],
      [2, 'model-a', 9],
    ]);
    expect(fake.requests.map((request) => request.seed)).toEqual([7, 8, 9]);
  });

  it('decides by a field, abstaining members without it, output the earliest winner', async () => {
    const fake = fakeMembers([
      '{"label":"spam","why":"links"}',
      '{"label":"ham","why":"known sender"}',
      '{"why":"unsure"}',
      '{"label":"ham","why":"reply"}',
      'THROW',
    ]);
    const spec = ensembleSchema.parse({ members: 5, models: ['m'], vote: 'field:label' });
    const result = await runEnsemble(spec, fake.run);
    expect(result.decision).toMatchObject({
      output: { label: 'ham', why: 'known sender' },
      member: 1,
      key: '"ham"',
      voters: 3,
      majority: true,
    });
    expect(result.members[2]).toMatchObject({ ok: true, output: { why: 'unsure' } });
    expect(result.members[4]).toEqual({ index: 4, model: 'm', ok: false, error: 'm overloaded' });
  });

  it('breaks a tie by the lowest member index, and says so', async () => {
    const fake = fakeMembers(['"no"', '"yes"', '"yes"', '"no"']);
    const result = await runEnsemble(ensembleSchema.parse({ members: 4, models: ['m'] }), fake.run);
    expect(result.decision).toMatchObject({ output: 'no', member: 0, tie: true, majority: false });
    const swapped = await runEnsemble(
      ensembleSchema.parse({ members: 4, models: ['m'] }),
      fakeMembers(['"yes"', '"no"', '"no"', '"yes"']).run,
    );
    expect(swapped.decision).toMatchObject({ output: 'yes', member: 0, tie: true });
  });

  it('refuses to decide when nobody could vote, naming each member', async () => {
    const records: MemberRecord[] = [
      { index: 0, model: 'a', ok: false, error: 'overloaded' },
      { index: 1, model: 'b', ok: false, error: 'timeout' },
    ];
    expect(() => decide(records, 'majority')).toThrowError(
      'The ensemble could not decide: all 2 members failed.',
    );
    const abstained: MemberRecord[] = [{ index: 0, model: 'a', ok: true, output: { other: 1 } }];
    expect(() => decide(abstained, 'field:label')).toThrowError("no member's answer has the field label");
  });

  it('rethrows what isFatal marks (a cancelled step) instead of recording it', async () => {
    const cancelled = new DOMException('cancelled', 'AbortError');
    const spec = ensembleSchema.parse({ members: 2, models: ['m'] });
    await expect(
      runEnsemble(spec, async () => Promise.reject(cancelled), {
        isFatal: (error) => error instanceof DOMException && error.name === 'AbortError',
      }),
    ).rejects.toBe(cancelled);
  });
});
