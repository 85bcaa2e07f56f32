/**
 * A run's messages in Discord through the real discord.js REST client against the fake Discord:
 * channel messages with the bot token (never an interaction token), buttons in rows of five, an
 * edit that drops them, content cut to 2,000 characters, no pings, and a 429 waited out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDiscordRunChat,
  cutContent,
  type DiscordRunChat,
  MAX_CONTENT,
} from '../../src/adapters/discord/run-chat.js';
import type { DiscordConfig } from '../../src/config.js';
import { AitwsError } from '../../src/errors.js';
import { type Logger, silentLogger } from '../../src/logging.js';
import type { ChannelKey } from '../../src/session/port.js';
import { FakeDiscord, type RecordedCall } from '../support/fake-discord.js';

let fake: FakeDiscord;
let chat: DiscordRunChat;
const warnings: string[] = [];
const logger: Logger = { ...silentLogger, warn: (_fields, message) => warnings.push(message) };
const channel: ChannelKey = {
  platform: 'discord',
  workspace: '300000000000000001',
  channel: '400000000000000001',
};
const approve = 'aitws:runvote:rabc:0123456789ab:approve';
const reject = 'aitws:runvote:rabc:0123456789ab:reject';

function config(token: string | undefined): DiscordConfig {
  return { token, applicationId: fake.applicationId, publicKey: undefined, apiUrl: fake.apiUrl };
}

interface Row {
  readonly type: number;
  readonly components: readonly {
    readonly custom_id: string;
    readonly style: number;
    readonly label: string;
  }[];
}

function rowsOf(call: RecordedCall | undefined): Row[] {
  const components = call?.body.components;
  if (!Array.isArray(components)) throw new Error('no components');
  return components as Row[];
}

function callsOf(kind: RecordedCall['kind']): RecordedCall[] {
  return fake.calls.filter((call) => call.kind === kind);
}

beforeAll(async () => {
  fake = await FakeDiscord.start();
  const created = createDiscordRunChat(config(fake.token), logger);
  if (created === undefined) throw new Error('no chat');
  chat = created;
});

afterAll(async () => {
  await fake?.stop();
});

describe('DiscordRunChat', () => {
  it('posts a channel message with the bot token and its buttons, and returns its id', async () => {
    const before = callsOf('channel').length;
    const posted = await chat.post(channel, {
      text: 'Approval needed for deploy_prod.',
      buttons: [
        { id: approve, label: 'Approve', style: 'primary' },
        { id: reject, label: 'Reject', style: 'danger' },
      ],
    });
    const call = callsOf('channel')[before];
    expect(call?.target).toBe(channel.channel);
    expect(call?.authorization).toBe(`Bot ${fake.token}`);
    // Markdown in the text is shown as written.
    expect(call?.body.content).toBe('Approval needed for deploy\\_prod.');
    expect(rowsOf(call)).toEqual([
      {
        type: 1,
        components: [
          { type: 2, style: 1, label: 'Approve', custom_id: approve },
          { type: 2, style: 4, label: 'Reject', custom_id: reject },
        ],
      },
    ]);
    expect(posted).toEqual({ channel, messageId: expect.stringMatching(/^\d+$/) });
  });

  it('edits the message through the bot token, and an edit without buttons removes them', async () => {
    const posted = await chat.post(channel, {
      text: 'Waiting',
      buttons: [{ id: approve, label: 'Approve' }],
    });
    if (posted === undefined) throw new Error('not posted');
    const before = callsOf('channel-edit').length;
    await chat.update(posted, { text: 'Approved by eve.' });
    const call = callsOf('channel-edit')[before];
    expect(call?.method).toBe('PATCH');
    expect(call?.path).toBe(`/channels/${channel.channel}/messages/${posted.messageId}`);
    expect(call?.authorization).toBe(`Bot ${fake.token}`);
    expect(call?.body).toMatchObject({ content: 'Approved by eve.', components: [] });
    // Nothing about the message goes through an interaction's webhook.
    expect(fake.calls.filter((c) => c.kind === 'edit' || c.kind === 'followup')).toEqual([]);
  });

  it('puts at most five buttons in a row', async () => {
    const buttons = Array.from({ length: 7 }, (_, i) => ({ id: `aitws:results:r${i}`, label: `B${i}` }));
    const before = callsOf('channel').length;
    await chat.post(channel, { text: 'many', buttons });
    const rows = rowsOf(callsOf('channel')[before]);
    expect(rows.map((row) => row.components.length)).toEqual([5, 2]);
  });

  it('leaves out a button whose id Discord would refuse, and says so', async () => {
    const before = callsOf('channel').length;
    await chat.post(channel, {
      text: 'ids',
      buttons: [
        { id: `aitws:${'x'.repeat(100)}`, label: 'Too long' },
        { id: approve, label: 'Approve' },
      ],
    });
    const rows = rowsOf(callsOf('channel')[before]);
    expect(rows.flatMap((row) => row.components.map((c) => c.custom_id))).toEqual([approve]);
    expect(warnings.some((w) => w.includes('button left out'))).toBe(true);
  });

  it('cuts content to 2,000 characters with an ellipsis', async () => {
    const before = callsOf('channel').length;
    await chat.post(channel, { text: 'word '.repeat(1000) });
    const content = String(callsOf('channel')[before]?.body.content);
    expect(content).toHaveLength(MAX_CONTENT);
    expect(content.endsWith('…')).toBe(true);
    expect(cutContent(`${'a'.repeat(1998)}😀tail`)).toBe(`${'a'.repeat(1998)}…`);
    // A markdown escape is never cut in half, which would escape the ellipsis.
    expect(cutContent(`${'a'.repeat(1998)}\\_tail`)).toBe(`${'a'.repeat(1998)}…`);
    expect(cutContent(`${'a'.repeat(1997)}\\_tail`)).toBe(`${'a'.repeat(1997)}\\_…`);
  });

  it('pings nobody: @everyone, user and role mentions stay text', async () => {
    const before = callsOf('channel').length;
    const posted = await chat.post(channel, { text: '@everyone @here <@123456789> <@&987654321> look' });
    const call = callsOf('channel')[before];
    expect(call?.body.allowed_mentions).toEqual({ parse: [] });
    expect(call?.body.content).toContain('@everyone');
    if (posted === undefined) throw new Error('not posted');
    const editsBefore = callsOf('channel-edit').length;
    await chat.update(posted, { text: '@everyone done' });
    expect(callsOf('channel-edit')[editsBefore]?.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('waits for Retry-After on a 429 and then posts once', async () => {
    fake.rateLimitNext('channel', 1);
    const before = callsOf('channel').length;
    const posted = await chat.post(channel, { text: 'after the limit' });
    const calls = callsOf('channel').slice(before);
    expect(calls.map((call) => call.rateLimited === true)).toEqual([true, false]);
    const [limited, retried] = calls;
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(posted?.messageId).toMatch(/^\d+$/);
  });

  it('turns a refused token into an error that says what to fix', async () => {
    const wrong = createDiscordRunChat(config('not.the.token'), logger);
    const error = await wrong?.post(channel, { text: 'hello' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AitwsError);
    expect(error).toMatchObject({ code: 'NOT_AVAILABLE', retryable: false });
    expect((error as AitwsError).hint).toMatch(/DISCORD_TOKEN/);
  });

  it('is not built without a bot token, and says why', () => {
    const before = warnings.length;
    expect(createDiscordRunChat(config(undefined), logger)).toBeUndefined();
    expect(warnings.slice(before)).toEqual([expect.stringMatching(/DISCORD_TOKEN is not set/)]);
    expect(createDiscordRunChat(undefined, logger)).toBeUndefined();
  });
});
