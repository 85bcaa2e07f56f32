import { describe, expect, it } from 'vitest';
import { EXAMPLE_MAX_CHARS, feedbackExamples } from '../../../src/runtime/ai/feedback-examples.js';
import { MemoryFeedbackStore } from '../../../src/runtime/ai/feedback-store.js';
import { planPrompt, TRUNCATION_MARKER } from '../../../src/runtime/ai/prompt-plan.js';
import type { FeedbackEntry, Rating } from '../../../src/runtime/ai/stores.js';

const SCOPE = { channel: 'slack:T1:C1', workflow: 'Triage' };

let clock = 0;
function entry(
  run: string,
  output: string,
  verdict: Rating,
  person: string,
  action = 'Summarise',
): FeedbackEntry {
  clock += 1;
  return {
    run,
    action,
    rating: verdict,
    output,
    prompt: 'p',
    by: { id: person, name: person },
    at: new Date(Date.UTC(2026, 0, 1, 0, clock)).toISOString(),
  };
}

async function storeWith(entries: readonly FeedbackEntry[]): Promise<MemoryFeedbackStore> {
  const store = new MemoryFeedbackStore();
  for (const item of entries) await store.add(SCOPE, item);
  return store;
}

describe('feedbackExamples', () => {
  it('ranks distinct outputs by good minus bad and never uses a net score of 0 or less', async () => {
    const store = await storeWith([
      entry('r1', 'Alpha', 'good', 'a'),
      entry('r1', 'Alpha', 'good', 'b'),
      entry('r1', 'Alpha', 'bad', 'c'),
      // The same text from another run counts with it.
      entry('r2', 'Alpha', 'good', 'a'),
      entry('r3', 'Beta', 'good', 'a'),
      entry('r3', 'Beta', 'good', 'b'),
      entry('r3', 'Beta', 'good', 'c'),
      entry('r4', 'Even', 'good', 'a'),
      entry('r4', 'Even', 'bad', 'b'),
      entry('r5', 'Poor', 'bad', 'a'),
      entry('r6', 'Other action', 'good', 'a', 'Classify'),
    ]);
    const blocks = await feedbackExamples(store, SCOPE, 'Summarise', 5);
    expect(blocks).toEqual([
      {
        id: 'example-1',
        text: 'Example of a good answer:\nBeta',
        provenance: { kind: 'step', ref: 'r3/Summarise' },
      },
      {
        id: 'example-2',
        text: 'Example of a good answer:\nAlpha',
        provenance: { kind: 'step', ref: 'r2/Summarise' },
      },
    ]);
  });

  it('breaks equal scores newest first, then by text, and caps the count', async () => {
    const store = await storeWith([
      entry('r1', 'Old', 'good', 'a'),
      entry('r2', 'Newer', 'good', 'a'),
      entry('r3', 'Newest', 'good', 'a'),
    ]);
    const texts = (await feedbackExamples(store, SCOPE, 'Summarise', 2)).map(
      (block) => block.text.split('\n')[1],
    );
    expect(texts).toEqual(['Newest', 'Newer']);
    const same = new MemoryFeedbackStore();
    const at = '2026-02-01T00:00:00.000Z';
    for (const output of ['b', 'a', 'c'])
      await same.add(SCOPE, { ...entry(`r-${output}`, output, 'good', 'x'), at });
    const tied = await feedbackExamples(same, SCOPE, 'Summarise', 3);
    expect(tied.map((block) => block.text.split('\n')[1])).toEqual(['a', 'b', 'c']);
  });

  it('is deterministic: the same ratings in any order give the same blocks', async () => {
    const entries = [
      entry('r1', 'One', 'good', 'a'),
      entry('r2', 'Two', 'good', 'a'),
      entry('r2', 'Two', 'good', 'b'),
      entry('r3', 'Three', 'bad', 'a'),
    ];
    const forward = await feedbackExamples(await storeWith(entries), SCOPE, 'Summarise', 5);
    const backward = await feedbackExamples(await storeWith([...entries].reverse()), SCOPE, 'Summarise', 5);
    expect(backward).toEqual(forward);
  });

  it('cuts a long output at the cap, marked, and the blocks plan as context', async () => {
    const long = `${'x'.repeat(EXAMPLE_MAX_CHARS - 1)}🙂tail`;
    const store = await storeWith([entry('r1', long, 'good', 'a'), entry('r2', '   ', 'good', 'a')]);
    const [block, ...rest] = await feedbackExamples(store, SCOPE, 'Summarise', 3);
    expect(rest).toEqual([]);
    const body = block?.text.slice('Example of a good answer:\n'.length) ?? '';
    // The emoji's two halves are not split: the cut falls before it.
    expect(body).toBe(`${'x'.repeat(EXAMPLE_MAX_CHARS - 1)}\n${TRUNCATION_MARKER}`);
    const planned = planPrompt({ system: 's', user: 'u', context: block === undefined ? [] : [block] });
    expect(planned.input.context.map((item) => item.id)).toEqual(['example-1']);
  });

  it('gives nothing for 0 examples or no ratings, and refuses a count that is not one', async () => {
    const store = await storeWith([entry('r1', 'One', 'good', 'a')]);
    expect(await feedbackExamples(store, SCOPE, 'Summarise', 0)).toEqual([]);
    expect(await feedbackExamples(new MemoryFeedbackStore(), SCOPE, 'Summarise', 5)).toEqual([]);
    await expect(feedbackExamples(store, SCOPE, 'Summarise', 1.5)).rejects.toMatchObject({ code: 'USAGE' });
    await expect(feedbackExamples(store, SCOPE, 'Summarise', -1)).rejects.toMatchObject({ code: 'USAGE' });
  });
});
