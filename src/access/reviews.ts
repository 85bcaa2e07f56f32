/**
 * Submitting a version for review and voting on it, as stored changes of the access record. Each
 * vote is one compare-and-set, so simultaneous clicks are decided one after the other: each person
 * counts once and the quorum is reached exactly once.
 */
import { randomBytes } from 'node:crypto';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { AccessRecord, Person, Review, Vote } from '../session/access-port.js';
import type { ChannelKey, SessionRecord } from '../session/port.js';
import { contentHash } from './content-hash.js';
import type { AccessPolicy } from './privileges.js';
import { changeManagement, effectiveState, eligibility, withVote } from './review.js';
import type { AccessControl } from './service.js';

export type SubmitOutcome =
  | { readonly kind: 'submitted'; readonly review: Review; readonly previous: AccessRecord }
  | { readonly kind: 'already'; readonly review: Review };

export async function submitVersion(
  access: AccessControl,
  channel: ChannelKey,
  session: SessionRecord & { readonly document: AitwsDocument },
  submitter: Person,
  at: string,
  note: string | undefined,
): Promise<SubmitOutcome> {
  const hash = contentHash(session.document);
  const required = changeManagement(session.document).requiredApprovals;
  return access.update<SubmitOutcome>(channel, (record) => {
    const open = record.review;
    if (open !== null && open.version === session.version && open.hash === hash) {
      const state = effectiveState(open, session.version);
      if (state === 'pending' || state === 'approved')
        return { unchanged: true, result: { kind: 'already', review: open } };
    }
    const review: Review = {
      id: randomBytes(9).toString('base64url'),
      version: session.version,
      hash,
      submittedBy: submitter,
      submittedAt: at,
      ...(note === undefined ? {} : { note }),
      required,
      state: 'pending',
      votes: [],
    };
    return { state: { ...record, review }, result: { kind: 'submitted', review, previous: record } };
  });
}

export type VoteOutcome =
  | { readonly kind: 'counted'; readonly review: Review }
  | { readonly kind: 'decided-already'; readonly review: Review }
  | { readonly kind: 'repeat'; readonly review: Review; readonly vote: Vote };

export interface VoteRequest {
  readonly channel: ChannelKey;
  readonly session: SessionRecord;
  readonly vote: Vote;
  /** From a button: the review it was posted for. A typed vote is for the channel's current review. */
  readonly reviewId?: string;
  readonly policy: AccessPolicy;
}

function currentReview(record: AccessRecord, request: VoteRequest): Review {
  const review = record.review;
  if (review === null)
    throw new AitwsError('NO_REVIEW', 'Nothing here is waiting for review.', {
      hint: 'Ask for one with /submit.',
    });
  if (request.reviewId !== undefined && request.reviewId !== review.id)
    throw new AitwsError(
      'REVIEW_CLOSED',
      "That button belongs to a review that is no longer this channel's current one.",
      {
        hint: 'Type /review to see what is waiting for review here.',
      },
    );
  if (effectiveState(review, request.session.version) === 'void')
    throw new AitwsError(
      'REVIEW_CLOSED',
      `The review of v${review.version} is void: the draft has changed since (now v${request.session.version}).`,
      { hint: 'Ask for review of the current version with /submit.' },
    );
  return review;
}

export function castVote(access: AccessControl, request: VoteRequest): Promise<VoteOutcome> {
  const { vote } = request;
  return access.update<VoteOutcome>(request.channel, (record) => {
    const review = currentReview(record, request);
    if (review.state !== 'pending') return { unchanged: true, result: { kind: 'decided-already', review } };
    const earlier = review.votes.find((cast) => cast.voter.id === vote.voter.id);
    if (earlier !== undefined) return { unchanged: true, result: { kind: 'repeat', review, vote: earlier } };
    const electorate = {
      policy: request.policy,
      document: request.session.document,
      grants: record.grants,
      platform: request.channel.platform,
    };
    const verdict = eligibility(electorate, review, vote.voter, vote.choice);
    if (!verdict.eligible)
      throw new AitwsError('FORBIDDEN', verdict.reason ?? 'You cannot vote on this review.');
    const next = withVote(electorate, review, vote);
    const lastApproved =
      next.state === 'approved'
        ? { version: next.version, hash: next.hash, approvedBy: next.decidedBy ?? [], at: vote.at }
        : record.lastApproved;
    return { state: { ...record, review: next, lastApproved }, result: { kind: 'counted', review: next } };
  });
}
