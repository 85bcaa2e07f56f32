/**
 * Granting and revoking roles in a channel. A role must be one the document defines; a grant
 * whose role has since been removed stays, dormant, and gives nothing.
 */
import { sameName } from '../document/entry-names.js';
import { suggest } from '../document/suggest.js';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { Grant, Person, Review } from '../session/access-port.js';
import type { ChannelKey } from '../session/port.js';
import { definedRoles, findRole, rolePrivileges } from './privileges.js';
import { eligibility } from './review.js';
import type { AccessControl, Caller } from './service.js';

export interface GrantRequest {
  readonly channel: ChannelKey;
  readonly caller: Caller;
  readonly document: AitwsDocument | null;
  readonly user: Person;
  readonly role: string;
  readonly at: string;
}

function unknownRole(document: AitwsDocument | null, role: string): AitwsError {
  const roles = definedRoles(document);
  if (roles.length === 0)
    return new AitwsError(
      'UNKNOWN_ROLE',
      `This channel's document defines no roles, so there is no "${role}" to grant.`,
      {
        hint: 'Add one first, e.g. /add roles name="Reviewer" privileges=["read","approve"].',
      },
    );
  const guess = suggest(role, roles);
  return new AitwsError('UNKNOWN_ROLE', `The document defines no role "${role}".`, {
    hint: `${guess === undefined ? '' : `Did you mean ${guess}? `}Roles: ${roles.join(', ')}.`,
  });
}

/** Grants the role; `already` when the person held it. */
export async function grantRole(
  access: AccessControl,
  request: GrantRequest,
): Promise<{ readonly grant: Grant; readonly already: boolean }> {
  const role = findRole(request.document, request.role);
  if (role === undefined) throw unknownRole(request.document, request.role);
  const grant: Grant = { user: request.user, role, by: request.caller.person, at: request.at };
  return access.update<{ readonly grant: Grant; readonly already: boolean }>(request.channel, (record) => {
    const held = record.grants.find((g) => g.user.id === request.user.id && g.role === role);
    if (held !== undefined) return { unchanged: true, result: { grant: held, already: true } };
    return { state: { ...record, grants: [...record.grants, grant] }, result: { grant, already: false } };
  });
}

function holdsAdmin(document: AitwsDocument | null, grant: Grant): boolean {
  return rolePrivileges(document, grant.role)?.has('admin') === true;
}

/**
 * Removes the grant. Taking away the last grant of a role with admin would leave the channel with
 * no one to grant anything: only a workspace admin may do that.
 */
export async function revokeRole(access: AccessControl, request: GrantRequest): Promise<Grant> {
  return access.update(request.channel, (record) => {
    const own = record.grants.filter((g) => g.user.id === request.user.id);
    // The role as spelled first: with "Ops" and "ops" both granted, "ops" must not take away "Ops".
    const held =
      own.find((g) => sameName(g.role, request.role)) ??
      own.find((g) => g.role.toLowerCase() === request.role.toLowerCase());
    if (held === undefined) {
      const roles = own.map((g) => g.role);
      throw new AitwsError('UNKNOWN_ROLE', `${request.user.name} holds no role "${request.role}" here.`, {
        hint:
          roles.length === 0 ? 'They hold no role here: see /members.' : `They hold: ${roles.join(', ')}.`,
      });
    }
    const rest = record.grants.filter((g) => g !== held);
    const lastAdmin =
      holdsAdmin(request.document, held) && !rest.some((g) => holdsAdmin(request.document, g));
    if (lastAdmin && !request.caller.standing.workspaceAdmin)
      throw new AitwsError(
        'FORBIDDEN',
        `${request.user.name} is the last holder of a role with admin here (${held.role}); without it nobody could grant or revoke.`,
        { hint: 'Grant an admin role to someone else first, or ask a workspace admin (AITWS_ADMINS).' },
      );
    return {
      state: { ...record, grants: rest, review: withoutVotesOf(access, request, rest, record.review) },
      result: held,
    };
  });
}

/**
 * A pending review without the votes of someone who may no longer vote on it: a vote cast under a
 * revoked grant must not count again when a role is granted back later (they may vote anew).
 */
function withoutVotesOf(
  access: AccessControl,
  request: GrantRequest,
  grants: readonly Grant[],
  review: Review | null,
): Review | null {
  if (review === null || review.state !== 'pending') return review;
  if (!review.votes.some((vote) => vote.voter.id === request.user.id)) return review;
  const electorate = {
    policy: access.policy,
    document: request.document,
    grants,
    platform: request.channel.platform,
  };
  if (eligibility(electorate, review, request.user, 'approve').eligible) return review;
  return { ...review, votes: review.votes.filter((vote) => vote.voter.id !== request.user.id) };
}
