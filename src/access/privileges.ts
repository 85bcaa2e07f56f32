/**
 * What a person may do in a channel. Privileges come from the roles the channel's document
 * declares ([[roles]].privileges and [[authorization]].allowed_actions, `all` and `*` meaning
 * everything) and the roles granted to the person there; workspace admins (AITWS_ADMINS) hold
 * everything; someone with no grant in the channel gets the configured defaults.
 */
import { sameName } from '../document/entry-names.js';
import { isTable } from '../document/tree.js';
import type { AitwsDocument, TomlValue } from '../document/types.js';
import type { Grant } from '../session/access-port.js';
import type { Platform } from '../session/port.js';

export const PRIVILEGES = ['read', 'write', 'execute', 'approve', 'admin'] as const;
export type Privilege = (typeof PRIVILEGES)[number];

/** What people without a grant may be given by AITWS_DEFAULT_PRIVILEGES; the rest needs a grant. */
export const DEFAULTABLE_PRIVILEGES: readonly Privilege[] = ['read', 'write'];

export interface AccessPolicy {
  /** `platform:id` of workspace admins, from AITWS_ADMINS. */
  readonly admins: ReadonlySet<string>;
  /** What someone with no grant in a channel holds (AITWS_DEFAULT_PRIVILEGES). */
  readonly defaultPrivileges: readonly Privilege[];
}

export const DEFAULT_ACCESS_POLICY: AccessPolicy = {
  admins: new Set(),
  defaultPrivileges: ['read', 'write'],
};

/**
 * What someone with no grant holds: the configured defaults, never more than DEFAULTABLE_PRIVILEGES
 * (the configuration refuses the rest; a policy built in code must not get round that).
 */
export function defaultPrivileges(policy: AccessPolicy): readonly Privilege[] {
  return policy.defaultPrivileges.filter((privilege) => DEFAULTABLE_PRIVILEGES.includes(privilege));
}

export function isPrivilege(value: string): value is Privilege {
  return (PRIVILEGES as readonly string[]).includes(value);
}

export function isWorkspaceAdmin(policy: AccessPolicy, platform: Platform, userId: string): boolean {
  return policy.admins.has(`${platform}:${userId}`);
}

function entries(document: AitwsDocument | null, section: string): readonly Record<string, TomlValue>[] {
  const list = document?.[section];
  return Array.isArray(list) ? list.filter(isTable) : [];
}

function words(value: TomlValue | undefined): readonly string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function addWords(into: Set<Privilege>, list: readonly string[]): void {
  for (const word of list) {
    const lower = word.trim().toLowerCase();
    if (lower === 'all' || lower === '*') for (const privilege of PRIVILEGES) into.add(privilege);
    else if (isPrivilege(lower)) into.add(lower);
  }
}

/** The names of the roles the document defines, as written. */
export function definedRoles(document: AitwsDocument | null): readonly string[] {
  return entries(document, 'roles')
    .map((role) => role.name)
    .filter((name): name is string => typeof name === 'string');
}

/** The document's spelling of `role`, or undefined when it does not define it. */
export function findRole(document: AitwsDocument | null, role: string): string | undefined {
  return definedRoles(document).find((name) => sameName(name, role));
}

/** A defined role's privileges; undefined when the document does not define the role (dormant). */
export function rolePrivileges(document: AitwsDocument | null, role: string): Set<Privilege> | undefined {
  const defined = entries(document, 'roles').find((entry) => sameName(entry.name, role));
  if (defined === undefined) return undefined;
  const privileges = new Set<Privilege>();
  addWords(privileges, words(defined.privileges));
  for (const rule of entries(document, 'authorization'))
    if (sameName(rule.role, role)) addWords(privileges, words(rule.allowed_actions));
  return privileges;
}

/** The roles (as the document spells them) that carry `privilege`. */
export function rolesWith(document: AitwsDocument | null, privilege: Privilege): readonly string[] {
  return definedRoles(document).filter((role) => rolePrivileges(document, role)?.has(privilege) === true);
}

export interface Standing {
  readonly privileges: ReadonlySet<Privilege>;
  readonly workspaceAdmin: boolean;
  /** The person's grants in the channel, dormant ones included. */
  readonly grants: readonly Grant[];
  /** True when the person has no grant here and holds the defaults. */
  readonly byDefault: boolean;
}

/**
 * A person's standing in a channel. Any grant, even a dormant one, replaces the defaults: removing
 * a role from the document must never widen what its holders may do.
 */
export function standingOf(
  policy: AccessPolicy,
  document: AitwsDocument | null,
  grants: readonly Grant[],
  platform: Platform,
  userId: string,
): Standing {
  const own = grants.filter((grant) => grant.user.id === userId);
  const workspaceAdmin = isWorkspaceAdmin(policy, platform, userId);
  if (workspaceAdmin)
    return { privileges: new Set(PRIVILEGES), workspaceAdmin, grants: own, byDefault: false };
  if (own.length === 0)
    return { privileges: new Set(defaultPrivileges(policy)), workspaceAdmin, grants: own, byDefault: true };
  const privileges = new Set<Privilege>();
  for (const grant of own) for (const p of rolePrivileges(document, grant.role) ?? []) privileges.add(p);
  return { privileges, workspaceAdmin, grants: own, byDefault: false };
}
