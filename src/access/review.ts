/**
 * The rules of a review, as pure functions over the access record and the document: who counts,
 * what a vote does, when a review is void. The service (service.ts) stores what these decide.
 */
import { sameName } from '../document/entry-names.js';
import { isTable } from '../document/tree.js';
import type { AitwsDocument } from '../document/types.js';
import type { Grant, Person, Review, ReviewState, Vote } from '../session/access-port.js';
import type { Platform } from '../session/port.js';
import { type AccessPolicy, rolePrivileges, standingOf } from './privileges.js';

export interface ChangeManagement {
  readonly reviewRequired: boolean;
  /** Empty: anyone holding `approve` through a grant counts. */
  readonly approvalRoles: readonly string[];
  readonly requiredApprovals: number;
  readonly allowSelfApproval: boolean;
}

export function changeManagement(document: AitwsDocument | null): ChangeManagement {
  const table = document?.change_management;
  const cm = isTable(table) ? table : {};
  const roles = Array.isArray(cm.approval_roles)
    ? cm.approval_roles.filter((role): role is string => typeof role === 'string')
    : [];
  // min_approvals is the field's older name; required_approvals wins when both are there.
  const quorum = cm.required_approvals ?? cm.min_approvals;
  const required = typeof quorum === 'number' || typeof quorum === 'bigint' ? Math.max(1, Number(quorum)) : 1;
  return {
    reviewRequired: cm.review_required === true,
    approvalRoles: roles,
    requiredApprovals: required,
    allowSelfApproval: cm.allow_self_approval === true,
  };
}

/** A pending or approved review of an older version is void: the draft moved on after it. */
export function effectiveState(review: Review, currentVersion: number): ReviewState {
  if ((review.state === 'pending' || review.state === 'approved') && review.version !== currentVersion)
    return 'void';
  return review.state;
}

export interface Eligibility {
  readonly eligible: boolean;
  /** Why not, for the refusal. */
  readonly reason?: string;
}

interface Electorate {
  readonly policy: AccessPolicy;
  readonly document: AitwsDocument | null;
  readonly grants: readonly Grant[];
  readonly platform: Platform;
}

/** A grant of an approval role that itself has approve: approve held through another role does not count. */
function approvalRoleGrant(electorate: Electorate, cm: ChangeManagement, userId: string): Grant | undefined {
  return electorate.grants.find(
    (grant) =>
      grant.user.id === userId &&
      rolePrivileges(electorate.document, grant.role)?.has('approve') === true &&
      (cm.approvalRoles.length === 0 || cm.approvalRoles.some((role) => sameName(role, grant.role))),
  );
}

/** Whether `person` may vote on `review` now: approve privilege through a grant of an approval role. */
export function eligibility(
  electorate: Electorate,
  review: Review,
  person: Person,
  choice: Vote['choice'],
): Eligibility {
  const cm = changeManagement(electorate.document);
  const standing = standingOf(
    electorate.policy,
    electorate.document,
    electorate.grants,
    electorate.platform,
    person.id,
  );
  const roles =
    cm.approvalRoles.length === 0 ? 'a role with the approve privilege' : cm.approvalRoles.join(' or ');
  if (!standing.privileges.has('approve') || approvalRoleGrant(electorate, cm, person.id) === undefined)
    return {
      eligible: false,
      reason: `Only people granted ${roles} with the approve privilege can vote on a review.`,
    };
  if (choice === 'approve' && person.id === review.submittedBy.id && !cm.allowSelfApproval)
    return {
      eligible: false,
      reason:
        'You submitted this version, so your approval does not count (change_management.allow_self_approval is not set).',
    };
  return { eligible: true };
}

/** The approvals that count now: eligible voters only, so a vote from someone since revoked drops out. */
export function countedApprovals(electorate: Electorate, review: Review): readonly Vote[] {
  return review.votes.filter(
    (vote) => vote.choice === 'approve' && eligibility(electorate, review, vote.voter, 'approve').eligible,
  );
}

/** The review after `vote`: approved at quorum, rejected by any counted rejection, else pending. */
export function withVote(electorate: Electorate, review: Review, vote: Vote): Review {
  const voted: Review = { ...review, votes: [...review.votes, vote] };
  if (vote.choice === 'reject')
    return {
      ...voted,
      state: 'rejected',
      decidedAt: vote.at,
      decidedBy: [vote.voter],
      ...(vote.reason === undefined ? {} : { reason: vote.reason }),
    };
  const counted = countedApprovals(electorate, voted);
  if (counted.length < review.required) return voted;
  return { ...voted, state: 'approved', decidedAt: vote.at, decidedBy: counted.map((v) => v.voter) };
}

export function namesOf(people: readonly Person[]): string {
  const names = people.map((person) => person.name);
  if (names.length <= 1) return names[0] ?? 'nobody';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
