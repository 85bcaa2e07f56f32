/**
 * `/aitws <command> …` and `@aitws <command> …`. A slash command's answer rides in its ack when
 * the core gives it within ACK_DEADLINE_MS and it needs no file: one HTTP exchange instead of an
 * empty ack plus a response_url POST. Otherwise the ack goes out empty at the deadline, so Slack's
 * 3 seconds hold whatever the store does, and the answer follows through response_url. Mentions
 * are acknowledged by Bolt; they are deduplicated by event id because Slack redelivers an event
 * it thinks was missed.
 */
import { renderError } from '../../commands/render-error.js';
import type { Reply } from '../../commands/reply.js';
import { within } from '../../timing.js';
import {
  channelKey,
  commandText,
  type HandlerDeps,
  invocation,
  SIGNATURE_WINDOW_SECONDS,
  type SignedRequest,
} from './context.js';
import { SLASH_COMMAND } from './declared.js';
import {
  type Destination,
  deliver,
  deliverRendered,
  notify,
  type ResponseMessage,
  renderFor,
  responseMessage,
} from './deliver.js';
import { openLoadModal } from './on-load.js';
import { AppMentionEnvelope, SlashCommandPayload } from './payloads.js';
import type { RenderedMessage } from './render.js';

/** Slack retries an event three times within about five minutes; two hours leaves a wide margin. */
const EVENT_DEDUPE_TTL_SECONDS = 2 * 3600;
const BYLINE_COMMAND_LIMIT = 150;
/**
 * How long a slash command waits for the core before acking empty. Slack allows 3 s from its side;
 * half of that leaves room for the network both ways and a busy event loop.
 */
export const ACK_DEADLINE_MS = 1500;

/** Bolt's ack for a slash command, narrowed to the two answers we give. */
export type CommandAck = (response?: ResponseMessage) => Promise<void>;

const LATE = Symbol('late');
const REPLAYED = Symbol('replayed');
const SIGNATURE_SCOPE = 'slack-signature';

/**
 * "alice: /aitws add roles …" from the core's echo of the command (secrets masked), never the
 * text as typed: Slack shows a slash command only to the person who typed it.
 */
function byline(name: string, prefix: string, reply: Reply): string {
  const echo = (reply.echo ?? '').replace(/^\//, '');
  const typed = echo === '' ? prefix : `${prefix} ${echo}`;
  const command = typed.length > BYLINE_COMMAND_LIMIT ? `${typed.slice(0, BYLINE_COMMAND_LIMIT)}…` : typed;
  return `${name}: ${command}`;
}

/**
 * Whatever happens in the handler, Slack gets exactly one ack: without one the person sees
 * "dispatch_failed", and a second one is an error in Bolt.
 */
export async function handleSlashCommand(
  deps: HandlerDeps,
  body: unknown,
  ack: CommandAck,
  signed?: SignedRequest,
): Promise<void> {
  let acked = false;
  const ackOnce: CommandAck = async (response) => {
    if (acked) return;
    acked = true;
    await ack(response);
  };
  try {
    await answerSlashCommand(deps, body, ackOnce, signed);
  } finally {
    await ackOnce().catch((error: unknown) => deps.logger.warn({ err: error }, 'could not ack a command'));
  }
}

/**
 * The signature is remembered until Slack's window would refuse it anyway, in the interaction
 * store, so a replay is caught by whichever process it reaches.
 */
async function firstDelivery(deps: HandlerDeps, signed: SignedRequest | undefined): Promise<boolean> {
  if (signed === undefined) return true;
  const ttl = signed.timestamp + SIGNATURE_WINDOW_SECONDS - Math.floor(Date.now() / 1000) + 1;
  return deps.interactions.claimOnce(SIGNATURE_SCOPE, signed.signature, Math.max(1, ttl));
}

/**
 * The core's reply, or REPLAYED. The claim is part of the work raced against the ack deadline, so
 * a slow store delays the answer, not the ack; a failed claim is answered like a failed command.
 */
async function claimAndHandle(
  deps: HandlerDeps,
  command: SlashCommandPayload,
  signed: SignedRequest | undefined,
): Promise<Reply | typeof REPLAYED> {
  let first: boolean;
  try {
    first = await firstDelivery(deps, signed);
  } catch (error) {
    return renderError(error, deps.logger, { command: 'slash' });
  }
  if (!first) {
    deps.logger.warn(
      { user: command.user_id, channel: command.channel_id },
      'ignored a replayed slash command',
    );
    return REPLAYED;
  }
  const actor = { id: command.user_id, name: command.user_name ?? command.user_id };
  return deps.dispatcher.handle(
    invocation(commandText(command.text), actor, channelKey(command.team_id, command.channel_id), {
      // A slash command carries a trigger id, so Slack can open the paste form when asked.
      supportsDocumentForm: true,
    }),
  );
}

async function answerSlashCommand(
  deps: HandlerDeps,
  body: unknown,
  ack: CommandAck,
  signed: SignedRequest | undefined,
): Promise<void> {
  const parsed = SlashCommandPayload.safeParse(body);
  if (!parsed.success) {
    await ack();
    deps.logger.warn({ issues: parsed.error.issues }, 'ignored a slash command payload of unexpected shape');
    return;
  }
  const command = parsed.data;
  const pending = claimAndHandle(deps, command, signed);
  // The core's reply if it comes before the deadline, else LATE; a rejection before it rejects.
  const early = await within(pending, ACK_DEADLINE_MS, LATE);
  if (early === LATE) await ack();
  const reply = early === LATE ? await pending : early;
  // A replay gets the empty ack (handleSlashCommand sends it) and nothing else.
  if (reply === REPLAYED) return;
  const destination: Destination = {
    kind: 'response_url',
    url: command.response_url,
    channel: command.channel_id,
    user: command.user_id,
  };
  if (reply.form === 'document') {
    await ack();
    await openDocumentForm(deps, command, destination);
    return;
  }
  const name = command.user_name ?? command.user_id;
  const message = renderFor(deps, reply, {
    byline: byline(name, SLASH_COMMAND, reply),
  });
  await sendAnswer(deps, { reply, message, inTime: early !== LATE }, destination, ack);
}

/** The answer rides in the ack when it came in time and needs no upload; else response_url. */
async function sendAnswer(
  deps: HandlerDeps,
  answer: { readonly reply: Reply; readonly message: RenderedMessage; readonly inTime: boolean },
  destination: Destination,
  ack: CommandAck,
): Promise<void> {
  const { reply, message } = answer;
  if (answer.inTime && message.uploads.length === 0) {
    try {
      await ack(responseMessage(message, reply.visibility));
      return;
    } catch (error) {
      // The ack may not have carried the answer; response_url still reaches the person.
      deps.logger.warn({ err: error }, 'could not answer in the ack; answering through response_url');
    }
  }
  // A file is uploaded after the ack (it can take longer than Slack waits), as is a late answer.
  await ack();
  await deliverRendered(deps, destination, reply, message);
}

/**
 * The trigger id expires 3 s after the command; a bare /load asks nothing of the store, so the
 * core's answer comes well within that.
 */
async function openDocumentForm(
  deps: HandlerDeps,
  command: SlashCommandPayload,
  destination: Destination,
): Promise<void> {
  const metadata = { team: command.team_id, channel: command.channel_id, responseUrl: command.response_url };
  await openLoadModal(deps, command.trigger_id, metadata).catch((error: unknown) => {
    deps.logger.warn({ err: error }, 'could not open the load modal');
    return notify(
      deps,
      destination,
      'I could not open the paste form. Try again, or attach the .toml file and use the message shortcut "Load into aiTWS".',
    );
  });
}

/** Strips the leading `<@U…>` (the bot) and any other leading mentions. */
function mentionCommand(text: string): string {
  return text.replace(/^(\s*<@[A-Z0-9]+(?:\|[^>]*)?>)+/i, '').trim();
}

export async function handleAppMention(deps: HandlerDeps, body: unknown): Promise<void> {
  const parsed = AppMentionEnvelope.safeParse(body);
  if (!parsed.success) {
    deps.logger.warn({ issues: parsed.error.issues }, 'ignored an app_mention payload of unexpected shape');
    return;
  }
  const { event, event_id: eventId, team_id: team } = parsed.data;
  const self = deps.identity();
  if (event.user === undefined || (event.bot_id !== undefined && event.bot_id === self.botId)) return;
  if (event.user === self.botUserId) return;
  const destination: Destination = {
    kind: 'chat',
    channel: event.channel,
    user: event.user,
    threadTs: event.thread_ts,
  };
  let first: boolean;
  try {
    first = await deps.interactions.claimOnce('slack-event', eventId, EVENT_DEDUPE_TTL_SECONDS);
  } catch (error) {
    // Without the claim the change cannot be made exactly once; the store is down anyway.
    await deliver(deps, destination, renderError(error, deps.logger, { eventId }));
    return;
  }
  if (!first) {
    deps.logger.debug({ eventId }, 'ignored a redelivered Slack event');
    return;
  }
  const typed = mentionCommand(event.text);
  const profile = event.user_profile;
  const name = profile?.display_name || profile?.real_name || profile?.name || event.user;
  const reply = await deps.dispatcher.handle(
    invocation(commandText(typed), { id: event.user, name }, channelKey(team, event.channel)),
  );
  await deliver(deps, destination, reply, { byline: byline(name, '@aitws', reply) });
}
