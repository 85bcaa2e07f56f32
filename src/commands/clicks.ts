/**
 * Clicks on our buttons. A confirm/cancel pair decides a stored action once (a second click is told
 * who decided), after checking that the clicker may run what it does; a review's Approve/Reject is
 * the typed vote bound to that review.
 */

import type { Caller } from '../access/service.js';
import { maskSecrets } from '../document/redact.js';
import { AitwsError } from '../errors.js';
import { parseRunVoteButton, type RunVoteButton } from '../runtime/executors/human-approval.js';
import { parseOpenButton, parseResultsButton } from '../runtime/progress.js';
import type { Decision, PendingAction } from '../session/interaction-port.js';
import { demandLines } from './authorize.js';
import { applyBatch } from './batch.js';
import { parseButtonId, parseVoteButton } from './buttons.js';
import { maskReply } from './mask-reply.js';
import { renderError } from './render-error.js';
import type { Reply } from './reply.js';
import { privateAnswer, success } from './reply.js';
import { type Core, contextFor, resolve, run, withNotices } from './run.js';
import type { ButtonClick } from './types.js';

/**
 * The clicker, refused before the click counts unless they hold what the action runs needs: a
 * refused click leaves the button for someone who may. A proposal (batch) needs /apply's privilege
 * and each of its commands'; a sequence, each command's.
 */
async function clickCaller(
  core: Core,
  click: ButtonClick,
  action: PendingAction,
  choice: 'confirm' | 'cancel',
): Promise<Caller> {
  const invocation = { text: action.summary, actor: click.actor, channel: click.channel };
  // A proposal's buttons are /apply and /discard; other buttons only need what their commands do.
  const gate =
    action.kind === 'batch' ? resolve(core.commands, choice === 'confirm' ? 'apply' : 'discard') : undefined;
  const caller = await core.access.authorize(
    {
      channel: click.channel,
      person: click.actor,
      command: gate === undefined ? maskSecrets(action.summary) : `/${gate.name}`,
    },
    () => gate?.privilege ?? 'read',
    async () => (await core.drafts.read(click.channel)).document,
  );
  if (choice === 'confirm') await demandLines(core, invocation, caller, action.commands, core.commands);
  return caller;
}

/** Runs what a confirmed button offered, as the person who clicked. */
async function runAction(
  core: Core,
  click: ButtonClick,
  action: PendingAction,
  caller: Caller,
): Promise<Reply> {
  if (action.kind === 'batch') {
    const invocation = { text: action.summary, actor: click.actor, channel: click.channel };
    const command = { name: 'apply', positionals: [], params: [] };
    const notices: string[] = [];
    const reply = await applyBatch(
      contextFor(core, invocation, command, caller, notices),
      action,
      core.commands,
    );
    return withNotices(reply, notices);
  }
  let last: Reply = success(action.summary);
  for (const text of action.commands) {
    last = await run(core, { text, actor: click.actor, channel: click.channel });
    if (!last.ok) break;
  }
  return last;
}

function alreadyDecided(decision: Decision): Reply {
  const verb = decision.choice === 'confirm' ? 'done' : 'cancelled';
  return privateAnswer(`Already ${verb} by ${decision.by}.`, { data: { alreadyDecided: decision } });
}

const expired = (): AitwsError =>
  new AitwsError('NOT_AVAILABLE', 'This button has expired.', { hint: 'Run the command again.' });

/** Records the click's decision once; a second click (or a retried event) is told who decided. */
async function decide(core: Core, click: ButtonClick): Promise<Reply> {
  const { actionId, choice } = parseButtonId(click.buttonId);
  const { interactions } = core.deps;
  const peeked = await interactions.peekAction(actionId, click.channel);
  if (peeked.status === 'unknown') throw expired();
  if (peeked.status === 'already') return alreadyDecided(peeked.decision);
  const caller = await clickCaller(core, click, peeked.action, choice);
  const decided = await interactions.decideAction(actionId, click.channel, {
    choice,
    byId: click.actor.id,
    by: click.actor.name,
    at: core.now().toISOString(),
  });
  if (decided.status === 'unknown') throw expired();
  if (decided.status === 'already') return alreadyDecided(decided.decision);
  if (choice === 'cancel') return success(`Cancelled by ${click.actor.name}: ${decided.action.summary}`);
  return runAction(core, click, decided.action, caller);
}

/**
 * A review's Approve/Reject button is the typed /approve or /reject bound to that review, run as the
 * person who clicked (privileges checked now, not when the button was posted). A counted vote
 * replaces the message the button was on; a refusal goes to the clicker alone.
 */
async function vote(core: Core, click: ButtonClick, reviewId: string, choice: string): Promise<Reply> {
  const reply = await run(core, {
    text: `/${choice} review=${reviewId}`,
    actor: click.actor,
    channel: click.channel,
    supportsButtons: true,
  });
  return { ...reply, clickEffect: reply.ok && reply.visibility === 'channel' ? 'replace' : 'private' };
}

/**
 * A run approval's Approve/Reject button: the typed /approve RUN bound to the step it was posted for.
 * The step edits its own message (votes so far, then the decision), so the reply is the clicker's.
 */
async function voteOnRunStep(core: Core, click: ButtonClick, button: RunVoteButton): Promise<Reply> {
  const reply = await run(core, {
    text: `/${button.choice} run=${button.runId}:${button.token}`,
    actor: click.actor,
    channel: click.channel,
    supportsButtons: true,
  });
  return { ...reply, clickEffect: 'private' };
}

/** A finished run's Results button: /results RUN for the person who clicked, the message stays. */
async function showResults(core: Core, click: ButtonClick, runId: string): Promise<Reply> {
  const reply = await run(core, { text: `/results ${runId}`, actor: click.actor, channel: click.channel });
  return { ...reply, clickEffect: 'private' };
}

/** A run's Open button: /status RUN for the person who clicked, with their own page link. */
async function openRun(core: Core, click: ButtonClick, runId: string): Promise<Reply> {
  const reply = await run(core, { text: `/status ${runId}`, actor: click.actor, channel: click.channel });
  return { ...reply, clickEffect: 'private' };
}

export async function handleButton(core: Core, click: ButtonClick): Promise<Reply> {
  const voteButton = parseVoteButton(click.buttonId);
  const runVoteButton = parseRunVoteButton(click.buttonId);
  const resultsRun = parseResultsButton(click.buttonId);
  const openedRun = parseOpenButton(click.buttonId);
  try {
    if (resultsRun !== undefined) return maskReply(await showResults(core, click, resultsRun));
    if (openedRun !== undefined) return maskReply(await openRun(core, click, openedRun));
    if (runVoteButton !== undefined) return maskReply(await voteOnRunStep(core, click, runVoteButton));
    if (voteButton !== undefined)
      return maskReply(await vote(core, click, voteButton.reviewId, voteButton.choice));
    return maskReply(await decide(core, click));
  } catch (error) {
    const reply = maskReply(
      renderError(error, core.deps.logger, { channel: click.channel, actor: click.actor.id }),
    );
    // A refused vote is the clicker's business; the review message stays as it is.
    return voteButton === undefined && runVoteButton === undefined
      ? reply
      : { ...reply, clickEffect: 'private' };
  }
}
