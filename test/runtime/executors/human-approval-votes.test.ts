import { describe, expect, it } from 'vitest';
import { castRunVote } from '../../../src/runtime/executors/human-approval.js';
import { readApprovalMemo } from '../../../src/runtime/executors/human-approval-memo.js';
import type { JsonObject } from '../../../src/runtime/run-store.js';
import { MemoryRunStore } from '../../../src/runtime/run-store-memory.js';
import { createActionHarness } from './context.js';
import { ADA, BEA, CY, DAN, eligible, failure, memoOf, params, run, vote } from './human-approval-fixture.js';

describe('human.approval: deciding', () => {
  it('needs two approvals for quorum 2, shows progress, then replaces the message with the decision', async () => {
    const harness = await createActionHarness();
    const p = params({ quorum: 2 });
    await run(harness.context, p);
    harness.clock.advance(5_000);
    const first = await vote(harness, BEA);
    expect(first).toEqual({
      kind: 'counted',
      vote: { voter: BEA, choice: 'approve', at: '2025-01-01T00:00:05.000Z' },
      approvals: 1,
      quorum: 2,
    });
    expect(await run(harness.wake(), p)).toMatchObject({ kind: 'wait' });
    expect(harness.updates.at(-1)?.request.text).toContain('Approved so far by Bea (1 of 2)');
    expect(harness.updates.at(-1)?.request.buttons).toHaveLength(2);

    harness.clock.advance(5_000);
    const second = await vote(harness, CY);
    expect(second).toMatchObject({ kind: 'counted', approvals: 2, decision: { decision: 'approved' } });
    const done = await run(harness.wake(), p);
    expect(done).toEqual({
      kind: 'done',
      output: { decision: 'approved', by: ['Bea', 'Cy'], at: '2025-01-01T00:00:10.000Z' },
    });
    const last = harness.updates.at(-1);
    expect(last?.message).toEqual({ channel: harness.context.channel, messageId: '1' });
    expect(last?.request.text).toContain('Approved by Bea and Cy.');
    expect(last?.request.buttons).toBeUndefined();
    expect(await vote(harness, ADA, 'reject')).toMatchObject({
      kind: 'decided-already',
      decision: { decision: 'approved' },
    });
    // Called again before the step was journaled (a crash): the same answer, nothing posted.
    expect(await run(harness.wake({ attempt: 2 }), p)).toEqual(done);
    expect(harness.notifications).toHaveLength(1);
  });

  it('counts concurrent votes exactly once each and reaches the quorum once', async () => {
    let conflicts = 0;
    const store = new (class extends MemoryRunStore {
      override async writeStepMemo(id: string, key: string, revision: number, value: JsonObject) {
        const written = await super.writeStepMemo(id, key, revision, value);
        if (!written) conflicts += 1;
        return written;
      }
    })();
    const harness = await createActionHarness({ store });
    const p = params({ quorum: 5 });
    await run(harness.context, p);
    const voters = Array.from({ length: 8 }, (_, index) => ({ id: `V${index}`, name: `Voter ${index}` }));
    const outcomes = await Promise.all(
      voters.map((voter) =>
        castRunVote(store, {
          runId: harness.runId,
          stepKey: harness.stepKey,
          voter,
          choice: 'approve',
          now: harness.clock.now(),
          eligible: async () => ({ eligible: true }),
        }),
      ),
    );
    expect(conflicts).toBeGreaterThan(0);
    const counted = outcomes.filter((outcome) => outcome.kind === 'counted');
    expect(counted).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome.kind === 'decided-already')).toHaveLength(3);
    expect(counted.filter((outcome) => outcome.decision !== undefined)).toHaveLength(1);
    const memo = readApprovalMemo(await memoOf(harness));
    const ids = (memo?.votes ?? []).map((entry) => entry.voter.id);
    expect(new Set(ids).size).toBe(5);
    expect(ids.sort()).toEqual(counted.map((outcome) => outcome.vote.voter.id).sort());
  });

  it('answers a repeat vote with the first one and counts it once', async () => {
    const harness = await createActionHarness();
    await run(harness.context, params({ quorum: 2 }));
    const first = await vote(harness, BEA);
    expect(await vote(harness, BEA, 'reject')).toEqual({
      kind: 'repeat',
      vote: first.kind === 'counted' && first.vote,
    });
    expect(((await memoOf(harness)).votes as unknown[]).length).toBe(1);
  });

  it('refuses the approval of the person who started the run unless allow_self_approval', async () => {
    const refused = await createActionHarness();
    await run(refused.context, params());
    expect(await vote(refused, ADA)).toMatchObject({ kind: 'refused', reason: 'self-approval' });
    expect((await memoOf(refused)).votes).toEqual([]);

    const allowed = await createActionHarness();
    await run(allowed.context, params({ allow_self_approval: true }));
    expect(await vote(allowed, ADA)).toMatchObject({ kind: 'counted', decision: { decision: 'approved' } });
  });

  it('refuses a person without one of the approver roles, with the reason from the role check', async () => {
    const harness = await createActionHarness();
    await run(harness.context, params());
    expect(await vote(harness, DAN)).toEqual({
      kind: 'refused',
      reason: 'not-an-approver',
      message: 'Dan does not hold Lead.',
    });
    expect((await memoOf(harness)).votes).toEqual([]);
  });

  it('rejects on one rejection: the step fails with the voter and reason, the message says so', async () => {
    const harness = await createActionHarness();
    const p = params({ quorum: 2 });
    await run(harness.context, p);
    await vote(harness, BEA);
    const rejected = await vote(harness, ADA, 'reject', '  too risky ');
    expect(rejected).toMatchObject({
      kind: 'counted',
      decision: { decision: 'rejected', reason: 'too risky' },
    });
    const error = await failure(run(harness.wake(), p));
    expect(error.code).toBe('APPROVAL_REJECTED');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('Step was rejected by Ada: too risky');
    expect(harness.updates.at(-1)?.request).toEqual({
      text: expect.stringContaining('Rejected by Ada: too risky'),
    });
    expect(await vote(harness, CY)).toMatchObject({
      kind: 'decided-already',
      decision: { decision: 'rejected' },
    });
  });
});

describe('castRunVote refusals', () => {
  it('keeps a long rejection reason short', async () => {
    const harness = await createActionHarness();
    await run(harness.context, params());
    const outcome = await vote(harness, BEA, 'reject', 'x'.repeat(2000));
    expect(outcome.kind === 'counted' && outcome.vote.reason?.length).toBe(500);
  });

  it('refuses an unknown run, a step that never asked, and a cancelled run', async () => {
    const harness = await createActionHarness();
    const input = { voter: BEA, choice: 'approve' as const, now: harness.clock.now(), eligible };
    expect(
      await castRunVote(harness.store, { ...input, runId: 'nope', stepKey: harness.stepKey }),
    ).toMatchObject({
      kind: 'refused',
      reason: 'unknown-run',
    });
    expect(await vote(harness, BEA)).toMatchObject({ kind: 'refused', reason: 'not-waiting' });
    await run(harness.context, params());
    const record = await harness.store.read(harness.runId);
    if (record === null) throw new Error('no run');
    await harness.store.update(harness.runId, record.revision, { ...record, state: 'cancelled' });
    expect(await vote(harness, BEA)).toMatchObject({ kind: 'refused', reason: 'not-waiting' });
  });
});
