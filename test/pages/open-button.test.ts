/**
 * The progress message's Open button: with run pages on, every progress message carries it, and
 * a click answers the person who clicked, privately, with a page link made for them alone (one
 * message is seen by everyone; a link is one person's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openButtonId, progressText } from '../../src/runtime/progress.js';
import {
  ADA,
  BOB,
  CHANNEL,
  type PagesHarness,
  runIdOf,
  SECRET_VALUE,
  startPages,
  WORKFLOW,
} from './harness.js';

let h: PagesHarness;
let runId: string;

beforeAll(async () => {
  h = await startPages();
  for (const line of WORKFLOW) expect((await h.command(line)).ok, line).toBe(true);
  runId = runIdOf(await h.command(`/run ticket="crash" token="${SECRET_VALUE}"`));
  await h.waitForState(runId, 'waiting');
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('the Open button', () => {
  it('is on the progress message while the run goes and on its summary', async () => {
    const run = await h.running.runs.runtime.store.read(runId);
    if (run === null) throw new Error('no run');
    const open = { id: openButtonId(runId), label: 'Open' };
    expect(progressText(run, [], 3, new Date(), true).buttons).toEqual([open]);
    expect(progressText(run, [], 3, new Date(), false).buttons).toBeUndefined();
    const finished = { ...run, state: 'succeeded' as const };
    expect(progressText(finished, [], 3, new Date(), true).buttons?.map((b) => b.label)).toEqual([
      'Results',
      'Open',
    ]);
  });

  it('answers each clicker privately with a link of their own', async () => {
    const click = (actor: { id: string; name: string }) =>
      h.running.core.dispatcher.handleButton({ buttonId: openButtonId(runId), actor, channel: CHANNEL });
    const [ada, bob] = await Promise.all([click(ADA), click(BOB)]);
    for (const [reply, user] of [
      [ada, 'ada'],
      [bob, 'bob'],
    ] as const) {
      expect(reply.ok).toBe(true);
      expect(reply.clickEffect).toBe('private');
      const url = (reply.data as { page_url?: string }).page_url ?? '';
      expect(new URL(url).searchParams.get('u')).toBe(user);
      const page = await fetch(h.local(url));
      expect(page.status).toBe(200);
      expect(await page.text()).not.toContain(SECRET_VALUE);
    }
  });

  it('stops serving a link to someone who may no longer read the channel', async () => {
    const linkFor = async (actor: { id: string; name: string }) =>
      ((await h.command(`/status ${runId}`, actor)).data as { page_url: string }).page_url;
    const [adaLink, bobLink] = [await linkFor(ADA), await linkFor(BOB)];
    expect((await fetch(h.local(bobLink))).status).toBe(200);
    for (const line of [
      '/add roles name="Runner" privileges=["execute"]',
      '/revoke bob Approver',
      '/grant bob Runner',
    ])
      expect((await h.command(line)).ok, line).toBe(true);
    const refused = await fetch(h.local(bobLink));
    expect(refused.status).toBe(404);
    expect((await fetch(h.local(adaLink))).status).toBe(200);
  });
});
