/**
 * A click on one of our buttons. The button carries only its short id; the core decides the
 * stored action once, so a click after a restart works and a second click (or a second person's)
 * is told who already decided, with no second effect. When the core says how its answer shows
 * (Reply.clickEffect), that wins: in place of the clicked message, or to the clicker alone.
 */
import type { Reply } from '../../commands/reply.js';
import { channelKey, type HandlerDeps } from './context.js';
import { type Destination, deliver, postToResponseUrl } from './deliver.js';
import { escapeText } from './mrkdwn.js';
import { actorName, BlockActionPayload } from './payloads.js';

type ResponseUrlDestination = Extract<Destination, { kind: 'response_url' }>;

interface Click {
  readonly payload: BlockActionPayload;
  readonly label: string | undefined;
  readonly actor: { readonly id: string; readonly name: string };
  readonly destination: ResponseUrlDestination;
}

function alreadyDecided(reply: Reply): boolean {
  return typeof reply.data === 'object' && reply.data !== null && 'alreadyDecided' in reply.data;
}

function bylineOf(click: Click): string {
  return `${click.actor.name}: ${click.label ?? 'button'}`;
}

/** The clicked message, for answering clicks on it in order; undefined when Slack did not say. */
function messageKey(payload: BlockActionPayload): string | undefined {
  const ts = payload.container?.message_ts;
  return ts === undefined ? undefined : `${payload.team.id}:${payload.channel.id}:${ts}`;
}

/** The reply as the clicked message, buttons included: an empty list takes them away. */
async function replaceMessage(deps: HandlerDeps, click: Click, reply: Reply): Promise<void> {
  const destination = { ...click.destination, replaceOriginal: true };
  await deps.inOrder(messageKey(click.payload), () =>
    deliver(deps, destination, reply, { byline: bylineOf(click) }),
  );
}

/** A confirm/cancel choice: the question loses its buttons, and the reply follows. */
async function answerChoice(deps: HandlerDeps, click: Click, reply: Reply): Promise<void> {
  if (reply.ok && !alreadyDecided(reply)) {
    // The question is answered: its buttons go, so nobody clicks a decided one by mistake.
    const choice = click.label === undefined ? 'Decided' : escapeText(click.label);
    const text = `${choice} · by ${escapeText(click.actor.name)}`;
    await postToResponseUrl(click.payload.response_url, {
      replace_original: true,
      text,
      blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text, verbatim: true }] }],
    }).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not update the decided message'));
  }
  await deliver(deps, click.destination, reply, { byline: bylineOf(click) });
}

export async function handleButton(deps: HandlerDeps, body: unknown): Promise<void> {
  const parsed = BlockActionPayload.safeParse(body);
  if (!parsed.success) {
    deps.logger.warn({ issues: parsed.error.issues }, 'ignored a button payload of unexpected shape');
    return;
  }
  const payload = parsed.data;
  const [action] = payload.actions;
  if (action === undefined) return;
  const actor = { id: payload.user.id, name: actorName(payload.user) };
  const reply = await deps.dispatcher.handleButton({
    buttonId: action.action_id,
    actor,
    channel: channelKey(payload.team.id, payload.channel.id),
  });
  const destination = {
    kind: 'response_url' as const,
    url: payload.response_url,
    channel: payload.channel.id,
    user: actor.id,
  };
  const click: Click = { payload, label: action.text?.text, actor, destination };
  switch (reply.clickEffect) {
    case 'replace':
      return replaceMessage(deps, click, reply);
    case 'private':
      // Ephemeral through response_url: the clicked message stays as it is.
      return deliver(deps, destination, { ...reply, visibility: 'ephemeral' });
    case undefined:
      return answerChoice(deps, click, reply);
  }
}
