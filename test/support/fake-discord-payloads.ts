/**
 * Interaction payloads shaped like Discord's (API v10), complete enough for discord.js to build
 * its own interaction objects from them on the gateway, and for our adapter to answer them.
 */
import { randomBytes } from 'node:crypto';

const DISCORD_EPOCH = 1420070400000n;
let counter = 0n;

/** A fresh snowflake for now: ids carry their creation time. */
export function snowflake(at: number = Date.now()): string {
  counter = (counter + 1n) % 4096n;
  return String(((BigInt(at) - DISCORD_EPOCH) << 22n) | counter);
}

export interface Where {
  readonly guildId?: string;
  readonly channelId?: string;
  readonly userId?: string;
  readonly userName?: string;
  readonly applicationId: string;
}

export interface Option {
  readonly name: string;
  readonly type: number;
  readonly value?: string | number | boolean;
  readonly focused?: boolean;
}

export const OptionType = { String: 3, Integer: 4, Boolean: 5, Attachment: 11 } as const;

export function str(name: string, value: string, focused = false): Option {
  return focused
    ? { name, type: OptionType.String, value, focused }
    : { name, type: OptionType.String, value };
}
export function int(name: string, value: number): Option {
  return { name, type: OptionType.Integer, value };
}
export function bool(name: string, value: boolean): Option {
  return { name, type: OptionType.Boolean, value };
}

function base(type: number, where: Where): Record<string, unknown> {
  const guildId = where.guildId ?? '100000000000000001';
  const channelId = where.channelId ?? '200000000000000001';
  const user = {
    id: where.userId ?? '300000000000000001',
    username: where.userName ?? 'alice',
    discriminator: '0',
    global_name: where.userName === undefined ? 'Alice' : where.userName,
    avatar: null,
  };
  return {
    id: snowflake(),
    application_id: where.applicationId,
    type,
    token: `itok-${randomBytes(12).toString('hex')}`,
    version: 1,
    guild_id: guildId,
    channel_id: channelId,
    channel: { id: channelId, type: 0, guild_id: guildId, name: 'general' },
    guild: { id: guildId, locale: 'en-US', features: [] },
    member: {
      user,
      nick: null,
      roles: [],
      joined_at: '2024-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0,
      permissions: '2248473465835073',
    },
    app_permissions: '2248473465835073',
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': guildId },
    context: 0,
    attachment_size_limit: 10_485_760,
  };
}

export interface AttachmentRef {
  readonly filename: string;
  readonly url: string;
  readonly size: number;
}

export function commandPayload(
  name: string,
  options: readonly Option[],
  where: Where,
  attachments: Readonly<Record<string, AttachmentRef>> = {},
): Record<string, unknown> {
  const resolved =
    Object.keys(attachments).length === 0
      ? undefined
      : {
          attachments: Object.fromEntries(
            Object.entries(attachments).map(([id, a]) => [
              id,
              {
                id,
                filename: a.filename,
                size: a.size,
                url: a.url,
                proxy_url: a.url,
                content_type: 'application/toml',
              },
            ]),
          ),
        };
  return {
    ...base(2, where),
    data: { id: '700', name, type: 1, options, ...(resolved === undefined ? {} : { resolved }) },
  };
}

export function autocompletePayload(
  name: string,
  options: readonly Option[],
  where: Where,
): Record<string, unknown> {
  return { ...base(4, where), data: { id: '700', name, type: 1, options } };
}

/** A message the bot posted, as Discord's API returns it. */
export function botMessage(message: {
  readonly channelId: string;
  readonly authorId: string;
  readonly content: string;
  readonly type: number;
  readonly flags: number;
}): Record<string, unknown> {
  return {
    id: snowflake(),
    channel_id: message.channelId,
    author: {
      id: message.authorId,
      username: 'aitws',
      discriminator: '0',
      global_name: null,
      avatar: null,
      bot: true,
    },
    content: message.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: message.type,
    flags: message.flags,
  };
}

export function buttonPayload(
  customId: string,
  where: Where,
  message: { readonly ephemeral: boolean; readonly content?: string },
): Record<string, unknown> {
  const payload = base(3, where);
  return {
    ...payload,
    message: {
      ...botMessage({
        channelId: String(payload.channel_id),
        authorId: '900000000000000001',
        content: message.content ?? 'Replace it?',
        type: 20,
        flags: message.ephemeral ? 64 : 0,
      }),
      components: [{ type: 1, components: [{ type: 2, style: 4, label: 'Replace', custom_id: customId }] }],
    },
    data: { custom_id: customId, component_type: 2 },
  };
}

export function pingPayload(applicationId: string): Record<string, unknown> {
  return {
    id: snowflake(),
    application_id: applicationId,
    type: 1,
    token: `itok-${randomBytes(12).toString('hex')}`,
    version: 1,
  };
}
