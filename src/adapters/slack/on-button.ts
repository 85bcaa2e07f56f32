/**
 * A click on one of our buttons. The button carries only its short id; the core decides the
 * stored action once, so a click after a restart works and a second click (or a second person's)
 * is told who already decided, with no second effect.
 */
import type { Reply } from '../../commands/reply.js';
import { channelKey, type HandlerDeps } from './context.js';
import { deliver, postToResponseUrl } from './deliver.js';
import { escapeText } from './mrkdwn.js';
import { actorName, BlockActionPayload } from './payloads.js';

function alreadyDecided(reply: Reply): boolean {
  return typeof reply.data === 'object' && reply.data !== null && 'alreadyDecided' in reply.data;
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
  const label = action.text?.text;
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
  if (reply.ok && !alreadyDecided(reply)) {
    // The question is answered: its buttons go, so nobody clicks a decided one by mistake.
    const choice = label === undefined ? 'Decided' : escapeText(label);
    const text = `${choice} · by ${escapeText(actor.name)}`;
    await postToResponseUrl(payload.response_url, {
      replace_original: true,
      text,
      blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text, verbatim: true }] }],
    }).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not update the decided message'));
  }
  await deliver(deps, destination, reply, { byline: `${actor.name}: ${label ?? 'button'}` });
}
