/**
 * Casting a vote on a run's human.approval step: what /approve RUN, /reject RUN and the Approve
 * and Reject buttons share. The vote is appended to the step's memo by compare-and-set, so two
 * approvers clicking at once are both counted exactly once, and exactly one vote (the one whose
 * write reaches the decision) reports `decision`: that caller wakes the run.
 *
 * The person who started the run may reject it (only approving one's own run needs
 * allow_self_approval); a rejection's reason is kept up to MAX_REASON_LENGTH characters.
 */
import { ConflictError } from '../../errors.js';
import { isFinal, type RunActor, type RunStore } from '../run-store.js';
import {
  type ApprovalDecision,
  type ApprovalMemo,
  approvalsOf,
  decisionOf,
  memoJson,
  type RunVote,
  readApprovalMemo,
  type VoteChoice,
} from './human-approval-memo.js';

export interface EligibilityResult {
  readonly eligible: boolean;
  /** Why not, for the refusal. */
  readonly reason?: string;
}

export interface CastRunVoteInput {
  readonly runId: string;
  readonly stepKey: string;
  readonly voter: RunActor;
  readonly choice: VoteChoice;
  readonly reason?: string;
  readonly now: Date;
  /**
   * Whether `voter` holds one of `approvers` (the step's roles) now: roles are checked at click
   * time, by the caller, which knows the channel's grants.
   */
  readonly eligible: (voter: RunActor, approvers: readonly string[]) => Promise<EligibilityResult>;
}

export type RefusalReason = 'not-an-approver' | 'self-approval' | 'not-waiting' | 'unknown-run';

export type RunVoteOutcome =
  | {
      readonly kind: 'counted';
      readonly vote: RunVote;
      readonly approvals: number;
      readonly quorum: number;
      /** Set on the one vote that decided the step: its caller wakes the run. */
      readonly decision?: ApprovalDecision;
    }
  | { readonly kind: 'repeat'; readonly vote: RunVote }
  | { readonly kind: 'decided-already'; readonly decision: ApprovalDecision }
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly message: string };

export const MAX_REASON_LENGTH = 500;

/** Concurrent voters on one step; beyond this many lost writes in a row something is wrong. */
const MAX_WRITE_ATTEMPTS = 100;

type MemoCheck =
  | { readonly kind: 'open'; readonly memo: ApprovalMemo; readonly revision: number }
  | { readonly kind: 'closed'; readonly outcome: RunVoteOutcome };

export async function castRunVote(store: RunStore, input: CastRunVoteInput): Promise<RunVoteOutcome> {
  const first = await checkMemo(store, input);
  if (first.kind === 'closed') return first.outcome;
  const refusal = await refusalOf(first.memo, input);
  if (refusal !== undefined) return refusal;
  let current = first;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const vote: RunVote = {
      voter: { id: input.voter.id, name: input.voter.name },
      choice: input.choice,
      at: input.now.toISOString(),
      ...reasonOf(input.reason),
    };
    const next: ApprovalMemo = { ...current.memo, votes: [...current.memo.votes, vote] };
    if (await store.writeStepMemo(input.runId, input.stepKey, current.revision, memoJson(next))) {
      const decision = decisionOf(next, input.now);
      return {
        kind: 'counted',
        vote,
        approvals: approvalsOf(next),
        quorum: next.quorum,
        ...(decision === undefined ? {} : { decision }),
      };
    }
    const again = await checkMemo(store, input);
    if (again.kind === 'closed') return again.outcome;
    current = again;
  }
  throw new ConflictError('Too many votes at once on this approval; yours was not counted. Try again.');
}

/** Whether the step is open to this voter's vote, from the stored memo and run. */
async function checkMemo(store: RunStore, input: CastRunVoteInput): Promise<MemoCheck> {
  const run = await store.read(input.runId);
  if (run === null)
    return closed({ kind: 'refused', reason: 'unknown-run', message: `There is no run ${input.runId}.` });
  const stored = await store.readStepMemo(input.runId, input.stepKey);
  const memo = stored === null ? undefined : readApprovalMemo(stored.value);
  if (stored === null || memo === undefined)
    return closed({
      kind: 'refused',
      reason: 'not-waiting',
      message: `Run ${input.runId} is not waiting for an approval.`,
    });
  const decision = decisionOf(memo, input.now);
  if (decision !== undefined) return closed({ kind: 'decided-already', decision });
  if (isFinal(run.state))
    return closed({
      kind: 'refused',
      reason: 'not-waiting',
      message: `Run ${input.runId} is ${run.state}; it no longer waits for an approval.`,
    });
  const previous = memo.votes.find((vote) => vote.voter.id === input.voter.id);
  if (previous !== undefined) return closed({ kind: 'repeat', vote: previous });
  return { kind: 'open', memo, revision: stored.revision };
}

function closed(outcome: RunVoteOutcome): MemoCheck {
  return { kind: 'closed', outcome };
}

async function refusalOf(memo: ApprovalMemo, input: CastRunVoteInput): Promise<RunVoteOutcome | undefined> {
  if (input.choice === 'approve' && input.voter.id === memo.startedBy.id && !memo.allowSelfApproval)
    return {
      kind: 'refused',
      reason: 'self-approval',
      message:
        'You started this run, so your approval does not count (the step does not set allow_self_approval).',
    };
  const eligibility = await input.eligible(input.voter, memo.approvers);
  if (eligibility.eligible) return undefined;
  return {
    kind: 'refused',
    reason: 'not-an-approver',
    message:
      eligibility.reason ?? `Only people holding ${memo.approvers.join(' or ')} can vote on this step.`,
  };
}

function reasonOf(reason: string | undefined): { reason?: string } {
  const text = reason?.trim() ?? '';
  if (text === '') return {};
  return { reason: text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text };
}
