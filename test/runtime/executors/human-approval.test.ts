import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../../src/document/toml.js';
import {
  castRunVote,
  humanApprovalExecutor,
  parseRunVoteButton,
  stepToken,
} from '../../../src/runtime/executors/human-approval.js';
import { createActionHarness, TestClock } from './context.js';
import {
  ADA,
  BEA,
  CY,
  eligible,
  failure,
  HOUR,
  memoOf,
  params,
  run,
  vote,
} from './human-approval-fixture.js';

describe('human.approval: asking', () => {
  it('posts the request once with Approve/Reject buttons and waits until the timeout', async () => {
    const harness = await createActionHarness();
    const p = params({ timeout: '2h' });
    const outcome = await run(harness.context, p);
    expect(outcome).toEqual({
      kind: 'wait',
      waitingFor: { kind: 'approval', until: '2025-01-01T02:00:00.000Z' },
    });
    expect(harness.notifications).toHaveLength(1);
    const [request] = harness.notifications;
    expect(request?.text).toContain('Deploy to prod?');
    expect(request?.text).toContain('/approve run-1');
    expect(request?.buttons?.map((button) => [button.label, parseRunVoteButton(button.id)])).toEqual([
      ['Approve', { runId: 'run-1', token: stepToken(harness.stepKey), choice: 'approve' }],
      ['Reject', { runId: 'run-1', token: stepToken(harness.stepKey), choice: 'reject' }],
    ]);
    expect(await memoOf(harness)).toMatchObject({
      posted: true,
      message: { messageId: '1' },
      until: '2025-01-01T02:00:00.000Z',
      approvers: ['Lead'],
      quorum: 1,
      votes: [],
      startedBy: ADA,
    });

    // Woken again (or resumed on another worker after a crash): nothing is posted twice.
    harness.clock.advance(60_000);
    expect(await run(harness.wake(), p)).toEqual(outcome);
    expect(await run(harness.wake({ attempt: 2 }), p)).toEqual(outcome);
    expect(harness.notifications).toHaveLength(1);
    expect(harness.updates).toHaveLength(0);
  });

  it('posts once when two workers start the same step at once', async () => {
    const harness = await createActionHarness();
    const p = params();
    const outcomes = await Promise.all([run(harness.context, p), run(harness.wake(), p)]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['wait', 'wait']);
    expect(harness.notifications).toHaveLength(1);
    expect(harness.memoConflicts).toBeGreaterThan(0);
  });

  it('keeps button ids within Discord’s 100 characters for a 64-character run id', async () => {
    const runId = 'r'.repeat(64);
    const harness = await createActionHarness({ runId, stage: 'S'.repeat(80), action: 'A'.repeat(80) });
    await run(harness.context, params());
    const ids = harness.notifications[0]?.buttons?.map((button) => button.id) ?? [];
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      expect(id.length).toBeLessThanOrEqual(100);
      expect(parseRunVoteButton(id)?.runId).toBe(runId);
    }
    expect(parseRunVoteButton(`aitws:runvote:${'r'.repeat(65)}:${stepToken('x')}:approve`)).toBeUndefined();
    expect(parseRunVoteButton('aitws:vote:abcdefgh:approve')).toBeUndefined();
  });

  it('posts after a crash between writing the memo and posting, and keeps a vote cast meanwhile', async () => {
    let failNext = true;
    let sent = 0;
    const harness = await createActionHarness({
      notify: async () => {
        if (failNext) {
          failNext = false;
          throw new Error('chat is down');
        }
        sent += 1;
        return {
          channel: { platform: 'console', workspace: 'local', channel: 'runs' },
          messageId: `m${sent}`,
        };
      },
    });
    const p = params({ quorum: 2 });
    await expect(run(harness.context, p)).rejects.toThrow('chat is down');
    expect(await memoOf(harness)).toMatchObject({ posted: false, votes: [] });
    // Someone types /approve before the buttons are up.
    expect(await vote(harness, BEA)).toMatchObject({ kind: 'counted', approvals: 1, quorum: 2 });
    expect(await run(harness.wake({ attempt: 2 }), p)).toMatchObject({ kind: 'wait' });
    expect(sent).toBe(1);
    expect(await memoOf(harness)).toMatchObject({
      posted: true,
      message: { messageId: 'm1' },
      votes: [{ voter: BEA }],
    });
    await run(harness.wake({ attempt: 2 }), p);
    expect(sent).toBe(1);
  });

  it('does not lose a vote that lands while the posted message is being recorded', async () => {
    let voted = false;
    const clock = new TestClock();
    const harness = await createActionHarness({
      clock,
      beforeMemoWrite: async (store, runId, stepKey) => {
        const memo = await store.readStepMemo(runId, stepKey);
        if (voted || memo === null) return;
        voted = true;
        await castRunVote(store, {
          runId,
          stepKey,
          voter: BEA,
          choice: 'approve',
          now: clock.now(),
          eligible,
        });
      },
    });
    const p = params({ quorum: 2 });
    await run(harness.context, p);
    expect(harness.memoConflicts).toBe(1);
    expect(await memoOf(harness)).toMatchObject({ posted: true, votes: [{ voter: BEA, choice: 'approve' }] });
  });

  it('asks again on a new attempt after a rejection (/retry)', async () => {
    const harness = await createActionHarness();
    const p = params();
    await run(harness.context, p);
    await vote(harness, BEA, 'reject', 'not today');
    expect((await failure(run(harness.wake(), p))).code).toBe('APPROVAL_REJECTED');
    expect(await run(harness.wake({ attempt: 2 }), p)).toMatchObject({ kind: 'wait' });
    expect(harness.notifications).toHaveLength(2);
    expect(await memoOf(harness)).toMatchObject({ attempt: 2, votes: [], message: { messageId: '2' } });
    expect(await vote(harness, CY)).toMatchObject({ kind: 'counted', decision: { decision: 'approved' } });
  });
});

describe('human.approval: timeout', () => {
  it('rejects at the timeout by default (APPROVAL_TIMEOUT) and refuses later votes', async () => {
    const harness = await createActionHarness();
    const p = params({ timeout: '30m' });
    await run(harness.context, p);
    harness.clock.advance(30 * 60_000 - 1);
    expect(await run(harness.wake(), p)).toMatchObject({ kind: 'wait' });
    harness.clock.advance(1);
    expect(await vote(harness, BEA)).toMatchObject({
      kind: 'decided-already',
      decision: { decision: 'rejected', timedOut: true },
    });
    const error = await failure(run(harness.wake(), p));
    expect(error.code).toBe('APPROVAL_TIMEOUT');
    expect(error.message).toContain('within 30m');
    expect(harness.updates.at(-1)?.request).toEqual({
      text: expect.stringContaining('Rejected: nobody decided'),
    });
  });

  it('approves at the timeout with on_timeout = "approve"', async () => {
    const harness = await createActionHarness();
    const p = params({ on_timeout: 'approve' });
    await run(harness.context, p);
    harness.clock.advance(HOUR);
    expect(await run(harness.wake(), p)).toEqual({
      kind: 'done',
      output: { decision: 'approved', by: ['timeout'], at: '2025-01-01T01:00:00.000Z' },
    });
    expect(harness.updates.at(-1)?.request.buttons).toBeUndefined();
    expect(harness.updates.at(-1)?.request.text).toContain('on_timeout = "approve"');
  });
});

describe('human.approval parameters', () => {
  it('has defaults and refuses bad values', () => {
    expect(humanApprovalExecutor.params.parse({ approvers: ['Lead'] })).toEqual({
      approvers: ['Lead'],
      quorum: 1,
      timeout: HOUR,
      timeout_text: '1h',
      on_timeout: 'reject',
      allow_self_approval: false,
    });
    expect(humanApprovalExecutor.params.parse({ approvers: ['Lead'], quorum: '3' }).quorum).toBe(3);
    for (const bad of [
      {},
      { approvers: [] },
      { approvers: [''] },
      { approvers: ['Lead'], quorum: 0 },
      { approvers: ['Lead'], quorum: 1.5 },
      { approvers: ['Lead'], timeout: 'soon' },
      { approvers: ['Lead'], on_timeout: 'maybe' },
      { approvers: ['Lead'], approver: ['Lead'] },
    ])
      expect(humanApprovalExecutor.params.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it('pre-flight names roles the document does not define and skips templates', () => {
    const document = parseDocument('[[roles]]\nname = "Lead"\nprivileges = ["approve"]\n');
    const check = humanApprovalExecutor.check;
    if (check === undefined) throw new Error('no check');
    expect(check({ approvers: ['Lead', '{{ inputs.role }}'], timeout: '{{ inputs.t }}' }, document)).toEqual(
      [],
    );
    expect(check({ approvers: ['Lead', 'Ops'], quorum: 0 }, document)).toEqual([
      { field: 'with.quorum', message: 'must be at least 1' },
      { field: 'with.approvers[1]', message: '"Ops" is not a role in [[roles]]' },
    ]);
    expect(check({}, document)).toEqual([
      { field: 'with.approvers', message: 'name the roles that approve, e.g. approvers = ["Lead"]' },
    ]);
  });
});
