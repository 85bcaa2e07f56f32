/**
 * Granting and revoking roles in a channel. A role must be one the document defines; a grant
 * whose role has since been removed stays, dormant, and gives nothing.
 */
import { suggest } from '../document/suggest.js';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { Grant, Person } from '../session/access-port.js';
import type { ChannelKey } from '../session/port.js';
import { definedRoles, findRole, rolePrivileges } from './privileges.js';
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
    const held = own.find((g) => g.role.toLowerCase() === request.role.toLowerCase());
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
    return { state: { ...record, grants: rest }, result: held };
  });
}
