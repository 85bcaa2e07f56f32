/**
 * /approve and /reject: a vote on the channel's current review, typed or clicked (the button sends
 * the same command bound to its review: `review=ID`).
 */
import { countedApprovals, namesOf } from '../../access/review.js';
import { castVote, type VoteOutcome } from '../../access/reviews.js';
import { maskSecrets } from '../../document/redact.js';
import { AitwsError } from '../../errors.js';
import type { Review, Vote, VoteChoice } from '../../session/access-port.js';
import { auditEntry, recordDone } from '../draft.js';
import { privateAnswer, type Reply, success } from '../reply.js';
import { reviewButtons, reviewLine } from '../review-text.js';
import { commitOnApproval } from '../runs/git-handoff.js';
import { runVoteTarget, voteOnRun } from '../runs/run-vote.js';
import type { CommandContext, CommandDefinition } from '../types.js';

const MAX_REASON = 300;
const BOUND = /^review=([A-Za-z0-9_-]{8,32})(?:\s+|$)/;

/** The rest of the line: an optional `review=ID` first (from a button), then the reason. */
function argumentsOf(context: CommandContext): { reviewId?: string; reason?: string } {
  const rest = context.command.positionals[0] ?? '';
  const bound = BOUND.exec(rest);
  const reason = (bound === null ? rest : rest.slice(bound[0].length)).trim();
  return {
    ...(bound?.[1] === undefined ? {} : { reviewId: bound[1] }),
    ...(reason === '' ? {} : { reason: maskSecrets(reason).slice(0, MAX_REASON) }),
  };
}

async function auditVote(context: CommandContext, vote: Vote, review: Review): Promise<void> {
  const facts = { versionAfter: review.version, hash: review.hash };
  const cast = `Your ${vote.choice === 'approve' ? 'approval' : 'rejection'} is counted`;
  await recordDone(
    context,
    { ...facts, kind: vote.choice, ...(vote.reason === undefined ? {} : { detail: vote.reason }) },
    cast,
  );
  if (review.state === 'approved' || review.state === 'rejected')
    await recordDone(
      context,
      { ...facts, kind: review.state, detail: `by ${namesOf(review.decidedBy ?? [])}` },
      `v${review.version} is ${review.state}`,
    );
}

/** A vote that may not count (self-approval, no approval role, a void or foreign review) is refused on the record. */
async function refusalsAudited<T>(context: CommandContext, cast: () => Promise<T>): Promise<T> {
  try {
    return await cast();
  } catch (error) {
    if (error instanceof AitwsError && (error.code === 'FORBIDDEN' || error.code === 'REVIEW_CLOSED')) {
      await context.access.audit(auditEntry(context, { kind: 'refused', detail: error.message }));
    }
    throw error;
  }
}

/** `latest`: the review as read after the vote, for a counted vote's reply. */
function answer(
  context: CommandContext,
  outcome: VoteOutcome,
  latest: Review,
  counted: number,
  since: number,
): Reply {
  const review = outcome.kind === 'counted' ? latest : outcome.review;
  const buttons = context.invocation.supportsButtons === true;
  if (outcome.kind === 'decided-already')
    return privateAnswer(`Already decided: ${reviewLine(review, review.state, counted)}`, {
      data: { review },
    });
  if (outcome.kind === 'repeat')
    return privateAnswer(
      `You already ${outcome.vote.choice === 'approve' ? 'approved' : 'rejected'} v${review.version}; ${counted} of ${review.required} approvals so far.`,
      { data: { review } },
    );
  const line = reviewLine(review, review.state, counted);
  if (review.state !== 'pending') return success(line, { data: { review } });
  const voters = review.votes.map((vote) => vote.voter.name).join(', ');
  // This reply replaces the submission and its diff; the diff stays a command away.
  const changes =
    since === 0 ? `/show shows v${review.version}` : `/diff ${since} ${review.version} shows the changes`;
  return success(line, {
    blocks: [{ kind: 'text', text: `Votes so far: ${voters} · ${changes}` }],
    buttons: buttons ? reviewButtons(review) : [],
    data: { review },
  });
}

async function vote(context: CommandContext, choice: VoteChoice): Promise<Reply> {
  const runTarget = await runVoteTarget(context);
  if (runTarget !== undefined && context.runtime !== undefined)
    return voteOnRun(context, context.runtime, runTarget, choice);
  const { reviewId, reason } = argumentsOf(context);
  if (choice === 'approve' && reason !== undefined && reviewId === undefined && /\S/.test(reason))
    throw new AitwsError('USAGE', '/approve takes no text.', {
      hint: 'Type /approve on its own; /reject takes a reason.',
    });
  const { channel, actor } = context.invocation;
  const session = await context.drafts.read(channel);
  const cast: Vote = {
    voter: actor,
    choice,
    at: context.now().toISOString(),
    ...(reason === undefined ? {} : { reason }),
  };
  const outcome = await refusalsAudited(context, () =>
    castVote(context.access, {
      channel,
      session,
      vote: cast,
      policy: context.access.policy,
      ...(reviewId === undefined ? {} : { reviewId }),
    }),
  );
  if (outcome.kind === 'counted') await auditVote(context, cast, outcome.review);
  if (outcome.kind === 'counted' && outcome.review.state === 'approved') await commitOnApproval(context);
  const record = await context.access.read(channel);
  // Votes cast at the same moment may land in either order; each reply shows the review as it
  // stands now, so whichever replaces the message last still says where the review is.
  const latest = record.review?.id === outcome.review.id ? record.review : outcome.review;
  const electorate = {
    policy: context.access.policy,
    document: session.document,
    grants: record.grants,
    platform: channel.platform,
  };
  const counted = countedApprovals(electorate, outcome.kind === 'counted' ? latest : outcome.review).length;
  return answer(context, outcome, latest, counted, record.lastApproved?.version ?? 0);
}

export function createVoteCommand(choice: VoteChoice): CommandDefinition {
  const approve = choice === 'approve';
  return {
    name: choice,
    group: 'access',
    privilege: 'approve',
    rawArgs: true,
    summary: approve
      ? 'Approve the version waiting for review, or a run waiting for approval'
      : 'Reject the version waiting for review, or a run waiting for approval',
    usage: approve ? '/approve [RUN]' : '/reject [RUN] [REASON]',
    description: approve
      ? "Counts your approval of the current review (the Approve button does the same). You need the approve privilege through a role of change_management.approval_roles; each person counts once, and once the quorum is reached the version is approved. With a run id, approves the human.approval step that run waits on (you must hold one of the step's approvers roles)."
      : 'Rejects the current review, with a reason for the channel (the Reject button does the same). You need the approve privilege through a role of change_management.approval_roles. With a run id, rejects the human.approval step that run waits on.',
    accepts: { params: [], words: 1 },
    examples: approve
      ? ['/approve', '/approve r7k2m9qxa4b']
      : ['/reject', '/reject the retry policy is too aggressive', '/reject r7k2m9qxa4b numbers look wrong'],
    run: (context) => vote(context, choice),
  };
}
