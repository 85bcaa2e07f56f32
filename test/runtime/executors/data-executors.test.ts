import { TomlDate } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../../src/document/toml.js';
import { AitwsError } from '../../../src/errors.js';
import { chatNotifyExecutor } from '../../../src/runtime/executors/chat-notify.js';
import { emitExecutor } from '../../../src/runtime/executors/emit.js';
import { transformExecutor } from '../../../src/runtime/executors/transform.js';
import { createActionHarness } from './context.js';

const DOCUMENT = parseDocument(`
[[notifications]]
name = "Ops"
type = "slack"
target = "#ops"
`);

async function failure(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

describe('transform', () => {
  it('outputs the set table as a JSON copy', async () => {
    const harness = await createActionHarness();
    const set = {
      total: 3,
      label: 'done',
      nested: { list: [1, 'a', null] },
      when: new TomlDate('2025-01-02'),
    };
    const params = transformExecutor.params.parse({ set });
    const outcome = await transformExecutor.run(harness.context, params);
    expect(outcome).toEqual({
      kind: 'done',
      output: { total: 3, label: 'done', nested: { list: [1, 'a', null] }, when: '2025-01-02' },
    });
    if (outcome.kind !== 'done') throw new Error('not done');
    (set.nested.list as unknown[]).push('changed');
    expect(outcome.output).toMatchObject({ nested: { list: [1, 'a', null] } });
  });

  it('keeps a __proto__ key as plain data', async () => {
    const harness = await createActionHarness();
    const set = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const outcome = await transformExecutor.run(harness.context, transformExecutor.params.parse({ set }));
    if (outcome.kind !== 'done') throw new Error('not done');
    expect(Object.keys(outcome.output as object)).toEqual(['__proto__', 'x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a set that is not a table, values that are not data, and unknown parameters', () => {
    expect(transformExecutor.params.safeParse({ set: 'x' }).success).toBe(false);
    expect(transformExecutor.params.safeParse({ set: { n: Number.NaN } }).success).toBe(false);
    expect(transformExecutor.params.safeParse({ set: {}, sett: {} }).success).toBe(false);
  });

  it('check() wants set as a table, unless a template fills it in', () => {
    expect(transformExecutor.check?.({}, {})).toEqual([
      { field: 'with.set', message: expect.stringContaining('required') },
    ]);
    expect(transformExecutor.check?.({ set: 3 }, {})).toEqual([
      { field: 'with.set', message: 'expected a table' },
    ]);
    expect(transformExecutor.check?.({ set: '{{ steps.A.output }}' }, {})).toEqual([]);
    expect(transformExecutor.check?.({ set: {}, extra: 1 }, {})).toEqual([
      { field: 'with.extra', message: expect.stringContaining('unknown parameter') },
    ]);
  });
});

describe('emit', () => {
  it('raises the event with its data and outputs both', async () => {
    const harness = await createActionHarness();
    const params = emitExecutor.params.parse({ event: 'model.ready', data: { score: 0.9 } });
    const outcome = await emitExecutor.run(harness.context, params);
    expect(outcome).toEqual({ kind: 'done', output: { event: 'model.ready', data: { score: 0.9 } } });
    expect(harness.events).toEqual([{ event: 'model.ready', data: { score: 0.9 } }]);
  });

  it('defaults data to {}', async () => {
    const harness = await createActionHarness();
    await emitExecutor.run(harness.context, emitExecutor.params.parse({ event: 'ping' }));
    expect(harness.events).toEqual([{ event: 'ping', data: {} }]);
  });

  it('does not raise the event again when the same step runs again', async () => {
    const harness = await createActionHarness();
    const params = emitExecutor.params.parse({ event: 'ping', data: { n: 1 } });
    await emitExecutor.run(harness.context, params);
    const again = await emitExecutor.run(harness.wake({ attempt: 2 }), params);
    expect(again).toEqual({ kind: 'done', output: { event: 'ping', data: { n: 1 } } });
    expect(harness.events).toHaveLength(1);
  });

  it('refuses an event type that is not a name', () => {
    expect(emitExecutor.params.safeParse({ event: 'two words' }).success).toBe(false);
    expect(emitExecutor.params.safeParse({ event: '' }).success).toBe(false);
    expect(emitExecutor.params.safeParse({ event: 'ok', data: [1] }).success).toBe(false);
    expect(emitExecutor.check?.({}, {})).toEqual([
      { field: 'with.event', message: expect.stringContaining('required') },
    ]);
    expect(emitExecutor.check?.({ event: 'a b', data: 'x' }, {}).map((p) => p.field)).toEqual([
      'with.event',
      'with.data',
    ]);
    expect(emitExecutor.check?.({ event: '{{ inputs.kind }}' }, {})).toEqual([]);
  });
});

describe('chat.notify', () => {
  it("posts to the run's channel by default", async () => {
    const harness = await createActionHarness({ document: DOCUMENT });
    const outcome = await chatNotifyExecutor.run(
      harness.context,
      chatNotifyExecutor.params.parse({ text: 'Hi' }),
    );
    expect(outcome).toEqual({ kind: 'done', output: { posted: true, target: null } });
    expect(harness.notifications).toEqual([{ text: 'Hi' }]);
  });

  it('posts to a [[notifications]] target', async () => {
    const harness = await createActionHarness({ document: DOCUMENT });
    const params = chatNotifyExecutor.params.parse({ text: 'Deployed', target: 'Ops' });
    const outcome = await chatNotifyExecutor.run(harness.context, params);
    expect(outcome).toEqual({ kind: 'done', output: { posted: true, target: 'Ops' } });
    expect(harness.notifications).toEqual([{ text: 'Deployed', target: 'Ops' }]);
  });

  it('refuses an unknown target when it runs (a template may have named it)', async () => {
    const harness = await createActionHarness({ document: DOCUMENT });
    const params = chatNotifyExecutor.params.parse({ text: 'x', target: 'Nobody' });
    const error = await failure(chatNotifyExecutor.run(harness.context, params));
    expect(error.code).toBe('PARAMETER');
    expect(error.message).toContain('known: Ops');
    expect(harness.notifications).toEqual([]);
  });

  it('posts once when the same step runs again, and again when posting failed', async () => {
    let fail = true;
    const posted: string[] = [];
    const harness = await createActionHarness({
      document: DOCUMENT,
      notify: async (request) => {
        if (fail) throw new Error('chat is down');
        posted.push(request.text);
        return undefined;
      },
    });
    const params = chatNotifyExecutor.params.parse({ text: 'Hi' });
    await expect(chatNotifyExecutor.run(harness.context, params)).rejects.toThrow('chat is down');
    fail = false;
    await chatNotifyExecutor.run(harness.wake({ attempt: 2 }), params);
    await chatNotifyExecutor.run(harness.wake({ attempt: 3 }), params);
    expect(posted).toEqual(['Hi']);
  });

  it('check() refuses a missing text and an unknown target', () => {
    expect(chatNotifyExecutor.check?.({ target: 'Nobody' }, DOCUMENT)).toEqual([
      { field: 'with.text', message: expect.stringContaining('required') },
      { field: 'with.target', message: 'no [[notifications]] entry is named "Nobody" (known: Ops)' },
    ]);
    expect(chatNotifyExecutor.check?.({ text: 'x', target: 'Ops' }, DOCUMENT)).toEqual([]);
    expect(chatNotifyExecutor.check?.({ text: 'x', target: '{{ inputs.where }}' }, DOCUMENT)).toEqual([]);
    expect(chatNotifyExecutor.params.safeParse({ text: '  ' }).success).toBe(false);
  });
});
