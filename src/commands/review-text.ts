/**
 * How a review reads in the channel: one line that says where it stands ("Approved by Carol and
 * Dan · v12 · sha256:…"), and the buttons while it is open. /submit, the votes and /review share it.
 */
import { shortHash } from '../access/content-hash.js';
import { type ChangeManagement, namesOf } from '../access/review.js';
import type { Review, ReviewState } from '../session/access-port.js';
import { voteButtonId } from './buttons.js';
import type { ReplyButton } from './reply.js';

export function reviewButtons(review: Review): ReplyButton[] {
  return [
    { id: voteButtonId(review.id, 'approve'), label: 'Approve', style: 'primary' },
    { id: voteButtonId(review.id, 'reject'), label: 'Reject', style: 'danger' },
  ];
}

/** "2 approvals from Administrator or Senior Developer" */
export function quorumLine(review: Review, cm: ChangeManagement): string {
  const who =
    cm.approvalRoles.length === 0 ? 'people with the approve privilege' : cm.approvalRoles.join(' or ');
  const self = cm.allowSelfApproval ? '' : '; not the submitter';
  return `${review.required} approval${review.required === 1 ? '' : 's'} from ${who}${self}`;
}

/** The line for a review in `state` (its stored state, or void when the draft moved on). */
export function reviewLine(review: Review, state: ReviewState, counted: number): string {
  const tail = `v${review.version} · ${shortHash(review.hash)}`;
  switch (state) {
    case 'pending':
      return `Waiting for review · ${counted} of ${review.required} approval${review.required === 1 ? '' : 's'} · ${tail}`;
    case 'approved':
      return `Approved by ${namesOf(review.decidedBy ?? [])} · ${tail}`;
    case 'rejected':
      return `Rejected by ${namesOf(review.decidedBy ?? [])}${review.reason === undefined ? '' : `: ${review.reason}`} · ${tail}`;
    case 'void':
      return `Void: ${review.reason ?? 'the draft changed after it was submitted'} · ${tail}`;
  }
}

export function votesList(review: Review): string[] {
  return review.votes.map(
    (vote) =>
      `${vote.voter.name} ${vote.choice === 'approve' ? 'approved' : 'rejected'} at ${vote.at}${vote.reason === undefined ? '' : `: ${vote.reason}`}`,
  );
}
