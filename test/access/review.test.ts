/**
 * Review, on the file store and on Redis: /submit, who counts, self-approval, votes after a void or
 * a revoke, simultaneous clicks (each person once, the quorum reached once, one "Approved by"), a
 * double click, a forged button naming another channel's review, /reject with a reason, and edits
 * after approval.
 */
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/reply.js';
import type { ChannelKey } from '../../src/session/port.js';
import {
  buttonOf,
  errorCodeOf,
  expectRefusal,
  PEOPLE,
  type Person,
  SLACK_A,
  SLACK_B,
  STORE_KINDS,
  textOf,
  useWorlds,
  type World,
  type WorldOptions,
} from './world.js';

const NEWCOMER = { id: 'U3NEWCOMER', name: 'Nia' };

/** Dana edits, then submits; returns the submission's reply. */
async function submitted(world: World, channel: ChannelKey = SLACK_A, edit = true): Promise<Reply> {
  if (edit) {
    const level = `level-${Math.random().toString(36).slice(2, 8)}`;
    const added = await world.say(PEOPLE.dev, `/add logging level="${level}"`, channel);
    expect(added.ok, textOf(added)).toBe(true);
  }
  const reply = await world.say(PEOPLE.dev, '/submit please look', channel);
  expect(reply.ok, textOf(reply)).toBe(true);
  return reply;
}

function reviewIdOf(reply: Reply): string {
  const match = /^aitws:vote:([A-Za-z0-9_-]+):approve$/.exec(buttonOf(reply, 'Approve'));
  if (match?.[1] === undefined) throw new Error('no review id on the Approve button');
  return match[1];
}

function startsWith(replies: readonly Reply[], prefix: string): Reply[] {
  return replies.filter((reply) => textOf(reply).startsWith(prefix));
}

describe.each(STORE_KINDS)('on the %s store', (kind) => {
  const worlds = useWorlds();
  const open = (options?: WorldOptions): Promise<World> => worlds.open(kind, options);

  it('/submit asks for review of the current version, bound to its hash, with vote buttons', async () => {
    const world = await open();
    const reply = await submitted(world);
    const { review } = await world.access();
    const draft = await world.draft();
    expect(review).toMatchObject({
      version: draft.version,
      state: 'pending',
      required: 2,
      submittedBy: PEOPLE.dev,
      note: 'please look',
      votes: [],
    });
    expect(review?.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(reviewIdOf(reply)).toBe(review?.id);
    expect(buttonOf(reply, 'Reject')).toBe(`aitws:vote:${review?.id}:reject`);
    expect(textOf(reply)).toContain(`asks for review of v${draft.version}`);
    expect(textOf(reply)).toContain('2 approvals from Approver; not the submitter');
    const [entry] = await world.trail(undefined, 1);
    expect(entry).toMatchObject({
      kind: 'submit',
      actor: PEOPLE.dev,
      versionAfter: draft.version,
      hash: review?.hash,
    });
    // The same version again is already submitted: nothing new.
    const again = await world.say(PEOPLE.dev, '/submit');
    expect(textOf(again)).toContain('already submitted');
    expect((await world.access()).review?.id).toBe(review?.id);
  });

  describe('self-approval', () => {
    it('is refused: the submitter’s approval does not count', async () => {
      const world = await open();
      expect((await world.say(PEOPLE.owner, `/grant <@${PEOPLE.dev.id}> Approver`)).ok).toBe(true);
      const reply = await submitted(world);
      const before = await world.access();
      const vote = await world.click(PEOPLE.dev, buttonOf(reply, 'Approve'));
      expect(vote.ok).toBe(false);
      expect(errorCodeOf(vote)).toBe('FORBIDDEN');
      expect(textOf(vote)).toContain('You submitted this version');
      expect(await world.access()).toEqual(before);
      const [entry] = await world.trail(undefined, 1);
      expect(entry).toMatchObject({ kind: 'refused', actor: PEOPLE.dev });
      // Rejecting one's own submission is allowed (it withdraws it).
      expect((await world.say(PEOPLE.dev, '/reject not ready after all')).ok).toBe(true);
    });

    it('counts when change_management.allow_self_approval = true', async () => {
      const world = await open({ allowSelfApproval: true, requiredApprovals: 1 });
      expect((await world.say(PEOPLE.owner, `/grant <@${PEOPLE.dev.id}> Approver`)).ok).toBe(true);
      const reply = await submitted(world);
      const vote = await world.click(PEOPLE.dev, buttonOf(reply, 'Approve'));
      expect(vote.ok, textOf(vote)).toBe(true);
      expect(textOf(vote)).toMatch(/^Approved by Dana · /);
      expect((await world.access()).review).toMatchObject({ state: 'approved', decidedBy: [PEOPLE.dev] });
    });
  });

  describe('who counts', () => {
    it('holding approve through a role outside approval_roles does not make a vote count', async () => {
      // Developer is an approval role here but has no approve; Olga holds approve through Administrator.
      const world = await open({ approvalRoles: ['Approver', 'Developer'], requiredApprovals: 1 });
      expect((await world.say(PEOPLE.admin, `/grant <@${PEOPLE.owner.id}> Developer`)).ok).toBe(true);
      await submitted(world);
      const before = await world.access();
      const vote = await world.say(PEOPLE.owner, '/approve');
      expect(vote.ok, textOf(vote)).toBe(false);
      expect(errorCodeOf(vote)).toBe('FORBIDDEN');
      expect(await world.access()).toEqual(before);
    });

    it('a workspace admin without an approval role cannot vote', async () => {
      const world = await open();
      await submitted(world);
      const before = await world.access();
      const vote = await world.say(PEOPLE.admin, '/approve');
      expect(errorCodeOf(vote)).toBe('FORBIDDEN');
      expect(textOf(vote)).toContain('Approver');
      expect(await world.access()).toEqual(before);
    });
  });

  it('a vote after an edit is refused, and the edit’s reply says it voids the pending review', async () => {
    const world = await open();
    const reply = await submitted(world);
    expect((await world.click(PEOPLE.approver1, buttonOf(reply, 'Approve'))).ok).toBe(true);
    const { review } = await world.access();
    const edit = await world.say(PEOPLE.dev, '/add logging level="trace"');
    expect(edit.ok).toBe(true);
    expect(textOf(edit)).toContain(`voids the pending review of v${review?.version}`);
    const afterEdit = await world.access();
    expect(afterEdit.review).toMatchObject({ id: review?.id, state: 'void' });

    const clicked = await world.click(PEOPLE.approver2, buttonOf(reply, 'Approve'));
    expect(clicked.ok).toBe(false);
    expect(errorCodeOf(clicked)).toBe('REVIEW_CLOSED');
    expect(textOf(clicked)).toContain('void');
    const typed = await world.say(PEOPLE.approver2, '/approve');
    expect(errorCodeOf(typed)).toBe('REVIEW_CLOSED');
    expect(await world.access()).toEqual(afterEdit);
    expect((await world.trail(undefined, 1))[0]).toMatchObject({ kind: 'refused', actor: PEOPLE.approver2 });
    expect(textOf(await world.say(PEOPLE.viewer, '/review'))).toMatch(/^Void: changed to v\d+ by Dana/);
  });

  it('a vote after the voter’s grant was revoked is refused; one cast before stops counting', async () => {
    const world = await open();
    const reply = await submitted(world);
    const approve = buttonOf(reply, 'Approve');
    expect(textOf(await world.click(PEOPLE.approver1, approve))).toMatch(/^Waiting for review · 1 of 2/);
    expect((await world.say(PEOPLE.owner, `/revoke <@${PEOPLE.approver1.id}> Approver`)).ok).toBe(true);
    expect(textOf(await world.say(PEOPLE.viewer, '/review'))).toMatch(/^Waiting for review · 0 of 2/);

    // Ann again: she no longer holds approve.
    const before = await world.access();
    expectRefusal(await world.click(PEOPLE.approver1, approve), 'approve');
    expect(await world.access()).toEqual(before);

    // Abe's approval is the only one that counts: still pending.
    const abe = await world.click(PEOPLE.approver2, approve);
    expect(textOf(abe)).toMatch(/^Waiting for review · 1 of 2/);
    expect((await world.access()).review?.state).toBe('pending');

    // A second approver still granted reaches the quorum, and Ann is not among the approvers.
    expect((await world.say(PEOPLE.owner, `/grant <@${NEWCOMER.id}> Approver`)).ok).toBe(true);
    const nia = await world.click(NEWCOMER, approve);
    expect(textOf(nia)).toMatch(/^Approved by Abe and Nia · /);
    const { review, lastApproved } = await world.access();
    expect(review?.decidedBy).toEqual([PEOPLE.approver2, NEWCOMER]);
    expect(lastApproved?.approvedBy).toEqual([PEOPLE.approver2, NEWCOMER]);
  });

  it('a vote cast before a revoke does not count again when the role is granted back; a new vote does', async () => {
    const world = await open();
    const reply = await submitted(world);
    const approve = buttonOf(reply, 'Approve');
    await world.click(PEOPLE.approver1, approve);
    expect((await world.say(PEOPLE.owner, `/revoke <@${PEOPLE.approver1.id}> Approver`)).ok).toBe(true);
    expect(textOf(await world.click(PEOPLE.approver2, approve))).toMatch(/^Waiting for review · 1 of 2/);
    expect((await world.say(PEOPLE.owner, `/grant <@${PEOPLE.approver1.id}> Approver`)).ok).toBe(true);
    // Still one: Ann's vote was cast under the grant that was revoked.
    expect(textOf(await world.say(PEOPLE.viewer, '/review'))).toMatch(/^Waiting for review · 1 of 2/);
    expect((await world.access()).review?.state).toBe('pending');
    // Under her new grant she may vote again, and that reaches the quorum.
    const again = await world.click(PEOPLE.approver1, approve);
    expect(textOf(again)).toMatch(/^Approved by (Abe and Ann|Ann and Abe) · /);
    const { review } = await world.access();
    expect(review?.state).toBe('approved');
    expect(review?.votes.filter((v) => v.voter.id === PEOPLE.approver1.id)).toHaveLength(1);
  });

  it('two approvers clicking at the same moment: each counted once, the quorum reached once, one approved message', async () => {
    const world = await open();
    for (let round = 0; round < 5; round++) {
      const reply = await submitted(world);
      const approve = buttonOf(reply, 'Approve');
      const [trailBefore] = await world.trail(undefined, 1);
      const replies = await Promise.all([
        world.click(PEOPLE.approver1, approve),
        world.click(PEOPLE.approver2, approve),
      ]);
      // Each reply replaces the review message (Slack and Discord update that one message in
      // order), so the channel holds one approved message however the replies land: the one that
      // decided says so, and the other says either its own count or, read after, the approval.
      for (const vote of replies) {
        expect(vote.ok, textOf(vote)).toBe(true);
        expect(vote.clickEffect).toBe('replace');
        expect(textOf(vote)).toMatch(
          /^(Approved by (Ann and Abe|Abe and Ann) · |Waiting for review · 1 of 2)/,
        );
      }
      expect(startsWith(replies, 'Approved by').length).toBeGreaterThanOrEqual(1);
      const { review } = await world.access();
      expect(review?.state).toBe('approved');
      const both = [PEOPLE.approver1.id, PEOPLE.approver2.id].sort();
      expect(review?.votes.map((v) => v.voter.id).sort()).toEqual(both);
      expect(review?.decidedBy?.map((p) => p.id).sort()).toEqual(both);
      const shown = textOf(await world.say(PEOPLE.viewer, '/review'));
      expect(shown).toMatch(/^Approved by (Ann and Abe|Abe and Ann) · /);

      const trail = await world.trail(undefined, 10);
      const since = trail.slice(
        0,
        trail.findIndex((entry) => entry.id === trailBefore?.id),
      );
      expect(since.filter((e) => e.kind === 'approve')).toHaveLength(2);
      expect(since.filter((e) => e.kind === 'approved')).toHaveLength(1);
    }
  });

  it('with a quorum of one, of two simultaneous clicks exactly one counts; the other is told by whom', async () => {
    const world = await open({ requiredApprovals: 1 });
    const reply = await submitted(world);
    const approve = buttonOf(reply, 'Approve');
    const replies = await Promise.all([
      world.click(PEOPLE.approver1, approve),
      world.click(PEOPLE.approver2, approve),
    ]);
    const [winner, ...others] = startsWith(replies, 'Approved by');
    expect(others).toHaveLength(0);
    const { review } = await world.access();
    expect(review?.votes).toHaveLength(1);
    const decider = review?.votes[0]?.voter as Person;
    expect(textOf(winner as Reply)).toMatch(new RegExp(`^Approved by ${decider.name} · `));
    const [loser] = replies.filter((r) => r !== winner);
    expect(textOf(loser as Reply)).toMatch(new RegExp(`^Already decided: Approved by ${decider.name}`));
    expect(loser?.visibility).toBe('ephemeral');
    expect(loser?.clickEffect).toBe('private');
    expect(review?.decidedBy).toEqual([decider]);
  });

  it('a double click by the same person counts once', async () => {
    const world = await open();
    const reply = await submitted(world);
    const approve = buttonOf(reply, 'Approve');
    const replies = await Promise.all([
      world.click(PEOPLE.approver1, approve),
      world.click(PEOPLE.approver1, approve),
    ]);
    expect(startsWith(replies, 'Waiting for review · 1 of 2')).toHaveLength(1);
    expect(startsWith(replies, 'You already approved')).toHaveLength(1);
    const third = await world.say(PEOPLE.approver1, '/approve');
    expect(textOf(third)).toMatch(/^You already approved/);
    const { review } = await world.access();
    expect(review?.state).toBe('pending');
    expect(review?.votes.map((v) => v.voter.id)).toEqual([PEOPLE.approver1.id]);
    const approvals = (await world.trail(undefined, 20)).filter(
      (e) => e.kind === 'approve' && e.versionAfter === review?.version,
    );
    expect(approvals).toHaveLength(1);
  });

  describe('a forged button naming another channel’s review', () => {
    async function twoChannels(): Promise<{ world: World; reviewA: string; approveA: string }> {
      const world = await open();
      await world.populate(SLACK_B);
      const reply = await submitted(world, SLACK_A);
      return { world, reviewA: reviewIdOf(reply), approveA: buttonOf(reply, 'Approve') };
    }

    async function stateOf(world: World): Promise<unknown> {
      return {
        a: [await world.access(SLACK_A), await world.draft(SLACK_A), await world.trail(SLACK_A)],
        b: [await world.access(SLACK_B), await world.draft(SLACK_B)],
      };
    }

    it('is refused where the other channel has no review, changing nothing in either', async () => {
      const { world, approveA } = await twoChannels();
      const before = await stateOf(world);
      const vote = await world.click(PEOPLE.approver1, approveA, SLACK_B);
      expect(vote.ok).toBe(false);
      expect(errorCodeOf(vote)).toBe('NO_REVIEW');
      expect(await stateOf(world)).toEqual(before);
    });

    it('is refused where the other channel has its own review, changing nothing in either', async () => {
      const { world, approveA, reviewA } = await twoChannels();
      await submitted(world, SLACK_B);
      const before = await stateOf(world);
      for (const choice of ['approve', 'reject'] as const) {
        const vote = await world.click(PEOPLE.approver1, `aitws:vote:${reviewA}:${choice}`, SLACK_B);
        expect(vote.ok).toBe(false);
        expect(errorCodeOf(vote)).toBe('REVIEW_CLOSED');
      }
      expect(await stateOf(world)).toEqual(before);
      expect(approveA).toBe(`aitws:vote:${reviewA}:approve`);
      // And typed: /approve review=ID is bound the same way.
      const typed = await world.say(PEOPLE.approver1, `/approve review=${reviewA}`, SLACK_B);
      expect(errorCodeOf(typed)).toBe('REVIEW_CLOSED');
      expect((await world.access(SLACK_B)).review?.votes).toEqual([]);
    });
  });

  it('/reject REASON records the reason and /review shows it', async () => {
    const world = await open();
    await submitted(world);
    const reason = 'the retry policy is too aggressive';
    const rejected = await world.say(PEOPLE.approver2, `/reject ${reason}`);
    expect(rejected.ok, textOf(rejected)).toBe(true);
    expect(textOf(rejected)).toMatch(new RegExp(`^Rejected by Abe: ${reason} · `));
    expect((await world.access()).review).toMatchObject({
      state: 'rejected',
      decidedBy: [PEOPLE.approver2],
      reason,
      votes: [{ voter: PEOPLE.approver2, choice: 'reject', reason }],
    });
    const shown = textOf(await world.say(PEOPLE.viewer, '/review'));
    expect(shown).toMatch(new RegExp(`^Rejected by Abe: ${reason} · `));
    expect(shown).toContain(`Abe rejected at`);
    expect((await world.trail(undefined, 1))[0]).toMatchObject({ kind: 'rejected', actor: PEOPLE.approver2 });
    // Decided: a later approval is told so and changes nothing.
    const late = await world.say(PEOPLE.approver1, '/approve');
    expect(textOf(late)).toMatch(/^Already decided: Rejected by Abe/);
    expect((await world.access()).review?.votes).toHaveLength(1);
    // /approve takes no text.
    expect(errorCodeOf(await world.say(PEOPLE.approver1, '/approve looks fine'))).toBe('USAGE');
  });

  it.each([
    ['/add logging level="after"', PEOPLE.dev, 'REVIEW_CLOSED'],
    ['/undo', PEOPLE.dev, 'REVIEW_CLOSED'],
    // The new empty document defines no roles: Ann's grant is dormant, so she is refused earlier.
    ['/create name="Fresh" force=true', PEOPLE.owner, 'FORBIDDEN'],
  ] as const)('any edit after approval voids it (%s) and /review says void', async (edit, editor, code) => {
    const world = await open();
    const reply = await submitted(world);
    const approve = buttonOf(reply, 'Approve');
    await world.click(PEOPLE.approver1, approve);
    expect(textOf(await world.click(PEOPLE.approver2, approve))).toMatch(/^Approved by/);
    const approved = await world.access();
    const edited = await world.say(editor, edit);
    expect(edited.ok, textOf(edited)).toBe(true);
    expect(textOf(edited)).toContain(`voids the approval of v${approved.review?.version}`);
    const after = await world.access();
    expect(after.review).toMatchObject({ id: approved.review?.id, state: 'void' });
    // What was approved stays on record as the last approved version.
    expect(after.lastApproved).toEqual(approved.lastApproved);
    // (The workspace admin reads it: /create force=true leaves a document without roles, so every
    // grant is dormant and the Viewer holds nothing.)
    const shown = textOf(await world.say(PEOPLE.admin, '/review'));
    expect(shown).toMatch(
      new RegExp(`^Void: changed to v${(await world.draft()).version} by ${editor.name}`),
    );
    expect((await world.trail(undefined, 1))[0]).toMatchObject({ kind: 'void', actor: editor });
    // A vote on it now is refused.
    const before = await world.access();
    expect(errorCodeOf(await world.click(PEOPLE.approver1, approve))).toBe(code);
    expect(await world.access()).toEqual(before);
  });
});
