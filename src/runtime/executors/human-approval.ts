/**
 * `human.approval`: posts Approve/Reject buttons to the run's channel and waits, durably, until
 * the approvers decide or the step times out. Everything it must remember (the posted message,
 * when it gives up, the votes) lives in the step memo, so the step survives restarts and is
 * decided the same way whichever worker wakes it. Votes arrive through castRunVote.
 *
 * A rejection fails the step (APPROVAL_REJECTED), as does a timeout with on_timeout = "reject"
 * (APPROVAL_TIMEOUT), so the action's on_error decides what the run does next. A /retry after that
 * is a new attempt of the step and asks the approvers again.
 */
import { AitwsError } from '../../errors.js';
import type { ActionContext, ActionOutcome, Executor, NotifyRequest } from '../executor.js';
import {
  type ApprovalDecision,
  type ApprovalMemo,
  decisionOf,
  memoJson,
  namesOf,
  readApprovalMemo,
  runVoteButtonId,
} from './human-approval-memo.js';
import { type ApprovalParams, approvalParams, checkApproval } from './human-approval-params.js';

export type { ApprovalDecision, RunVote, RunVoteButton } from './human-approval-memo.js';
export { parseRunVoteButton, runVoteButtonId, stepToken } from './human-approval-memo.js';
export type { ApprovalParams } from './human-approval-params.js';
export type {
  CastRunVoteInput,
  EligibilityResult,
  RefusalReason,
  RunVoteOutcome,
} from './human-approval-vote.js';
export { castRunVote } from './human-approval-vote.js';

/** Lost memo writes in a row before giving up (votes keep arriving while we write). */
const MAX_WRITE_ATTEMPTS = 100;

export const humanApprovalExecutor: Executor<ApprovalParams> = {
  type: 'human.approval',
  summary: 'Asks people in the named roles to approve or reject (buttons, /approve RUN, /reject RUN).',
  params: approvalParams,
  check: checkApproval,
  run: runApproval,
};

async function runApproval(context: ActionContext, params: ApprovalParams): Promise<ActionOutcome> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const stored = await context.readMemo();
    const memo = stored === null ? undefined : readApprovalMemo(stored.value);
    const revision = stored?.revision ?? 0;
    if (memo === undefined || isFinishedRound(memo, context)) {
      const fresh = newRound(context, params);
      if (await context.writeMemo(revision, memoJson(fresh))) return post(context, fresh, revision + 1);
      // Another call of this step started the round first and is posting it: do not post twice.
      const winner = await context.readMemo();
      const started = winner === null ? undefined : readApprovalMemo(winner.value);
      if (started !== undefined && !started.posted && started.attempt === context.attempt)
        return waiting(started);
      continue;
    }
    if (!memo.posted) return post(context, memo, revision);
    const decision = decisionOf(memo, context.now());
    if (decision === undefined) return progress(context, memo);
    if (memo.decision === undefined && !(await context.writeMemo(revision, memoJson({ ...memo, decision }))))
      continue;
    return decide(context, params, memo, decision);
  }
  throw new AitwsError(
    'CONFLICT',
    'Too many simultaneous votes on this approval; the step will be retried.',
    {
      retryable: true,
    },
  );
}

/** A round the executor itself decided against in an earlier attempt: a /retry asks again. */
function isFinishedRound(memo: ApprovalMemo, context: ActionContext): boolean {
  return memo.decision?.decision === 'rejected' && memo.attempt < context.attempt;
}

function newRound(context: ActionContext, params: ApprovalParams): ApprovalMemo {
  const until = new Date(context.now().getTime() + params.timeout).toISOString();
  const text = requestText(context, params, until);
  return {
    attempt: context.attempt,
    posted: false,
    text,
    until,
    approvers: [...params.approvers],
    quorum: params.quorum,
    allowSelfApproval: params.allow_self_approval,
    onTimeout: params.on_timeout,
    startedBy: { id: context.startedBy.id, name: context.startedBy.name },
    votes: [],
  };
}

function requestText(context: ActionContext, params: ApprovalParams, until: string): string {
  const headline =
    params.message ??
    `Approval needed for ${context.action} (stage ${context.stage}) of run ${context.runId}.`;
  const needed = params.quorum === 1 ? '1 approval' : `${params.quorum} approvals`;
  return [
    headline,
    `Approvers: ${params.approvers.join(' or ')} · ${needed} needed · open until ${until}.`,
    `Or type /approve ${context.runId} or /reject ${context.runId} [reason].`,
  ].join('\n');
}

function withButtons(context: ActionContext, text: string): NotifyRequest {
  return {
    text,
    buttons: [
      { id: runVoteButtonId(context.runId, context.stepKey, 'approve'), label: 'Approve', style: 'primary' },
      { id: runVoteButtonId(context.runId, context.stepKey, 'reject'), label: 'Reject', style: 'danger' },
    ],
  };
}

/**
 * Posts the request, then records that it did. A crash between the two posts again on the next
 * call (at-least-once); a memo that says `posted` is never posted again.
 */
async function post(context: ActionContext, memo: ApprovalMemo, revision: number): Promise<ActionOutcome> {
  const message = await context.notify(withButtons(context, memo.text));
  let current = memo;
  let expected = revision;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const next: ApprovalMemo = { ...current, posted: true, ...(message === undefined ? {} : { message }) };
    if (await context.writeMemo(expected, memoJson(next))) return waiting(next);
    // A vote landed first: keep it and try again on top of it.
    const stored = await context.readMemo();
    const latest = stored === null ? undefined : readApprovalMemo(stored.value);
    if (stored === null || latest === undefined) break;
    current = latest;
    expected = stored.revision;
  }
  throw new AitwsError(
    'CONFLICT',
    'Could not record the posted approval request; the step will be retried.',
    {
      retryable: true,
    },
  );
}

function waiting(memo: ApprovalMemo): ActionOutcome {
  return { kind: 'wait', waitingFor: { kind: 'approval', until: memo.until } };
}

/** Still open: shows the approvals so far (the buttons stay) and waits again. */
async function progress(context: ActionContext, memo: ApprovalMemo): Promise<ActionOutcome> {
  if (memo.message !== undefined && memo.votes.length > 0) {
    const approvers = memo.votes.map((vote) => vote.voter);
    const text = `${memo.text}\nApproved so far by ${namesOf(approvers)} (${approvers.length} of ${memo.quorum}).`;
    await replaceMessage(context, memo, withButtons(context, text));
  }
  return waiting(memo);
}

async function decide(
  context: ActionContext,
  params: ApprovalParams,
  memo: ApprovalMemo,
  decision: ApprovalDecision,
): Promise<ActionOutcome> {
  await replaceMessage(context, memo, { text: `${memo.text}\n${decisionText(params, decision)}` });
  if (decision.decision === 'approved')
    return {
      kind: 'done',
      output: {
        decision: 'approved',
        by: decision.timedOut ? ['timeout'] : decision.by.map((voter) => voter.name),
        at: decision.at,
        ...(decision.reason === undefined ? {} : { reason: decision.reason }),
      },
    };
  if (decision.timedOut)
    throw new AitwsError(
      'APPROVAL_TIMEOUT',
      `Nobody decided on ${context.action} within ${params.timeout_text}, so it is rejected (on_timeout = "reject").`,
    );
  const because = decision.reason === undefined ? '' : `: ${decision.reason}`;
  throw new AitwsError(
    'APPROVAL_REJECTED',
    `${context.action} was rejected by ${namesOf(decision.by)}${because}`,
  );
}

function decisionText(params: ApprovalParams, decision: ApprovalDecision): string {
  if (decision.timedOut)
    return decision.decision === 'approved'
      ? `Approved: nobody decided within ${params.timeout_text} (on_timeout = "approve").`
      : `Rejected: nobody decided within ${params.timeout_text}.`;
  if (decision.decision === 'approved') return `Approved by ${namesOf(decision.by)}.`;
  const because = decision.reason === undefined ? '.' : `: ${decision.reason}`;
  return `Rejected by ${namesOf(decision.by)}${because}`;
}

/** The decision stands even when the chat edit fails: it is logged, not retried. */
async function replaceMessage(
  context: ActionContext,
  memo: ApprovalMemo,
  request: NotifyRequest,
): Promise<void> {
  if (memo.message === undefined) return;
  try {
    await context.updateMessage(memo.message, request);
  } catch (error) {
    context.logger.warn({ err: error, step: context.stepKey }, 'could not update the approval message');
  }
}
