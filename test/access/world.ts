/**
 * A channel with people in it, for the access-control scenarios: a real dispatcher on the file store
 * or a real Redis (test/support/harness.ts), a document with four roles loaded, and a role granted to
 * each person by a workspace admin. Everyone acts through the dispatcher, typed or clicked, as they
 * would from Slack (or the console), so every check the adapters rely on is on the path.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import type { AccessPolicy, Privilege } from '../../src/access/privileges.js';
import type { Reply } from '../../src/commands/reply.js';
import type { AccessRecord, AuditEntry } from '../../src/session/access-port.js';
import type { ChannelKey, SessionRecord } from '../../src/session/port.js';
import { closeRedisClient, createRedisClient } from '../../src/session/redis-client.js';
import { createHarness, type Harness, textOf } from '../support/harness.js';
import { sharedRedis } from '../support/redis.js';

export const STORE_KINDS = ['file', 'redis'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface Person {
  readonly id: string;
  readonly name: string;
}

/** Who is who. Slack ids, as mentions name them. */
export const PEOPLE = {
  admin: { id: 'UADMIN', name: 'Wanda' },
  owner: { id: 'UOWNER', name: 'Olga' },
  dev: { id: 'UDEV', name: 'Dana' },
  approver1: { id: 'UAPPONE', name: 'Ann' },
  approver2: { id: 'UAPPTWO', name: 'Abe' },
  viewer: { id: 'UVIEW', name: 'Vic' },
  /** Granted Auditor, a role the document then drops: the grant is dormant. */
  dormant: { id: 'UDORMANT', name: 'Dora' },
  /** No grant at all: holds the defaults. */
  stranger: { id: 'USTRANGE', name: 'Sam' },
} as const satisfies Record<string, Person>;

export const SLACK_A: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C1' };
export const SLACK_B: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C2' };

/** The console's workspace admin (a console person's id is their name). */
export const CONSOLE_ADMIN = { id: 'root', name: 'root' } as const;

/** Workspace admins Wanda (Slack) and root (console); everyone else without a grant holds read and write. */
export const POLICY: AccessPolicy = {
  admins: new Set([`slack:${PEOPLE.admin.id}`, `console:${CONSOLE_ADMIN.id}`]),
  defaultPrivileges: ['read', 'write'],
};

export interface DocumentOptions {
  readonly requiredApprovals?: number;
  readonly allowSelfApproval?: boolean;
  /** Leave roles out (to make their grants dormant). */
  readonly without?: readonly string[];
  /** change_management.approval_roles; ["Approver"] unless given. */
  readonly approvalRoles?: readonly string[];
}

const ROLES: readonly [string, readonly string[]][] = [
  ['Administrator', ['all']],
  ['Developer', ['read', 'write', 'execute']],
  ['Approver', ['read', 'approve']],
  ['Viewer', ['read']],
  ['Auditor', ['read']],
];

export function documentText(options: DocumentOptions = {}): string {
  const roles = ROLES.filter(([name]) => options.without?.includes(name) !== true).map(
    ([name, privileges]) =>
      `[[roles]]\nname = "${name}"\nprivileges = [${privileges.map((p) => `"${p}"`).join(', ')}]\n`,
  );
  return [
    '[metadata]\nname = "Access scenarios"\nversion = "1.0.0"\n',
    ...roles,
    '[change_management]',
    'review_required = true',
    `approval_roles = [${(options.approvalRoles ?? ['Approver']).map((role) => `"${role}"`).join(', ')}]`,
    `required_approvals = ${options.requiredApprovals ?? 2}`,
    ...(options.allowSelfApproval === true ? ['allow_self_approval = true'] : []),
    '',
  ].join('\n');
}

/** Who holds which role once the world is set up. */
export const GRANTS: readonly [Person, string][] = [
  [PEOPLE.owner, 'Administrator'],
  [PEOPLE.dev, 'Developer'],
  [PEOPLE.approver1, 'Approver'],
  [PEOPLE.approver2, 'Approver'],
  [PEOPLE.viewer, 'Viewer'],
  [PEOPLE.dormant, 'Auditor'],
];

export interface World {
  readonly harness: Harness;
  readonly kind: StoreKind;
  /** Types `text` as `person` in `channel` (Slack channel A unless given), with buttons. */
  say(person: Person, text: string, channel?: ChannelKey): Promise<Reply>;
  click(person: Person, buttonId: string, channel?: ChannelKey): Promise<Reply>;
  /** Writes a document into the work dir and loads it as the workspace admin. */
  load(text: string, channel?: ChannelKey): Promise<Reply>;
  access(channel?: ChannelKey): Promise<AccessRecord>;
  draft(channel?: ChannelKey): Promise<SessionRecord>;
  trail(channel?: ChannelKey, limit?: number): Promise<readonly AuditEntry[]>;
  /** Every byte the store holds outside the audit trails (which refusals legitimately grow). */
  stateOutsideAudit(): Promise<Record<string, string>>;
  /** The audit trails as stored: the .jsonl files, or every field of every Redis stream entry. */
  rawTrails(): Promise<string>;
  /** Loads the document in `channel` and has the workspace admin grant GRANTS there. */
  populate(channel: ChannelKey, options?: DocumentOptions): Promise<void>;
}

export interface WorldOptions extends DocumentOptions {
  readonly policy?: AccessPolicy;
  /** Load the document and grant the roles (default true). */
  readonly populated?: boolean;
}

/** Only the Redis stream keys and the file trails are audit; everything else must stay put. */
function isAuditKey(key: string): boolean {
  return key.startsWith('audit/') || key.endsWith(':audit') || key.endsWith(':audit-channels');
}

function expectOk(reply: Reply, what: string): Reply {
  if (!reply.ok) throw new Error(`${what} failed: ${textOf(reply)}`);
  return reply;
}

/**
 * `open(kind)` gives a world on that store, Redis on one server per test file with a fresh key prefix
 * per world. Worlds are cleaned up after the file.
 */
export function useWorlds(): { open(kind: StoreKind, options?: WorldOptions): Promise<World> } {
  let server: ReturnType<typeof sharedRedis> | undefined;
  const opened: Harness[] = [];
  afterAll(async () => {
    for (const harness of opened.splice(0)) await harness.cleanup();
    const started = server;
    server = undefined;
    await (await started)?.stop();
  });
  return {
    async open(kind, options = {}) {
      const policy = options.policy ?? POLICY;
      let url: string | undefined;
      if (kind === 'redis') {
        server ??= sharedRedis();
        url = (await server).url;
      }
      const harness = await createHarness(
        'console',
        url === undefined ? { kind: 'file' } : { kind: 'redis', url },
        { policy },
      );
      opened.push(harness);
      const world = worldOf(harness, kind, url);
      if (options.populated !== false) await world.populate(SLACK_A, options);
      return world;
    },
  };
}

function worldOf(harness: Harness, kind: StoreKind, url: string | undefined): World {
  const { dispatcher } = harness;
  let loads = 0;
  const world: World = {
    harness,
    kind,
    say: (person, text, channel = SLACK_A) =>
      dispatcher.handle({ text, actor: person, channel, supportsButtons: true }),
    click: (person, buttonId, channel = SLACK_A) =>
      dispatcher.handleButton({ buttonId, actor: person, channel }),
    async load(text, channel = SLACK_A) {
      loads += 1;
      const file = `document-${loads}.toml`;
      await writeFile(path.join(harness.workDir, file), text);
      return world.say(PEOPLE.admin, `/load ${file}`, channel);
    },
    async populate(channel, options = {}) {
      expectOk(await world.load(documentText(options), channel), 'loading the document');
      for (const [person, role] of GRANTS)
        expectOk(
          await world.say(PEOPLE.admin, `/grant <@${person.id}> ${role}`, channel),
          `granting ${role}`,
        );
      // Auditor leaves the document: Dora's grant stays, dormant.
      const without = [...(options.without ?? []), 'Auditor'];
      expectOk(await world.load(documentText({ ...options, without }), channel), 'dropping Auditor');
    },
    access: (channel = SLACK_A) => harness.access.read(channel),
    draft: (channel = SLACK_A) => harness.store.read(channel),
    trail: (channel = SLACK_A, limit = 200) => harness.access.recentAudit(channel, limit),
    async stateOutsideAudit() {
      const all = await harness.snapshot();
      return Object.fromEntries(Object.entries(all).filter(([key]) => !isAuditKey(key)));
    },
    async rawTrails() {
      const all = await harness.snapshot();
      const keys = Object.keys(all).filter((key) => key.startsWith('audit/') || key.endsWith(':audit'));
      if (url === undefined) return keys.map((key) => all[key] ?? '').join('');
      const client = createRedisClient(url);
      try {
        const parts: string[] = [];
        for (const key of keys)
          for (const [id, fields] of await client.xrange(key, '-', '+')) parts.push(id, ...fields);
        return parts.join('\n');
      } finally {
        await closeRedisClient(client);
      }
    },
  };
  return world;
}

/** The buttons of a reply by label. */
export function buttonOf(reply: Reply, label: 'Approve' | 'Reject'): string {
  const button = reply.buttons.find((b) => b.label === label);
  if (button === undefined) throw new Error(`no ${label} button in: ${textOf(reply)}`);
  return button.id;
}

export function errorCodeOf(reply: Reply): unknown {
  const data: unknown = reply.data;
  if (typeof data !== 'object' || data === null || !('error' in data)) return undefined;
  const { error } = data;
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

/** A refusal names the privilege needed and who can grant it. */
export function expectRefusal(reply: Reply, privilege: Privilege): void {
  const text = textOf(reply);
  expect(reply.ok, text).toBe(false);
  expect(errorCodeOf(reply)).toBe('FORBIDDEN');
  expect(text).toContain(`needs the ${privilege} privilege`);
  expect(text).toMatch(/can grant .*\/grant USER ROLE/);
  expect(text).toMatch(/workspace admin/i);
}

export { textOf };
