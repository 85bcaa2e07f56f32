/**
 * The part of a Discord interaction this adapter reads, parsed at the boundary with zod. Gateway
 * dispatches and HTTP bodies carry the same object, so both modes share this one parser.
 */
import { z } from 'zod';
import type { Actor } from '../../commands/types.js';
import type { ChannelKey } from '../../session/port.js';

const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  global_name: z.string().nullish(),
});

export interface CommandOption {
  readonly name: string;
  readonly type: number;
  readonly value?: string | number | boolean | undefined;
  readonly focused?: boolean | undefined;
  readonly options?: CommandOption[] | undefined;
}

const optionSchema: z.ZodType<CommandOption> = z.lazy(() =>
  z.object({
    name: z.string(),
    type: z.number(),
    value: z.union([z.string(), z.number(), z.boolean()]).optional(),
    focused: z.boolean().optional(),
    options: z.array(optionSchema).optional(),
  }),
);

const attachmentSchema = z.object({
  id: z.string(),
  filename: z.string(),
  size: z.number(),
  url: z.string(),
});
export type DiscordAttachment = z.infer<typeof attachmentSchema>;

const commandDataSchema = z.object({
  name: z.string(),
  options: z.array(optionSchema).optional(),
  resolved: z.object({ attachments: z.record(z.string(), attachmentSchema).optional() }).optional(),
});

const componentDataSchema = z.object({ custom_id: z.string().max(100), component_type: z.number() });

const interactionSchema = z.object({
  id: z.string(),
  application_id: z.string(),
  type: z.number(),
  token: z.string(),
  guild_id: z.string().optional(),
  channel_id: z.string().optional(),
  channel: z.object({ id: z.string() }).optional(),
  member: z.object({ user: userSchema, nick: z.string().nullish() }).optional(),
  user: userSchema.optional(),
  data: z.unknown().optional(),
  message: z.object({ id: z.string(), flags: z.number().optional() }).optional(),
});

const InteractionKind = { Ping: 1, Command: 2, Component: 3, Autocomplete: 4 } as const;

/** What every answerable interaction has: where it came from, who sent it, how to answer it. */
export interface InteractionBase {
  readonly id: string;
  readonly applicationId: string;
  readonly token: string;
  readonly channel: ChannelKey;
  /** The Discord channel, for posting once the interaction token has expired. */
  readonly channelId: string | undefined;
  readonly actor: Actor;
}

export interface CommandInteraction {
  readonly kind: 'command' | 'autocomplete';
  readonly base: InteractionBase;
  readonly name: string;
  readonly options: readonly CommandOption[];
  readonly attachments: Readonly<Record<string, DiscordAttachment>>;
}

export interface ComponentInteraction {
  readonly kind: 'component';
  readonly base: InteractionBase;
  readonly customId: string;
  /** The clicked message is visible only to the clicker, so it may be replaced in place. */
  readonly messageEphemeral: boolean;
  /** The clicked message, so clicks on the same one are answered in order. */
  readonly messageId: string | undefined;
}

export type Incoming =
  | { readonly kind: 'ping' }
  | CommandInteraction
  | ComponentInteraction
  | { readonly kind: 'other'; readonly base: InteractionBase };

const EPHEMERAL_FLAG = 64;

/** Throws a ZodError for anything that is not an interaction we can answer. */
export function parseInteraction(raw: unknown): Incoming {
  const interaction = interactionSchema.parse(raw);
  if (interaction.type === InteractionKind.Ping) return { kind: 'ping' };
  const user = interaction.member?.user ?? interaction.user;
  const channelId = interaction.channel_id ?? interaction.channel?.id;
  if (user === undefined) throw new Error('interaction without a user');
  const base: InteractionBase = {
    id: interaction.id,
    applicationId: interaction.application_id,
    token: interaction.token,
    channelId,
    channel: {
      platform: 'discord',
      // A DM has no server: each person's DMs with the bot are their own workspace.
      workspace: interaction.guild_id ?? `dm-${user.id}`,
      channel: channelId ?? `dm-${user.id}`,
    },
    actor: { id: user.id, name: interaction.member?.nick ?? user.global_name ?? user.username },
  };
  switch (interaction.type) {
    case InteractionKind.Command:
    case InteractionKind.Autocomplete: {
      const data = commandDataSchema.parse(interaction.data);
      return {
        kind: interaction.type === InteractionKind.Command ? 'command' : 'autocomplete',
        base,
        name: data.name,
        options: data.options ?? [],
        attachments: data.resolved?.attachments ?? {},
      };
    }
    case InteractionKind.Component: {
      const data = componentDataSchema.parse(interaction.data);
      const flags = interaction.message?.flags ?? 0;
      return {
        kind: 'component',
        base,
        customId: data.custom_id,
        messageEphemeral: (flags & EPHEMERAL_FLAG) !== 0,
        messageId: interaction.message?.id,
      };
    }
    default:
      return { kind: 'other', base };
  }
}

/** Top-level option values by name (our commands have no subcommands). */
export function optionValues(options: readonly CommandOption[]): Map<string, string | number | boolean> {
  const values = new Map<string, string | number | boolean>();
  for (const option of options) if (option.value !== undefined) values.set(option.name, option.value);
  return values;
}
