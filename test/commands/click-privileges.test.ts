/**
 * Buttons run as the person who clicks, checked when they click: someone who may not run what a
 * button does is refused, and the button stays for someone who may (a refusal decides nothing).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/reply.js';
import { createHarness, type Harness, textOf } from '../support/harness.js';

let h: Harness;
const admin = { id: 'root', name: 'root' };
const lead = { id: 'lena', name: 'lena' };
const viewer = { id: 'vic', name: 'vic' };

const DOCUMENT = `[metadata]
name = "Team"
version = "1.0.0"

[[roles]]
name = "Lead"
privileges = ["all"]

[[roles]]
name = "Viewer"
privileges = ["read"]
`;

const as = (actor: { id: string; name: string }, text: string): Promise<Reply> =>
  h.dispatcher.handle({ text, actor, channel: h.channel, supportsButtons: true });

function click(reply: Reply, label: string, actor: { id: string; name: string }): Promise<Reply> {
  const button = reply.buttons.find((b) => b.label === label);
  if (button === undefined) throw new Error(`no ${label} button in: ${textOf(reply)}`);
  return h.dispatcher.handleButton({ buttonId: button.id, actor, channel: h.channel });
}

beforeEach(async () => {
  h = await createHarness(
    'team',
    { kind: 'file' },
    {
      policy: { admins: new Set(['console:root']), defaultPrivileges: ['read', 'write'] },
    },
  );
  await writeFile(path.join(h.workDir, 'team.toml'), DOCUMENT);
  expect((await as(admin, '/load team.toml')).ok).toBe(true);
  expect((await as(admin, '/grant lena Lead')).ok).toBe(true);
  expect((await as(admin, '/grant vic Viewer')).ok).toBe(true);
});

afterEach(async () => {
  await h.cleanup();
});

it('a Replace click by someone without admin is refused, decides nothing, and the Lead can still use it', async () => {
  const offer = await as(lead, '/create name="Fresh start"');
  const refused = await click(offer, 'Replace', viewer);
  expect(refused.ok).toBe(false);
  expect(textOf(refused)).toMatch(/needs the admin privilege; you hold read here/);
  expect((await h.store.read(h.channel)).version).toBe(1);
  const done = await click(offer, 'Replace', lead);
  expect(done.ok).toBe(true);
  expect(textOf(done)).toMatch(/Replaced the draft with "Fresh start" · v2/);
  const refusals = (await h.access.recentAudit(h.channel, 10)).filter((entry) => entry.kind === 'refused');
  expect(refusals.map((entry) => [entry.actor.id, entry.detail])).toEqual([['vic', 'needs admin']]);
});

it('a Cancel click by someone else decides the offer; a refused confirm does not', async () => {
  const offer = await as(lead, '/create name="Fresh start"');
  expect((await click(offer, 'Replace', viewer)).ok).toBe(false);
  const cancelled = await click(offer, 'Cancel', lead);
  expect(textOf(cancelled)).toMatch(/Cancelled by lena/);
  expect(textOf(await click(offer, 'Replace', lead))).toBe('Already cancelled by lena.');
});
