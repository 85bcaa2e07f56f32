/**
 * The audit trail, on the file store and on Redis: every change, grant, revoke, submission, vote and
 * refusal is appended with the actor (id and name), the time, the command with secrets masked, the
 * versions and the content hash; nothing removes or edits an entry; a secret typed in a command is in
 * no entry, nor anywhere in the stored trail (the .jsonl files, the Redis stream read by XRANGE);
 * /audit LIMIT shows the newest first.
 */
import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/access/content-hash.js';
import type { Reply } from '../../src/commands/reply.js';
import type { AuditEntry, AuditKind } from '../../src/session/access-port.js';
import {
  buttonOf,
  documentText,
  errorCodeOf,
  PEOPLE,
  type Person,
  STORE_KINDS,
  textOf,
  useWorlds,
  type World,
} from './world.js';

/** Typed in commands; must never reach the trail. */
const SECRETS = ['hunter2secret', 'p4ssw0rdFromChat', 'tok3nInANote'];
const NEWCOMER = { id: 'U4NEWCOMER', name: 'Nia' };

interface Step {
  readonly who: Person;
  readonly text: string;
  /** What the step appends, oldest first. */
  readonly kinds: readonly AuditKind[];
  /** Whether the entry carries versions and the hash of the draft after it. */
  readonly versioned?: boolean;
  readonly ok?: boolean;
}

/** Oldest first, the whole trail. */
async function wholeTrail(world: World): Promise<AuditEntry[]> {
  return [...(await world.trail(undefined, 200))].reverse();
}

async function said(world: World, who: Person, text: string): Promise<Reply> {
  return world.say(who, text);
}

describe.each(STORE_KINDS)('on the %s store', (kind) => {
  const worlds = useWorlds();

  it('every change, grant, revoke, submission, vote and refusal is appended, masked, with versions and hash', async () => {
    const world = await worlds.open(kind);
    const started = new Date().toISOString();
    const steps: Step[] = [
      {
        who: PEOPLE.dev,
        text: `/add external_services name="api" url="https://user:${SECRETS[0]}@example.com"`,
        kinds: ['change'],
        versioned: true,
      },
      { who: PEOPLE.dev, text: '/add logging level="debug"', kinds: ['change'], versioned: true },
      { who: PEOPLE.dev, text: '/remove logging level', kinds: ['change'], versioned: true },
      { who: PEOPLE.dev, text: '/undo', kinds: ['change'], versioned: true },
      {
        who: PEOPLE.viewer,
        text: `/add external_services name="db" url="postgres://admin:${SECRETS[1]}@db.example.com/x"`,
        kinds: ['refused'],
        ok: false,
      },
      { who: PEOPLE.owner, text: `/grant <@${NEWCOMER.id}> Approver`, kinds: ['grant'] },
      { who: PEOPLE.owner, text: `/revoke <@${NEWCOMER.id}> Approver`, kinds: ['revoke'] },
      {
        who: PEOPLE.dev,
        text: `/submit see https://bot:${SECRETS[2]}@hooks.example.com and password=${SECRETS[1]}`,
        kinds: ['submit'],
      },
      { who: PEOPLE.approver1, text: '/approve', kinds: ['approve'] },
      { who: PEOPLE.approver2, text: '/approve', kinds: ['approve', 'approved'] },
      // Voids the approval: a change, then the void.
      { who: PEOPLE.dev, text: '/add logging level="info"', kinds: ['change', 'void'], versioned: true },
      { who: PEOPLE.dev, text: '/submit', kinds: ['submit'] },
      {
        who: PEOPLE.approver1,
        text: `/reject token=${SECRETS[2]} is in the draft`,
        kinds: ['reject', 'rejected'],
      },
      { who: PEOPLE.dev, text: '/save name="kept"', kinds: ['library'] },
      { who: PEOPLE.dev, text: '/saved delete kept', kinds: ['library'] },
      { who: PEOPLE.admin, text: '/load document-1.toml', kinds: ['change'], versioned: true },
      { who: PEOPLE.owner, text: '/create name="Fresh" force=true', kinds: ['change'], versioned: true },
    ];

    for (const step of steps) {
      const before = await wholeTrail(world);
      const versionBefore = (await world.draft()).version;
      const reply = await said(world, step.who, step.text);
      expect(reply.ok, `${step.text}: ${textOf(reply)}`).toBe(step.ok ?? true);
      const after = await wholeTrail(world);
      // Appended: everything before is still there, unchanged, in order.
      expect(after.slice(0, before.length)).toEqual(before);
      const added = after.slice(before.length);
      expect(
        added.map((e) => e.kind),
        step.text,
      ).toEqual(step.kinds);
      const draft = await world.draft();
      for (const entry of added) {
        expect(entry.actor).toEqual(step.who);
        expect(entry.channel).toMatchObject({ platform: 'slack', workspace: 'T1', channel: 'C1' });
        expect(entry.at >= started && entry.at <= new Date().toISOString()).toBe(true);
        expect(entry.command.split(' ')[0]).toBe(step.text.split(' ')[0]);
        for (const secret of SECRETS) expect(JSON.stringify(entry)).not.toContain(secret);
      }
      const [first] = added;
      if (step.versioned === true) {
        expect(first).toMatchObject({
          versionBefore,
          versionAfter: draft.version,
          hash: contentHash(draft.document),
        });
        expect(draft.version).toBe(versionBefore + 1);
      }
      if (first?.kind === 'submit' || first?.kind === 'approve' || first?.kind === 'reject')
        expect(first).toMatchObject({ versionAfter: draft.version, hash: contentHash(draft.document) });
      if (first?.kind === 'refused') expect(first.detail).toBe('needs write');
      if (first?.kind === 'grant' || first?.kind === 'revoke') expect(first.detail).toContain(NEWCOMER.id);
    }

    // The masked forms are there instead.
    const trail = await wholeTrail(world);
    expect(trail.find((e) => e.command.startsWith('/add external_services'))?.command).toBe(
      '/add external_services name="api" url="https://user:****@example.com"',
    );
    expect(trail.find((e) => e.kind === 'reject')?.detail).toMatch(/^token=\S*\*\*\*\* is in the draft$/);
    expect(trail.find((e) => e.kind === 'rejected')?.detail).toContain('by Ann');
    // And in the store itself: the .jsonl file, or every field of the Redis stream.
    const raw = await world.rawTrails();
    expect(raw).toContain('external_services');
    for (const secret of SECRETS) expect(raw).not.toContain(secret);
    // /audit shows none of them either.
    // (The workspace admin: after /create force=true no role is defined, so every grant is dormant.)
    const shown = textOf(await said(world, PEOPLE.admin, '/audit 200'));
    expect(shown).toContain('****');
    for (const secret of SECRETS) expect(shown).not.toContain(secret);
  });

  it('no command removes or edits entries: the count only grows across /undo, /create force=true, /saved delete', async () => {
    const world = await worlds.open(kind);
    await said(world, PEOPLE.dev, '/add logging level="debug"');
    await said(world, PEOPLE.dev, '/save name="gone"');
    for (const [who, text] of [
      [PEOPLE.dev, '/undo'],
      [PEOPLE.dev, '/redo'],
      [PEOPLE.dev, '/saved delete gone'],
      [PEOPLE.viewer, '/undo'],
      [PEOPLE.owner, '/create name="Fresh" force=true'],
      [PEOPLE.admin, '/load document-1.toml'],
    ] as const) {
      const before = await wholeTrail(world);
      const reply = await said(world, who, text);
      const after = await wholeTrail(world);
      expect(after.length, `${text}: ${textOf(reply)}`).toBeGreaterThan(before.length);
      expect(after.slice(0, before.length)).toEqual(before);
      // Ids increase with each entry.
      const ids = after.map((entry) => entry.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('/audit 5 shows the 5 newest first; 0 and 999 are usage errors', async () => {
    const world = await worlds.open(kind);
    for (let i = 0; i < 6; i++) await said(world, PEOPLE.dev, `/add logging level="l${i}"`);
    const newest = await world.trail(undefined, 5);
    const reply = await said(world, PEOPLE.viewer, '/audit 5');
    expect(reply.ok).toBe(true);
    const list = reply.blocks.find((block) => block.kind === 'list');
    expect(list?.kind === 'list' ? list.items : []).toHaveLength(5);
    const items = list?.kind === 'list' ? list.items : [];
    expect(items[0]).toContain('/add logging level="l5"');
    expect(items[4]).toContain('/add logging level="l1"');
    const data = reply.data as { entries: AuditEntry[] };
    expect(data.entries).toEqual(newest);
    for (const [index, item] of items.entries())
      expect(item).toContain(`v${newest[index]?.versionBefore}→v${newest[index]?.versionAfter}`);

    for (const limit of ['0', '999', '-1', 'five', '5.5']) {
      const bad = await said(world, PEOPLE.viewer, `/audit ${limit}`);
      expect(bad.ok, limit).toBe(false);
      expect(errorCodeOf(bad), limit).toBe('USAGE');
    }
  });

  it('a vote clicked with a button is audited like a typed one', async () => {
    const world = await worlds.open(kind);
    expect((await world.load(documentText({ requiredApprovals: 1 }))).ok).toBe(true);
    const submitted = await said(world, PEOPLE.dev, '/submit');
    expect(submitted.ok, textOf(submitted)).toBe(true);
    const approved = await world.click(PEOPLE.approver1, buttonOf(submitted, 'Approve'));
    expect(approved.ok, textOf(approved)).toBe(true);
    const [decided, vote] = await world.trail(undefined, 2);
    expect(vote).toMatchObject({ kind: 'approve', actor: PEOPLE.approver1 });
    expect(vote?.command).toMatch(/^\/approve review=/);
    expect(decided).toMatchObject({ kind: 'approved', actor: PEOPLE.approver1 });
  });
});
