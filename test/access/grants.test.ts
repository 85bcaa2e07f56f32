/**
 * Defaults, dormant grants, /grant, /revoke and /members, on the file store and on Redis: what a
 * person without a grant holds, that a grant of a role the document dropped gives nothing (never the
 * defaults), that a role must be one the document defines and a user a mention, and that the last
 * holder of an admin role can only be revoked by a workspace admin.
 */
import { describe, expect, it } from 'vitest';
import { type AccessPolicy, PRIVILEGES, standingOf } from '../../src/access/privileges.js';
import type { ChannelKey } from '../../src/session/port.js';
import {
  CONSOLE_ADMIN,
  documentText,
  errorCodeOf,
  expectRefusal,
  PEOPLE,
  POLICY,
  SLACK_A,
  STORE_KINDS,
  textOf,
  useWorlds,
} from './world.js';

/** A Slack user id that nobody in the world holds yet. */
const NEWCOMER = { id: 'U2NEWCOMER', name: 'Nia' };

describe.each(STORE_KINDS)('on the %s store', (kind) => {
  const worlds = useWorlds();

  describe('defaults', () => {
    it('someone with no grant holds read and write: /add works, /approve and /grant do not', async () => {
      const world = await worlds.open(kind);
      const added = await world.say(PEOPLE.stranger, '/add logging level="debug"');
      expect(added.ok, textOf(added)).toBe(true);
      expect((await world.draft()).document?.logging).toEqual({ level: 'debug' });
      expect((await world.say(PEOPLE.dev, '/submit')).ok).toBe(true);

      const access = await world.access();
      expectRefusal(await world.say(PEOPLE.stranger, '/approve'), 'approve');
      expectRefusal(await world.say(PEOPLE.stranger, `/grant <@${NEWCOMER.id}> Viewer`), 'admin');
      expectRefusal(await world.say(PEOPLE.stranger, '/create force=true'), 'admin');
      expect(await world.access()).toEqual(access);
      expect(textOf(await world.say(PEOPLE.stranger, '/approve'))).toContain('you hold read, write here');
    });

    it('execute, approve and admin never come from the defaults, even when configured', async () => {
      // The configuration refuses them (config.ts); the core must not rely on that alone.
      const generous: AccessPolicy = { admins: POLICY.admins, defaultPrivileges: [...PRIVILEGES] };
      const standing = standingOf(generous, null, [], 'slack', PEOPLE.stranger.id);
      expect([...standing.privileges].sort()).toEqual(['read', 'write']);

      const world = await worlds.open(kind, { policy: generous });
      const access = await world.access();
      expectRefusal(await world.say(PEOPLE.stranger, `/grant <@${NEWCOMER.id}> Administrator`), 'admin');
      expect((await world.say(PEOPLE.dev, '/submit')).ok).toBe(true);
      expectRefusal(await world.say(PEOPLE.stranger, '/approve'), 'approve');
      expect((await world.access()).grants).toEqual(access.grants);
      expect((await world.access()).review?.votes).toEqual([]);
      const members = await world.say(PEOPLE.stranger, '/members');
      expect(members.data).toMatchObject({ defaults: ['read', 'write'] });
    });

    it('in a channel nobody holds a grant in yet, anyone with write may /create force=true', async () => {
      const world = await worlds.open(kind, { populated: false });
      expect((await world.say(PEOPLE.stranger, '/create name="First"')).ok).toBe(true);
      const replaced = await world.say(PEOPLE.stranger, '/create name="Second" force=true');
      expect(replaced.ok, textOf(replaced)).toBe(true);
      expect((await world.draft()).version).toBe(2);
    });
  });

  describe('dormant grants', () => {
    it('a grant of a role the document no longer defines gives nothing, not the defaults', async () => {
      const world = await worlds.open(kind);
      const before = await world.draft();
      // Dora's only grant is Auditor, which world.ts removed from the document after granting it.
      for (const [text, privilege] of [
        ['/add logging level="debug"', 'write'],
        ['/show', 'read'],
        ['/members', 'read'],
      ] as const) {
        const reply = await world.say(PEOPLE.dormant, text);
        expectRefusal(reply, privilege);
        expect(textOf(reply)).toContain('you hold none here');
      }
      expect((await world.draft()).version).toBe(before.version);

      const members = await world.say(PEOPLE.viewer, '/members');
      expect(members.ok).toBe(true);
      expect(textOf(members)).toMatch(/@UDORMANT \(UDORMANT\): Auditor \(dormant[^)]*\)/);
      expect(textOf(members)).toMatch(/@UVIEW \(UVIEW\): Viewer \(read\)/);
    });

    it('the role coming back brings its privileges back; removing it again takes them away', async () => {
      const world = await worlds.open(kind);
      expect((await world.load(documentText())).ok).toBe(true);
      expect((await world.say(PEOPLE.dormant, '/show')).ok).toBe(true);
      expectRefusal(await world.say(PEOPLE.dormant, '/add logging level="debug"'), 'write');
      expect((await world.load(documentText({ without: ['Auditor'] }))).ok).toBe(true);
      expectRefusal(await world.say(PEOPLE.dormant, '/show'), 'read');
    });
  });

  describe('/grant', () => {
    it('a role the document does not define is an error with a did-you-mean', async () => {
      const world = await worlds.open(kind);
      const access = await world.access();
      const reply = await world.say(PEOPLE.owner, `/grant <@${NEWCOMER.id}> Approvr`);
      expect(reply.ok).toBe(false);
      expect(errorCodeOf(reply)).toBe('UNKNOWN_ROLE');
      expect(textOf(reply)).toContain('Did you mean Approver');
      expect(await world.access()).toEqual(access);
    });

    it('a role is named as the document spells it; the wrong case gets a did-you-mean', async () => {
      const world = await worlds.open(kind);
      const access = await world.access();
      const reply = await world.say(PEOPLE.owner, `/grant <@${NEWCOMER.id}> approver`);
      expect(errorCodeOf(reply)).toBe('UNKNOWN_ROLE');
      expect(textOf(reply)).toContain('Did you mean Approver');
      expect(await world.access()).toEqual(access);
    });

    // `@U…` typed by hand is text, not a mention: Slack sends a person picked from its list as `<@U…>`.
    it.each([NEWCOMER.id, `@${NEWCOMER.id}`, `#${NEWCOMER.id}`, 'Nia'])(
      'in Slack, "%s" (not a mention) is refused and nothing is granted',
      async (word) => {
        const world = await worlds.open(kind);
        const access = await world.access();
        const reply = await world.say(PEOPLE.owner, `/grant ${word} Approver`);
        expect(reply.ok).toBe(false);
        expect(errorCodeOf(reply)).toBe('UNKNOWN_USER');
        expect(textOf(reply)).toContain('not a mention');
        expect(await world.access()).toEqual(access);
      },
    );

    it('a mention grants the role to that id, audited', async () => {
      const world = await worlds.open(kind);
      const reply = await world.say(PEOPLE.owner, `/grant <@${NEWCOMER.id}|nia> Approver`);
      expect(reply.ok, textOf(reply)).toBe(true);
      const grants = (await world.access()).grants.filter((g) => g.user.id === NEWCOMER.id);
      expect(grants.map((g) => g.role)).toEqual(['Approver']);
      const [entry] = await world.trail(undefined, 1);
      expect(entry).toMatchObject({
        kind: 'grant',
        actor: PEOPLE.owner,
        command: `/grant <@${NEWCOMER.id}|nia> Approver`,
      });
      expect((await world.access()).grants.find((g) => g.user.id === NEWCOMER.id)?.user.name).toBe('nia');
      expect(entry?.detail).toContain(NEWCOMER.id);
      expect(entry?.detail).toContain('Approver');
      // Granting it again changes nothing and adds no entry.
      const again = await world.say(PEOPLE.owner, `/grant <@${NEWCOMER.id}> Approver`);
      expect(again.ok).toBe(true);
      expect(textOf(again)).toContain('already holds');
      expect((await world.trail(undefined, 1))[0]?.id).toBe(entry?.id);
    });

    it('in the console a plain name is the person', async () => {
      const world = await worlds.open(kind, { populated: false });
      const console: ChannelKey = world.harness.channel;
      expect((await world.load(documentText(), console)).ok).toBe(true);
      const root = CONSOLE_ADMIN;
      const granted = await world.say(root, '/grant bob Approver', console);
      expect(granted.ok, textOf(granted)).toBe(true);
      expect((await world.access(console)).grants).toMatchObject([
        { user: { id: 'bob', name: 'bob' }, role: 'Approver', by: root },
      ]);
      const members = await world.say({ id: 'bob', name: 'bob' }, '/members', console);
      expect(textOf(members)).toContain('bob: Approver (read, approve)');
      // bob holds what Approver gives, not the defaults.
      expectRefusal(await world.say({ id: 'bob', name: 'bob' }, '/add logging level="x"', console), 'write');
    });
  });

  describe('/revoke', () => {
    it('a channel admin cannot revoke the last holder of a role with admin; a workspace admin can', async () => {
      const world = await worlds.open(kind);
      const access = await world.access();
      const refused = await world.say(PEOPLE.owner, `/revoke <@${PEOPLE.owner.id}> Administrator`);
      expect(refused.ok).toBe(false);
      expect(errorCodeOf(refused)).toBe('FORBIDDEN');
      expect(textOf(refused)).toContain('last holder');
      expect(textOf(refused)).toMatch(/workspace admin/i);
      expect(await world.access()).toEqual(access);

      const revoked = await world.say(PEOPLE.admin, `/revoke <@${PEOPLE.owner.id}> Administrator`);
      expect(revoked.ok, textOf(revoked)).toBe(true);
      expect((await world.access()).grants.some((g) => g.user.id === PEOPLE.owner.id)).toBe(false);
      const [entry] = await world.trail(undefined, 1);
      expect(entry).toMatchObject({
        kind: 'revoke',
        actor: PEOPLE.admin,
        command: `/revoke <@${PEOPLE.owner.id}> Administrator`,
      });
      expect(entry?.detail).toContain(PEOPLE.owner.id);
      // Olga holds the defaults again.
      expectRefusal(await world.say(PEOPLE.owner, `/grant <@${NEWCOMER.id}> Viewer`), 'admin');
      expect((await world.say(PEOPLE.owner, '/add logging level="debug"')).ok).toBe(true);
    });

    it('with a second admin-role holder, a channel admin may revoke one of them', async () => {
      const world = await worlds.open(kind);
      expect((await world.say(PEOPLE.owner, `/grant <@${PEOPLE.dev.id}> Administrator`)).ok).toBe(true);
      const revoked = await world.say(PEOPLE.owner, `/revoke <@${PEOPLE.dev.id}> Administrator`);
      expect(revoked.ok, textOf(revoked)).toBe(true);
      // Dana keeps Developer.
      expect(
        (await world.access()).grants.filter((g) => g.user.id === PEOPLE.dev.id).map((g) => g.role),
      ).toEqual(['Developer']);
      // Now Olga is the last one again.
      const refused = await world.say(PEOPLE.owner, `/revoke <@${PEOPLE.owner.id}> Administrator`);
      expect(errorCodeOf(refused)).toBe('FORBIDDEN');
    });

    it('revoking a role the person does not hold, or in Slack a non-mention, changes nothing', async () => {
      const world = await worlds.open(kind);
      const access = await world.access();
      const notHeld = await world.say(PEOPLE.owner, `/revoke <@${PEOPLE.viewer.id}> Developer`);
      expect(notHeld.ok).toBe(false);
      expect(textOf(notHeld)).toContain('Viewer');
      const notMention = await world.say(PEOPLE.owner, `/revoke ${PEOPLE.viewer.id} Viewer`);
      expect(errorCodeOf(notMention)).toBe('UNKNOWN_USER');
      expect(await world.access()).toEqual(access);
    });

    it('revokes the role as spelled when two roles differ only in case', async () => {
      const world = await worlds.open(kind);
      const text = documentText().replace(
        '[change_management]',
        '[[roles]]\nname = "Ops"\nprivileges = ["read", "write"]\n\n[[roles]]\nname = "ops"\nprivileges = ["read"]\n\n[change_management]',
      );
      const loaded = await world.load(text);
      expect(loaded.ok, textOf(loaded)).toBe(true);
      for (const role of ['Ops', 'ops'])
        expect((await world.say(PEOPLE.owner, `/grant <@${NEWCOMER.id}> ${role}`)).ok).toBe(true);
      expect((await world.say(PEOPLE.owner, `/revoke <@${NEWCOMER.id}> ops`)).ok).toBe(true);
      const left = (await world.access()).grants.filter((g) => g.user.id === NEWCOMER.id);
      expect(left.map((g) => g.role)).toEqual(['Ops']);
      // The case-insensitive fallback still finds a role typed in another case when it is the only one.
      expect((await world.say(PEOPLE.owner, `/revoke <@${NEWCOMER.id}> OPS`)).ok).toBe(true);
      expect((await world.access()).grants.some((g) => g.user.id === NEWCOMER.id)).toBe(false);
    });

    it('someone whose last grant is revoked holds the defaults again', async () => {
      const world = await worlds.open(kind);
      expectRefusal(await world.say(PEOPLE.viewer, '/add logging level="debug"'), 'write');
      expect((await world.say(PEOPLE.owner, `/revoke <@${PEOPLE.viewer.id}> Viewer`)).ok).toBe(true);
      expect((await world.say(PEOPLE.viewer, '/add logging level="debug"')).ok).toBe(true);
    });
  });

  it('grants are per channel', async () => {
    const world = await worlds.open(kind);
    const other: ChannelKey = { ...SLACK_A, channel: 'C9' };
    expect((await world.load(documentText(), other)).ok).toBe(true);
    // Olga administers C1, not C9: there she holds the defaults.
    expectRefusal(await world.say(PEOPLE.owner, `/grant <@${NEWCOMER.id}> Viewer`, other), 'admin');
    expect((await world.access(other)).grants).toEqual([]);
  });
});
