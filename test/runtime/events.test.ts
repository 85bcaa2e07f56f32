/**
 * Events → triggers → handlers on a real Runtime (memory store, in-process queue and worker,
 * built-in executors): outside events and the runs' own, dedupe by event id, runs waiting for an
 * event, the loop guard, and handlers that fail without hurting anything else.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/runtime/events.js';
import { CHANNEL, createEventsHarness, type EventsHarness, HEAD } from './events-harness.js';

const ROLES = '[[roles]]\nname = "Administrator"\nprivileges = ["all"]\n';
const GREET =
  '[[stages]]\nname = "Greet"\norder = 1\n' +
  '[[stages.actions]]\nname = "Post"\ntype = "chat.notify"\nwith = { text = "Hello {{ inputs.who }}" }\n';

function entry(section: string, fields: Record<string, string>): string {
  const lines = Object.entries(fields).map(([key, value]) => `${key} = ${JSON.stringify(value)}`);
  return `[[${section}]]\n${lines.join('\n')}\n`;
}

/** The sample's shape: one event, a trigger to NotifyAdministrator and one to a run. */
const SAMPLE =
  HEAD +
  ROLES +
  GREET +
  entry('events', { name: 'ResourceCreationEvent', type: 'resource_creation' }) +
  entry('triggers', {
    name: 'ResourceCreationTrigger',
    event: 'ResourceCreationEvent',
    handler: 'HandleResourceCreation',
  }) +
  entry('triggers', {
    name: 'ResourceCreationRun',
    event: 'ResourceCreationEvent',
    handler: 'StartGreeting',
  }) +
  entry('handlers', { name: 'HandleResourceCreation', action: 'NotifyAdministrator' }) +
  entry('handlers', { name: 'StartGreeting', action: 'run' });

function runIds(delivery: Delivery): string[] {
  return delivery.fired.flatMap((fired) => (fired.outcome.kind === 'run' ? [fired.outcome.runId] : []));
}

let h: EventsHarness;
beforeEach(async () => {
  h = await createEventsHarness();
});
afterEach(async () => {
  await h.close();
});

describe('events → triggers → handlers', () => {
  it('fires every trigger of the event: NotifyAdministrator posts, action = "run" starts a run with the data as inputs', async () => {
    h.setDocument(SAMPLE);
    const by = { id: 'ada', name: 'ada' };
    const delivery = await h.router.deliver(
      CHANNEL,
      { type: 'resource_creation', id: 'evt-1', data: { who: 'Ada' } },
      { by },
    );
    expect(delivery.duplicate).toBe(false);
    expect(delivery.fired.map((fired) => [fired.trigger, fired.handler, fired.outcome.kind])).toEqual([
      ['ResourceCreationTrigger', 'HandleResourceCreation', 'action'],
      ['ResourceCreationRun', 'StartGreeting', 'run'],
    ]);
    const [notify] = delivery.fired;
    expect(notify?.outcome).toMatchObject({ kind: 'action', type: 'chat.notify', result: { ok: true } });
    expect(h.posts[0]).toEqual({
      channel: CHANNEL,
      text: 'Workflow event resource_creation: for the attention of Administrator (handler HandleResourceCreation).',
    });
    await h.settle();
    const [runId] = runIds(delivery);
    const run = await h.store.read(runId ?? '');
    expect(run).toMatchObject({ state: 'succeeded', inputs: { who: 'Ada' } });
    expect(run?.startedBy.id).toBe('aitws:trigger:1');
    expect(h.posts.map((post) => post.text)).toContain('Hello Ada');
  });

  it('matches an [[events]] entry by its name as well as its type', async () => {
    h.setDocument(SAMPLE);
    const delivery = await h.router.deliver(
      CHANNEL,
      { type: 'ResourceCreationEvent', id: 'by-name', data: { who: 'Bo' } },
      { by: { id: 'bo', name: 'bo' } },
    );
    expect(delivery.fired).toHaveLength(2);
    const nothing = await h.router.deliver(
      CHANNEL,
      { type: 'something_else', id: 'other', data: {} },
      { by: { id: 'bo', name: 'bo' } },
    );
    expect(nothing).toMatchObject({ duplicate: false, fired: [], woken: [] });
  });

  it('handles one event id once: a second delivery, or two at once, start one run and post once', async () => {
    h.setDocument(SAMPLE);
    const event = { type: 'resource_creation', id: 'evt-dup', data: { who: 'Cy' } };
    const by = { id: 'hook', name: 'hook' };
    const [first, second] = await Promise.all([
      h.router.deliver(CHANNEL, event, { by }),
      h.router.deliver(CHANNEL, event, { by }),
    ]);
    const third = await h.router.deliver(CHANNEL, event, { by });
    expect([first?.duplicate, second?.duplicate].sort()).toEqual([false, true]);
    expect(third.duplicate).toBe(true);
    await h.settle();
    expect(await h.runs()).toHaveLength(1);
    expect(h.posts.filter((post) => post.text.startsWith('Workflow event'))).toHaveLength(1);
    const other = await h.router.deliver(CHANNEL, { ...event, id: 'evt-other' }, { by });
    expect(other.duplicate).toBe(false);
    await h.settle();
    expect(await h.runs()).toHaveLength(2);
  });

  it('a second router that never saw the claim (another process) finds the same run: its id comes from the event', async () => {
    h.setDocument(SAMPLE);
    const event = { type: 'resource_creation', id: 'evt-same', data: { who: 'Di' } };
    const by = { id: 'x', name: 'x' };
    const first = await h.router.deliver(CHANNEL, event, { by });
    const again = await h.makeRouter().deliver(CHANNEL, event, { by });
    const runId = runIds(first)[0];
    expect(runId).toMatch(/^e[a-z2-9]{16}$/);
    expect(again.fired[1]?.outcome).toEqual({ kind: 'run', runId, existing: true });
    await h.settle();
    expect((await h.runs()).map((run) => run.id)).toEqual([runId]);
  });
});

describe("a run's own events", () => {
  it('run.failed fires its trigger: the handler notifies, and the run stays failed', async () => {
    h.setDocument(
      HEAD +
        ROLES +
        '[[stages]]\nname = "Work"\norder = 1\n[[stages.actions]]\nname = "Break"\ntype = "test.fail"\n' +
        entry('events', { name: 'Failed', type: 'run.failed' }) +
        entry('triggers', { name: 'OnFailure', event: 'Failed', handler: 'Tell' }) +
        entry('handlers', { name: 'Tell', action: 'NotifyAdministrator' }),
    );
    const run = await h.start();
    await h.settle();
    expect((await h.store.read(run.id))?.state).toBe('failed');
    expect(h.posts.map((post) => post.text)).toContain(
      'Workflow event run.failed: for the attention of Administrator (handler Tell).',
    );
  });

  it('each stage.completed is its own occurrence: the handler runs once per stage, with the stage in inputs', async () => {
    h.setDocument(
      HEAD +
        GREET +
        '[[stages]]\nname = "Again"\norder = 2\n[[stages.actions]]\nname = "Post2"\ntype = "chat.notify"\nwith = { text = "Bye" }\n' +
        entry('events', { name: 'StageDone', type: 'stage.completed' }) +
        entry('triggers', { name: 'OnStage', event: 'StageDone', handler: 'Say' }) +
        '[[handlers]]\nname = "Say"\naction = "chat.notify"\nwith = { text = "Stage {{ inputs.stage }} done" }\n',
    );
    await h.start({ who: 'Hal' });
    await h.settle();
    expect(h.posts.map((post) => post.text)).toEqual([
      'Hello Hal',
      'Stage Greet done',
      'Bye',
      'Stage Again done',
    ]);
  });

  it('an emit step raises a user event: its handler runs with the data in inputs', async () => {
    h.setDocument(
      HEAD +
        '[[stages]]\nname = "Work"\norder = 1\n' +
        '[[stages.actions]]\nname = "Say"\ntype = "emit"\nwith = { event = "deployed", data = { env = "prod" } }\n' +
        entry('events', { name: 'Deployed', type: 'deployed' }) +
        entry('triggers', { name: 'OnDeploy', event: 'Deployed', handler: 'Announce' }) +
        '[[handlers]]\nname = "Announce"\naction = "chat.notify"\nwith = { text = "Deployed to {{ inputs.env }} by {{ run.event }}" }\n',
    );
    const run = await h.start();
    await h.settle();
    expect((await h.store.read(run.id))?.state).toBe('succeeded');
    expect(h.posts.map((post) => post.text)).toContain('Deployed to prod by deployed');
  });

  it('a failing handler is only logged: the run that raised the event still succeeds', async () => {
    h.setDocument(
      HEAD +
        GREET +
        entry('events', { name: 'Started', type: 'run.started' }) +
        entry('triggers', { name: 'OnStart', event: 'Started', handler: 'Boom' }) +
        entry('handlers', { name: 'Boom', action: 'test.fail' }),
    );
    const run = await h.start({ who: 'Eve' });
    await h.settle();
    expect((await h.store.read(run.id))?.state).toBe('succeeded');
    const delivery = await h.router.deliver(
      CHANNEL,
      { type: 'run.started', id: 'manual', data: {} },
      { by: { id: 'x', name: 'x' } },
    );
    expect(delivery.fired[0]?.outcome).toMatchObject({
      kind: 'action',
      result: { ok: false, message: 'test.fail failed on purpose' },
    });
  });

  it('the loop guard ends "run.failed starts a run that fails" after maxDepth runs', async () => {
    await h.close();
    h = await createEventsHarness({ maxDepth: 2 });
    h.setDocument(
      HEAD +
        '[[stages]]\nname = "Work"\norder = 1\n[[stages.actions]]\nname = "Break"\ntype = "test.fail"\n' +
        entry('events', { name: 'Failed', type: 'run.failed' }) +
        entry('triggers', { name: 'Again', event: 'Failed', handler: 'Restart' }) +
        entry('handlers', { name: 'Restart', action: 'run' }),
    );
    await h.start();
    for (let round = 0; round < 5; round += 1) await h.settle();
    const runs = await h.runs();
    expect(runs.map((run) => run.startedBy.id).sort()).toEqual(['ada', 'aitws:trigger:1', 'aitws:trigger:2']);
    expect(runs.every((run) => run.state === 'failed')).toBe(true);
  });
});

describe('runs waiting for an event', () => {
  const WAITER =
    HEAD +
    '[[stages]]\nname = "Hold"\norder = 1\n' +
    '[[stages.actions]]\nname = "Until"\ntype = "wait"\nwith = { event = "released", timeout = "1h" }\n' +
    '[[stages]]\nname = "Then"\norder = 2\n' +
    '[[stages.actions]]\nname = "Tell"\ntype = "chat.notify"\nwith = { text = "released by {{ steps.Until.output.data.by }}" }\n';

  it('an outside event reaches a run waiting for its type, which then goes on', async () => {
    h.setDocument(WAITER);
    const run = await h.start();
    await h.settle();
    expect((await h.store.read(run.id))?.state).toBe('waiting');
    const other = await h.router.deliver(
      CHANNEL,
      { type: 'not_this_one', id: 'o', data: {} },
      { by: { id: 'x', name: 'x' } },
    );
    expect(other.woken).toEqual([]);
    const delivery = await h.router.deliver(
      CHANNEL,
      { type: 'released', id: 'r1', data: { by: 'Fay' } },
      { by: { id: 'fay', name: 'Fay' } },
    );
    expect(delivery.woken).toEqual([run.id]);
    await h.settle();
    expect((await h.store.read(run.id))?.state).toBe('succeeded');
    expect(h.posts.map((post) => post.text)).toContain('released by Fay');
  });

  it('another channel’s runs do not hear it', async () => {
    h.setDocument(WAITER);
    const run = await h.start();
    await h.settle();
    const elsewhere = { ...CHANNEL, channel: 'elsewhere' };
    const delivery = await h.router.deliver(
      elsewhere,
      { type: 'released', id: 'r2', data: { by: 'Gus' } },
      { by: { id: 'gus', name: 'Gus' } },
    );
    expect(delivery.woken).toEqual([]);
    expect((await h.store.read(run.id))?.state).toBe('waiting');
  });
});
