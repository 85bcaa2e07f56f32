/**
 * /feedback and the Good/Bad buttons of /results through a real dispatcher and runtime (memory run
 * store, ratings in files): a run's AI steps are seeded as the ai.invoke executor leaves them (the
 * step, and its AiStepRecord in the `<stepKey>::ai` memo), so these tests hold to the record format
 * rather than to a model. Everyone here holds only `read`, the privilege /feedback needs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { feedbackCommand } from '../../src/commands/builtin/feedback.js';
import { createDispatcher, type Dispatcher } from '../../src/commands/dispatch.js';
import { COMMANDS } from '../../src/commands/registry.js';
import type { Reply } from '../../src/commands/reply.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { silentLogger } from '../../src/logging.js';
import { feedbackExamples } from '../../src/runtime/ai/feedback-examples.js';
import { feedbackScope } from '../../src/runtime/ai/feedback-store.js';
import { FileFeedbackStore } from '../../src/runtime/ai/feedback-store-file.js';
import type { FeedbackStore } from '../../src/runtime/ai/stores.js';
import { EmbeddedRunQueue } from '../../src/runtime/queue-embedded.js';
import { MemoryRunStore } from '../../src/runtime/run-store-memory.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { MemoryAccessStore } from '../../src/session/access-memory.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import { textOf } from '../support/harness.js';
import { CHANNEL, runtimeWithFeedback, seedRun } from './feedback-world.js';

let dir: string;
let runs: MemoryRunStore;
let queue: EmbeddedRunQueue;
let ratings: FileFeedbackStore;
let dispatcher: Dispatcher;
let runId: string;

function dispatcherFor(runtime: Runtime): Dispatcher {
  return createDispatcher({
    sessions: new MemorySessionStore(),
    interactions: new MemoryInteractionStore(),
    accessStore: new MemoryAccessStore(),
    accessPolicy: { admins: new Set(), defaultPrivileges: ['read'] },
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
    commands: [...COMMANDS, feedbackCommand],
    runtime,
  });
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-feedback-cmd-'));
  runs = new MemoryRunStore();
  queue = new EmbeddedRunQueue();
  ratings = new FileFeedbackStore({ dataDir: dir });
  dispatcher = dispatcherFor(runtimeWithFeedback(runs, queue, ratings));
  runId = await seedRun(runs);
});

afterEach(async () => {
  await queue.close();
  await runs.close();
  await rm(dir, { recursive: true, force: true });
});

function send(text: string, user = 'ada', supportsButtons = false): Promise<Reply> {
  return dispatcher.handle({ text, actor: { id: user, name: user }, channel: CHANNEL, supportsButtons });
}

async function stored(store: FeedbackStore = ratings) {
  return store.list(feedbackScope(CHANNEL, 'Digest'), { limit: 50 });
}

describe('/feedback', () => {
  it("stores the AI step's output and prompt, with the note, under the channel and workflow", async () => {
    const reply = await send(`/feedback ${runId} Summarise good short and "right"`);
    expect(reply.ok, textOf(reply)).toBe(true);
    expect(reply.visibility).toBe('ephemeral');
    expect(textOf(reply)).toContain(`Rated Write / Summarise of run ${runId} good: short and "right".`);
    expect(await stored()).toEqual([
      {
        run: runId,
        action: 'Summarise',
        rating: 'good',
        note: 'short and "right"',
        output: 'The quarter went well.',
        prompt: 'Summarise the report.',
        by: { id: 'ada', name: 'ada' },
        at: expect.any(String),
      },
    ]);
    // The loop closes: the next run of the action gets it as an example.
    const examples = await feedbackExamples(ratings, feedbackScope(CHANNEL, 'Digest'), 'Summarise', 3);
    expect(examples).toEqual([
      {
        id: 'example-1',
        text: 'Example of a good answer:\nThe quarter went well.',
        provenance: { kind: 'step', ref: `${runId}/Summarise` },
      },
    ]);
  });

  it('a second rating by the same person replaces the first; another person adds one', async () => {
    expect((await send(`/feedback ${runId} Summarise good`)).ok).toBe(true);
    expect((await send(`/feedback ${runId} Write/Summarise#1 BAD`)).ok).toBe(true);
    expect((await send(`/feedback ${runId} Summarise good`, 'bob')).ok).toBe(true);
    const all = await stored();
    expect(all.map((entry) => [entry.by.id, entry.rating]).sort()).toEqual([
      ['ada', 'bad'],
      ['bob', 'good'],
    ]);
  });

  it('takes an action name with spaces in double quotes', async () => {
    const reply = await send(`/feedback ${runId} "Draft reply" bad too formal`);
    expect(reply.ok, textOf(reply)).toBe(true);
    expect((await stored())[0]).toMatchObject({ action: 'Draft reply', rating: 'bad', note: 'too formal' });
  });

  it('refuses what it cannot rate, saying why, and stores nothing', async () => {
    const cases: [string, RegExp][] = [
      [`/feedback ${runId} Tidy good`, /Write \/ Tidy is not an AI step/],
      [`/feedback ${runId} Translate good`, /has no output to rate .* it did not succeed/],
      [`/feedback ${runId} Nothing good`, new RegExp(`Run ${runId} has no action "Nothing"`)],
      [`/feedback ${runId} Summarise great`, /Rate an output good or bad, not "great"/],
      [`/feedback ${runId}`, /Say which run, which action and how it did/],
      ['/feedback rnope Summarise good', /There is no run "rnope" in this channel/],
    ];
    for (const [text, why] of cases) {
      const reply = await send(text);
      expect(reply.ok, text).toBe(false);
      expect(textOf(reply), text).toMatch(why);
    }
    const elsewhere = await dispatcher.handle({
      text: `/feedback ${runId} Summarise good`,
      actor: { id: 'ada', name: 'ada' },
      channel: { ...CHANNEL, channel: 'other' },
    });
    expect(textOf(elsewhere)).toMatch(/There is no run/);
    expect(await stored()).toEqual([]);
  });

  it('says so where the runtime keeps no AI services', async () => {
    const bare = dispatcherFor(runtimeWithFeedback(runs, queue, undefined));
    const reply = await bare.handle({
      text: `/feedback ${runId} Summarise good`,
      actor: { id: 'ada', name: 'ada' },
      channel: CHANNEL,
    });
    expect(reply.ok).toBe(false);
    expect(textOf(reply)).toContain('Feedback cannot be stored here');
  });
});

describe('/results with AI steps', () => {
  it("adds each AI output's confidence, attempts, repairs and cost, and says how to rate in the console", async () => {
    const reply = await send(`/results ${runId}`);
    expect(reply.ok, textOf(reply)).toBe(true);
    const text = textOf(reply);
    expect(text).toContain(
      'Write / Summarise: "The quarter went well." · confidence 0.82 · 2 attempts (1 repair) · $0.0031',
    );
    expect(text).toContain('Write / Draft reply: "Dear customer" · 1 attempt · $0.0000 · cached');
    expect(text).toMatch(/Write \/ Tidy: \{"ok":true\}$/m);
    expect(text).toContain(`Rate an AI output: /feedback ${runId} Summarise good|bad [note]`);
    expect(reply.buttons).toEqual([]);
    const outputs = (reply.data as { outputs: Record<string, { ai?: unknown }> }).outputs;
    expect(outputs['Write/Summarise#1']?.ai).toEqual({
      model: 'claude-sonnet-4-5',
      confidence: 0.82,
      attempts: 2,
      repairs: 1,
      cost_usd: 0.0031,
      cached: false,
    });
    expect(outputs['Write/Tidy#1']?.ai).toBeUndefined();
  });

  it('offers Good and Bad per AI output; a click rates as the clicker and leaves the message', async () => {
    const reply = await send(`/results ${runId}`, 'ada', true);
    expect(reply.buttons.map((button) => button.label)).toEqual([
      'Good: Summarise',
      'Bad: Summarise',
      'Good: Draft reply',
      'Bad: Draft reply',
    ]);
    expect(textOf(reply)).not.toContain('Rate an AI output');
    const click = (label: string, user: string) => {
      const button = reply.buttons.find((candidate) => candidate.label === label);
      if (button === undefined) throw new Error(`no ${label} button`);
      return dispatcher.handleButton({
        buttonId: button.id,
        actor: { id: user, name: user },
        channel: CHANNEL,
      });
    };
    const good = await click('Good: Summarise', 'bob');
    expect(good.ok, textOf(good)).toBe(true);
    expect(good.clickEffect).toBe('private');
    expect(textOf(good)).toContain(`Rated Write / Summarise of run ${runId} good.`);
    expect(await stored()).toMatchObject([{ action: 'Summarise', rating: 'good', by: { id: 'bob' } }]);
    // Changing one's mind: Bad replaces Good.
    expect((await click('Bad: Summarise', 'bob')).ok).toBe(true);
    expect(await stored()).toMatchObject([{ action: 'Summarise', rating: 'bad', by: { id: 'bob' } }]);
    const spaced = await click('Good: Draft reply', 'bob');
    expect(spaced.ok, textOf(spaced)).toBe(true);
    expect((await stored()).map((entry) => entry.action).sort()).toEqual(['Draft reply', 'Summarise']);
    expect(textOf(await click('Good: Summarise', 'carol'))).toBe('Already done by bob.');
  });
});
