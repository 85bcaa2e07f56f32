import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscordApi } from '../../src/adapters/discord/api.js';
import type { Transport } from '../../src/adapters/discord/deliver.js';
import { createInteractionHandler } from '../../src/adapters/discord/handler.js';
import { buildCommandPayload, checkCommandPayload } from '../../src/adapters/discord/payload.js';
import type { Dispatcher } from '../../src/commands/dispatch.js';
import { normalizeChatText, parseCommandLine } from '../../src/commands/grammar/index.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { success } from '../../src/commands/reply.js';
import type { Invocation } from '../../src/commands/types.js';
import { silentLogger } from '../../src/logging.js';
import type { AccessRecord } from '../../src/session/access-port.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import { FakeDiscord, type RecordedCall } from '../support/fake-discord.js';
import {
  buttonPayload,
  commandPayload,
  int,
  type Option,
  str,
  type Where,
} from '../support/fake-discord-payloads.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { reviewDraft } from '../support/review-draft.js';
import { type Answer, type Bot, startBot, viaGateway } from './bot.js';

const EPHEMERAL = 64;
const USER_OPTION = 6;
const UPDATE_MESSAGE = 7;
const GUILD = '100000000000000001';
const CHANNEL = '230000000000000001';
const OTHER = '230000000000000002';
/** The submission's message: both approvers click on the same one. */
const SUBMISSION_ID = '240000000000000001';

interface Person {
  readonly userId: string;
  readonly userName: string;
}

const ADMIN: Person = { userId: '310000000000000001', userName: 'root' };
const BOB: Person = { userId: '310000000000000002', userName: 'bob' };
const CAROL: Person = { userId: '310000000000000003', userName: 'carol' };
/** Holds no grant: the defaults (read, write). */
const DAVE: Person = { userId: '310000000000000004', userName: 'dave' };
const ERIN: Person = { userId: '310000000000000005', userName: 'erin' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function userOption(person: Person): Option {
  return { name: 'user', type: USER_OPTION, value: person.userId };
}

/** A command with a USER option, carrying the resolved user as Discord sends it. */
function withResolvedUser(payload: Record<string, unknown>, person: Person): Record<string, unknown> {
  const data = isRecord(payload.data) ? payload.data : {};
  const user = { id: person.userId, username: person.userName, global_name: person.userName, avatar: null };
  return { ...payload, data: { ...data, resolved: { users: { [person.userId]: user } } } };
}

describe('discord review options', () => {
  it('registers /grant and /revoke with a required USER option and a role, read commands open', () => {
    const payload = buildCommandPayload(COMMANDS);
    expect(checkCommandPayload(payload)).toEqual([]);
    const byName = new Map(payload.map((command) => [command.name, command]));
    for (const name of ['grant', 'revoke']) {
      const options = byName.get(name)?.options?.map((o) => [o.name, o.type, o.required]);
      expect(options, name).toEqual([
        ['user', USER_OPTION, true],
        ['role', 3, true],
      ]);
    }
    expect(byName.get('submit')?.options?.map((o) => [o.name, o.type, o.required])).toEqual([
      ['note', 3, false],
    ]);
    expect(byName.get('reject')?.options?.map((o) => o.name)).toEqual(['run', 'reason']);
    expect(byName.get('approve')?.options?.map((o) => [o.name, o.type, o.required])).toEqual([
      ['run', 3, false],
    ]);
    expect(byName.get('audit')?.options?.map((o) => [o.name, o.type])).toEqual([['limit', 4]]);
    for (const name of ['review', 'members']) expect(byName.get(name)?.options ?? []).toEqual([]);
    for (const name of ['members', 'review', 'audit'])
      expect(byName.get(name)?.default_member_permissions, name).toBeUndefined();
    for (const name of ['submit', 'approve', 'reject', 'grant', 'revoke'])
      expect(byName.get(name)?.default_member_permissions, name).toBe('8192');
  });

  it('turns a user option into a mention and the role into a quoted word for the core', async () => {
    const seen: Invocation[] = [];
    const dispatcher: Dispatcher = {
      async handle(invocation) {
        seen.push(invocation);
        return success('ok');
      },
      handleButton: async () => success('ok'),
      checkDocument: () => undefined,
      commands: COMMANDS,
    };
    const noop = async (): Promise<void> => {};
    const api: DiscordApi = {
      callback: noop,
      editOriginal: noop,
      deleteOriginal: noop,
      followUp: noop,
      postToChannel: noop,
      putCommands: async () => [],
    };
    const handler = createInteractionHandler({
      dispatcher,
      sessions: new MemorySessionStore(),
      interactions: new MemoryInteractionStore(),
      api,
      logger: silentLogger,
      documentBytes: 10_000,
    });
    const transport: Transport = { initialFiles: true, initial: noop, duplicate: noop };
    const where: Where = { applicationId: '800000000000000001', ...ADMIN };
    const send = (name: string, options: readonly Option[]) =>
      handler.handle(withResolvedUser(commandPayload(name, options, where), BOB), transport);
    await send('grant', [userOption(BOB), str('role', 'Senior Developer')]);
    await send('revoke', [str('role', 'Approver'), userOption(BOB)]);
    await send('audit', [int('limit', 50)]);
    await send('reject', [str('reason', 'too "risky"')]);
    expect(seen.map((invocation) => invocation.text)).toEqual([
      `/grant <@${BOB.userId}> "Senior Developer"`,
      `/revoke <@${BOB.userId}> "Approver"`,
      '/audit 50',
      '/reject too "risky"',
    ]);
    const grant = parseCommandLine(normalizeChatText(seen[0]?.text ?? ''));
    expect(grant).toMatchObject({ name: 'grant', positionals: [`<@${BOB.userId}>`, 'Senior Developer'] });
  });
});

describe('discord access control and review', () => {
  let fake: FakeDiscord;
  let redis: RedisServer;
  let bot: Bot;
  let buttons: { approve: string; reject: string };

  beforeAll(async () => {
    [fake, redis] = await Promise.all([FakeDiscord.start(), startRedis()]);
    bot = await startBot({
      fake,
      redisUrl: redis.url,
      env: { AITWS_ADMINS: `discord:${ADMIN.userId}` },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await fake?.stop();
    await redis?.stop();
  });

  function where(person: Person, channel = CHANNEL): Where {
    return { ...bot.where, guildId: GUILD, channelId: channel, ...person };
  }

  function run(person: Person, name: string, options: readonly Option[], channel = CHANNEL) {
    return viaGateway(fake, commandPayload(name, options, where(person, channel)));
  }

  function grant(person: Person, to: Person, role: string): Promise<Answer> {
    const payload = commandPayload('grant', [userOption(to), str('role', role)], where(person));
    return viaGateway(fake, withResolvedUser(payload, to));
  }

  /** A click on the submission's message (one message id, whoever clicks). */
  function click(person: Person, customId: string, channel = CHANNEL): Promise<Answer> {
    const payload = buttonPayload(customId, where(person, channel), { ephemeral: false });
    const message = isRecord(payload.message) ? payload.message : {};
    return viaGateway(fake, { ...payload, message: { ...message, id: SUBMISSION_ID } });
  }

  function access(channel = CHANNEL): Promise<AccessRecord> {
    return bot.running.core.access.read({ platform: 'discord', workspace: GUILD, channel });
  }

  function flags(answer: Answer): number {
    return Number(answer.message.flags ?? 0);
  }

  function buttonIds(message: Record<string, unknown>): string[] {
    const rows = Array.isArray(message.components) ? message.components : [];
    return rows.flatMap((row) =>
      isRecord(row) && Array.isArray(row.components)
        ? row.components.filter(isRecord).map((button) => String(button.custom_id))
        : [],
    );
  }

  function voteButtons(answer: Answer): { approve: string; reject: string } {
    const [approve, reject, ...rest] = buttonIds(answer.message);
    expect(rest).toEqual([]);
    if (approve === undefined || reject === undefined) throw new Error('no vote buttons');
    expect(approve).toMatch(/^aitws:vote:[A-Za-z0-9_-]{8,32}:approve$/);
    expect(reject).toMatch(/:reject$/);
    return { approve, reject };
  }

  /** The clicked message as an update left it: a callback's data, or an edit's body. */
  function shown(call: RecordedCall): Record<string, unknown> {
    return call.kind === 'callback' && isRecord(call.body.data) ? call.body.data : call.body;
  }

  function updates(tokens: ReadonlySet<string>): RecordedCall[] {
    return fake.calls.filter(
      (call) =>
        call.target !== undefined &&
        tokens.has(call.target) &&
        ((call.kind === 'callback' && call.body.type === UPDATE_MESSAGE) || call.kind === 'edit'),
    );
  }

  /** Lets any late call arrive, then lists what an interaction's token was used for. */
  async function callsFor(token: string): Promise<RecordedCall[]> {
    await new Promise((resolve) => setTimeout(resolve, 250));
    return fake.callsFor(token);
  }

  it('lets the workspace admin grant Approver to two people with the user option', async () => {
    const document = await reviewDraft();
    const url = fake.addAttachment('review.toml', document);
    const load = commandPayload('load', [{ name: 'file', type: 11, value: '57' }], where(ADMIN), {
      '57': { filename: 'review.toml', url, size: Buffer.byteLength(document) },
    });
    expect((await viaGateway(fake, load)).content).toMatch(/Loaded review\.toml/);
    for (const person of [BOB, CAROL]) {
      const granted = await grant(ADMIN, person, 'Approver');
      expect(flags(granted) & EPHEMERAL).toBe(0);
      expect(granted.content).toContain(`root granted Approver to @${person.userId} here (read, approve)`);
      expect(granted.message.allowed_mentions).toEqual({ parse: [] });
    }
    const members = await run(DAVE, 'members', []);
    expect(flags(members) & EPHEMERAL).toBe(EPHEMERAL);
    expect(members.content).toContain(`@${CAROL.userId} (${CAROL.userId}): Approver`);
    const { grants } = await access();
    expect(grants.map((g) => [g.user.id, g.role])).toEqual([
      [BOB.userId, 'Approver'],
      [CAROL.userId, 'Approver'],
    ]);
  });

  it('refuses /grant from someone without a grant, naming the privilege it needs', async () => {
    const refused = await grant(DAVE, DAVE, 'Administrator');
    expect(flags(refused) & EPHEMERAL).toBe(EPHEMERAL);
    expect(refused.content).toMatch(/grant needs the admin privilege; you hold read, write here/);
    expect((await access()).grants).toHaveLength(2);
  });

  it('posts a submission with Approve and Reject buttons', async () => {
    const submitted = await run(ERIN, 'submit', [str('note', 'adds the Approver role')]);
    expect(flags(submitted) & EPHEMERAL).toBe(0);
    expect(submitted.content).toMatch(/erin asks for review of v1: adds the Approver role/);
    expect(submitted.content).toMatch(/Waiting for review · 0 of 2 approvals/);
    buttons = voteButtons(submitted);
  });

  it('refuses privately a forged button naming another channel’s review, changing nothing', async () => {
    await run(ADMIN, 'create', [str('name', 'Other')], OTHER);
    const elsewhere = voteButtons(await run(ERIN, 'submit', [], OTHER));
    const answer = await click(BOB, elsewhere.approve);
    expect(answer.first.type).toBe(4);
    expect(flags(answer) & EPHEMERAL).toBe(EPHEMERAL);
    expect(answer.content).toMatch(/no longer this channel's current one/);
    expect(updates(new Set([String(answer.calls[0]?.target)]))).toEqual([]);
    expect((await access()).review?.votes).toEqual([]);
    expect((await access(OTHER)).review?.votes).toEqual([]);
  });

  it('refuses privately a click by someone without the approve privilege', async () => {
    const answer = await click(DAVE, buttons.approve);
    expect(answer.first.type).toBe(4);
    expect(flags(answer) & EPHEMERAL).toBe(EPHEMERAL);
    expect(answer.content).toMatch(/approve needs the approve privilege/);
    expect((await access()).review?.votes).toEqual([]);
  });

  it('counts two approvals clicked at once, updating the message until it says who approved', async () => {
    const answers = await Promise.all([click(BOB, buttons.approve), click(CAROL, buttons.approve)]);
    const tokens = new Set(answers.map((answer) => String(answer.calls[0]?.target)));
    for (const token of tokens) {
      const calls = await callsFor(token);
      // The clicked message is updated, and nothing else is sent for the click.
      expect(calls.map((call) => call.kind)).toEqual(['callback']);
      expect(calls[0]?.body.type).toBe(UPDATE_MESSAGE);
    }
    // In the order Discord received them: the last update is what the channel sees.
    const final = updates(tokens).at(-1);
    if (final === undefined) throw new Error('no update');
    expect(String(shown(final).content)).toMatch(/Approved by (bob and carol|carol and bob) · v1/);
    expect(buttonIds(shown(final))).toEqual([]);
    const contents = updates(tokens).map((call) => String(shown(call).content));
    // Each reply shows the review as it stood after its vote: one approval of two, or both when
    // the other vote had already landed.
    for (const content of contents)
      expect(content).toMatch(
        /Waiting for review · 1 of 2 approvals|Approved by (bob and carol|carol and bob)/,
      );
    const { review } = await access();
    expect(review?.state).toBe('approved');
    expect(review?.votes.map((v) => v.voter.id).sort()).toEqual([BOB.userId, CAROL.userId].sort());
  });

  it('answers a click on the decided message privately, leaving the message as it is', async () => {
    const answer = await click(BOB, buttons.approve);
    expect(answer.first.type).toBe(4);
    expect(flags(answer) & EPHEMERAL).toBe(EPHEMERAL);
    expect(answer.content).toMatch(/Already decided: Approved by/);
    const calls = await callsFor(String(answer.calls[0]?.target));
    expect(calls.map((call) => call.kind)).toEqual(['callback']);
    expect((await access()).review?.votes).toHaveLength(2);
  });

  it('lists the grants, the submission and the votes in /audit', async () => {
    const audit = await run(DAVE, 'audit', [int('limit', 50)]);
    expect(flags(audit) & EPHEMERAL).toBe(EPHEMERAL);
    // A long trail comes whole as reply.md; the message keeps its start.
    const text = [audit.content, ...audit.files.map((file) => file.text)].join('\n');
    for (const person of [BOB, CAROL]) {
      expect(text).toMatch(new RegExp(`root · grant · .*Approver to @${person.userId}`));
      expect(text).toMatch(new RegExp(`${person.userName} · approve · `));
    }
    expect(text).toMatch(/erin · submit · .*v1/);
    expect(text).toMatch(/ · approved · /);
    expect(text).toMatch(/dave · refused · \/grant .* needs admin/);
  });
});
