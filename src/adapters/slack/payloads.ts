/**
 * The parts of Slack's payloads the adapter reads, parsed with zod: a signed request is still
 * input, and a field Slack renames should fail loudly here rather than as `undefined` deep inside.
 */
import { z } from 'zod';

const id = z.string().min(1).max(64);

export const SlashCommandPayload = z.object({
  team_id: id,
  channel_id: id,
  user_id: id,
  user_name: z.string().optional(),
  text: z.string(),
  response_url: z.url(),
  trigger_id: z.string().min(1),
});
export type SlashCommandPayload = z.infer<typeof SlashCommandPayload>;

export const AppMentionEnvelope = z.object({
  event_id: id,
  team_id: id,
  event: z.object({
    type: z.literal('app_mention'),
    user: id.optional(),
    bot_id: id.optional(),
    text: z.string(),
    ts: z.string(),
    thread_ts: z.string().optional(),
    channel: id,
    user_profile: z
      .object({
        display_name: z.string().optional(),
        real_name: z.string().optional(),
        name: z.string().optional(),
      })
      .optional(),
  }),
});
export type AppMentionEnvelope = z.infer<typeof AppMentionEnvelope>;

const SlackUser = z.object({
  id,
  username: z.string().optional(),
  name: z.string().optional(),
});

export const BlockActionPayload = z.object({
  user: SlackUser,
  team: z.object({ id }),
  channel: z.object({ id }),
  response_url: z.url(),
  container: z
    .object({ is_ephemeral: z.boolean().optional(), message_ts: z.string().max(64).optional() })
    .optional(),
  actions: z
    .array(
      z.object({ action_id: z.string().min(1).max(255), text: z.object({ text: z.string() }).optional() }),
    )
    .min(1),
});
export type BlockActionPayload = z.infer<typeof BlockActionPayload>;

export const SlackFile = z.object({
  id,
  name: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  url_private: z.url().optional(),
  mode: z.string().optional(),
});
export type SlackFile = z.infer<typeof SlackFile>;

export const MessageShortcutPayload = z.object({
  callback_id: z.string(),
  response_url: z.url(),
  user: SlackUser,
  team: z.object({ id }),
  channel: z.object({ id }),
  message: z.object({ ts: z.string(), files: z.array(SlackFile).optional() }),
});
export type MessageShortcutPayload = z.infer<typeof MessageShortcutPayload>;

/** What the load modal remembers of the command that opened it (private_metadata). */
export const LoadModalMetadata = z.object({
  team: id,
  channel: id,
  responseUrl: z.url(),
});
export type LoadModalMetadata = z.infer<typeof LoadModalMetadata>;

export const ViewSubmissionPayload = z.object({
  user: SlackUser,
  view: z.object({
    callback_id: z.string(),
    private_metadata: z.string(),
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
    }),
  }),
});
export type ViewSubmissionPayload = z.infer<typeof ViewSubmissionPayload>;

export const FilesInfoResponse = z.object({ file: SlackFile });

export function actorName(user: {
  id: string;
  username?: string | undefined;
  name?: string | undefined;
}): string {
  return user.username ?? user.name ?? user.id;
}
