/**
 * What a human.approval step remembers between calls (its step memo), and the one rule that turns
 * the votes into a decision. The executor and castRunVote both decide through `decisionOf`, so a
 * vote and the step woken by it can never disagree on the outcome.
 *
 * Rules: each person votes once; one rejection rejects the step at once (an approver who objects
 * is never outvoted, as in a review); `quorum` approvals approve it; once `until` has passed
 * without either, `on_timeout` decides.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PostedMessage } from '../executor.js';
import type { JsonObject, RunActor } from '../run-store.js';

const actorSchema = z.object({ id: z.string(), name: z.string() });

const voteSchema = z.object({
  voter: actorSchema,
  choice: z.enum(['approve', 'reject']),
  at: z.string(),
  reason: z.string().optional(),
});

const decisionSchema = z.object({
  decision: z.enum(['approved', 'rejected']),
  by: z.array(actorSchema),
  at: z.string(),
  reason: z.string().optional(),
  /** Decided by `on_timeout`, not by votes. */
  timedOut: z.boolean(),
});

const postedSchema = z.object({
  channel: z.object({
    platform: z.enum(['slack', 'discord', 'console']),
    workspace: z.string(),
    channel: z.string(),
  }),
  messageId: z.string(),
});

const memoSchema = z.object({
  /** The step attempt this round of voting belongs to (a /retry after a rejection asks again). */
  attempt: z.number(),
  /** False between writing the memo and posting the message (a crash there posts on the next call). */
  posted: z.boolean(),
  message: postedSchema.optional(),
  /** The text as posted, so the decision can replace it in place. */
  text: z.string(),
  until: z.string(),
  approvers: z.array(z.string()),
  quorum: z.number(),
  allowSelfApproval: z.boolean(),
  onTimeout: z.enum(['approve', 'reject']),
  startedBy: actorSchema,
  votes: z.array(voteSchema),
  decision: decisionSchema.optional(),
});

export type RunVote = z.infer<typeof voteSchema>;
export type ApprovalDecision = z.infer<typeof decisionSchema>;
export type ApprovalMemo = z.infer<typeof memoSchema>;

/** undefined when the memo is not an approval's (another executor's memo under the same key). */
export function readApprovalMemo(value: JsonObject): ApprovalMemo | undefined {
  const parsed = memoSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function actorJson(actor: RunActor): JsonObject {
  return { id: actor.id, name: actor.name };
}

function voteJson(vote: RunVote): JsonObject {
  return {
    voter: actorJson(vote.voter),
    choice: vote.choice,
    at: vote.at,
    ...(vote.reason === undefined ? {} : { reason: vote.reason }),
  };
}

function messageJson(message: PostedMessage): JsonObject {
  const { platform, workspace, channel } = message.channel;
  return { channel: { platform, workspace, channel }, messageId: message.messageId };
}

export function decisionJson(decision: ApprovalDecision): JsonObject {
  return {
    decision: decision.decision,
    by: decision.by.map(actorJson),
    at: decision.at,
    ...(decision.reason === undefined ? {} : { reason: decision.reason }),
    timedOut: decision.timedOut,
  };
}

export function memoJson(memo: ApprovalMemo): JsonObject {
  return {
    attempt: memo.attempt,
    posted: memo.posted,
    ...(memo.message === undefined ? {} : { message: messageJson(memo.message) }),
    text: memo.text,
    until: memo.until,
    approvers: [...memo.approvers],
    quorum: memo.quorum,
    allowSelfApproval: memo.allowSelfApproval,
    onTimeout: memo.onTimeout,
    startedBy: actorJson(memo.startedBy),
    votes: memo.votes.map(voteJson),
    ...(memo.decision === undefined ? {} : { decision: decisionJson(memo.decision) }),
  };
}

/** The decision the votes (and the clock) make, or undefined while it is still open. */
export function decisionOf(memo: ApprovalMemo, now: Date): ApprovalDecision | undefined {
  if (memo.decision !== undefined) return memo.decision;
  const rejection = memo.votes.find((vote) => vote.choice === 'reject');
  if (rejection !== undefined)
    return {
      decision: 'rejected',
      by: [rejection.voter],
      at: rejection.at,
      ...(rejection.reason === undefined ? {} : { reason: rejection.reason }),
      timedOut: false,
    };
  const approvals = memo.votes.filter((vote) => vote.choice === 'approve');
  const last = approvals.at(-1);
  if (last !== undefined && approvals.length >= memo.quorum)
    return { decision: 'approved', by: approvals.map((vote) => vote.voter), at: last.at, timedOut: false };
  if (now.getTime() < Date.parse(memo.until)) return undefined;
  return {
    decision: memo.onTimeout === 'approve' ? 'approved' : 'rejected',
    by: [],
    at: memo.until,
    timedOut: true,
  };
}

export function approvalsOf(memo: ApprovalMemo): number {
  return memo.votes.filter((vote) => vote.choice === 'approve').length;
}

/** Names a step in a button id without its text: the first 12 hex digits of sha256(stepKey). */
export function stepToken(stepKey: string): string {
  return createHash('sha256').update(stepKey).digest('hex').slice(0, 12);
}

export type VoteChoice = RunVote['choice'];

const RUN_VOTE_PREFIX = 'aitws:runvote:';
/** Run ids are at most 64 characters so a button id stays within Discord's 100 (custom_id). */
const RUN_VOTE_BUTTON = /^aitws:runvote:([A-Za-z0-9_-]{1,64}):([0-9a-f]{12}):(approve|reject)$/;
export const MAX_BUTTON_ID_LENGTH = 100;

export function runVoteButtonId(runId: string, stepKey: string, choice: VoteChoice): string {
  return `${RUN_VOTE_PREFIX}${runId}:${stepToken(stepKey)}:${choice}`;
}

export interface RunVoteButton {
  readonly runId: string;
  readonly token: string;
  readonly choice: VoteChoice;
}

export function parseRunVoteButton(id: string): RunVoteButton | undefined {
  const match = RUN_VOTE_BUTTON.exec(id);
  if (match === null) return undefined;
  const [, runId = '', token = '', choice = ''] = match;
  return { runId, token, choice: choice === 'approve' ? 'approve' : 'reject' };
}

export function namesOf(people: readonly RunActor[]): string {
  const names = people.map((person) => person.name);
  if (names.length <= 1) return names[0] ?? 'nobody';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
