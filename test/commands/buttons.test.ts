import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/reply.js';
import { createHarness, type Harness, textOf } from '../support/harness.js';

let h: Harness;
const alice = { id: 'U1', name: 'alice' };
const bob = { id: 'U2', name: 'bob' };

beforeEach(async () => {
  h = await createHarness();
  expect((await h.run('/create name="Original"')).ok).toBe(true);
});

afterEach(async () => {
  await h.cleanup();
});

async function offerReplace(): Promise<Reply> {
  const reply = await h.dispatcher.handle({
    text: '/create name="Replacement"',
    actor: alice,
    channel: h.channel,
    supportsButtons: true,
  });
  expect(reply.buttons.map((b) => b.label)).toEqual(['Replace', 'Cancel']);
  return reply;
}

function click(reply: Reply, label: string, actor = bob, channel = h.channel) {
  const button = reply.buttons.find((b) => b.label === label);
  if (button === undefined) throw new Error(`no ${label} button`);
  return h.dispatcher.handleButton({ buttonId: button.id, actor, channel });
}

describe('/create over a draft with buttons', () => {
  it('asks first and changes nothing until someone confirms', async () => {
    const before = await h.snapshot();
    const offer = await offerReplace();
    expect(offer.visibility).toBe('ephemeral');
    expect(textOf(offer)).toMatch(/already has a draft \("Original", v1\)/);
    expect(await h.snapshot()).toEqual(before);
  });

  it('replaces on confirm, as the person who clicked, exactly once', async () => {
    const offer = await offerReplace();
    const done = await click(offer, 'Replace');
    expect(done.ok).toBe(true);
    expect(textOf(done)).toMatch(/Replaced the draft with "Replacement" · v2/);
    const [latest] = await h.store.history(h.channel, 1);
    expect(latest?.by).toBe('bob');
    const again = await click(offer, 'Replace', alice);
    expect(textOf(again)).toBe('Already done by bob.');
    const late = await click(offer, 'Cancel', alice);
    expect(textOf(late)).toBe('Already done by bob.');
    expect((await h.store.read(h.channel)).version).toBe(2);
  });

  it('cancels, and a later confirm has no effect', async () => {
    const offer = await offerReplace();
    expect(textOf(await click(offer, 'Cancel'))).toMatch(/Cancelled by bob/);
    expect(textOf(await click(offer, 'Replace', alice))).toBe('Already cancelled by bob.');
    expect((await h.store.read(h.channel)).document).toMatchObject({ metadata: { name: 'Original' } });
  });

  it('double clicks at the same instant apply once', async () => {
    const offer = await offerReplace();
    const replies = await Promise.all([click(offer, 'Replace'), click(offer, 'Replace', alice)]);
    expect(replies.filter((r) => textOf(r).startsWith('Replaced')).length).toBe(1);
    expect((await h.store.read(h.channel)).version).toBe(2);
  });

  it('refuses damaged, unknown and foreign buttons without an effect', async () => {
    const offer = await offerReplace();
    const damaged = await h.dispatcher.handleButton({
      buttonId: 'aitws:../../x:confirm',
      actor: bob,
      channel: h.channel,
    });
    expect(damaged.ok).toBe(false);
    const unknown = await h.dispatcher.handleButton({
      buttonId: 'aitws:AAAAAAAAAAAA:confirm',
      actor: bob,
      channel: h.channel,
    });
    expect(textOf(unknown)).toMatch(/expired/);
    const foreign = await click(offer, 'Replace', bob, { ...h.channel, channel: 'elsewhere' });
    expect(foreign.ok).toBe(false);
    expect((await h.store.read(h.channel)).version).toBe(1);
    expect((await click(offer, 'Replace')).ok).toBe(true);
  });
});
