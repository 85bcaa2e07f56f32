/**
 * Buttons carry only a short id; what they do is a PendingAction in the interaction store, so a
 * click works after a restart and a double click (or a second person's) has no second effect.
 */
import { randomBytes } from 'node:crypto';
import { AitwsError } from '../errors.js';
import type { Choice, InteractionStore, PendingAction } from '../session/interaction-port.js';
import type { Reply } from './reply.js';
import { privateAnswer } from './reply.js';
import type { CommandContext, Invocation } from './types.js';

/** Long enough to decide, short enough that a stale button is not a lingering way in. */
export const ACTION_TTL_SECONDS = 24 * 3600;

const BUTTON_ID = /^aitws:([A-Za-z0-9_-]{8,32}):(confirm|cancel)$/;

export function buttonId(actionId: string, choice: Choice): string {
  return `aitws:${actionId}:${choice}`;
}

export function parseButtonId(id: string): { actionId: string; choice: Choice } {
  const match = BUTTON_ID.exec(id);
  const actionId = match?.[1];
  const choice = match?.[2];
  if (actionId === undefined || (choice !== 'confirm' && choice !== 'cancel')) {
    throw new AitwsError('USAGE', 'That button is not one of ours, or it is damaged.', {
      hint: 'Run the command again to get fresh buttons.',
    });
  }
  return { actionId, choice };
}

const VOTE_BUTTON_ID = /^aitws:vote:([A-Za-z0-9_-]{8,32}):(approve|reject)$/;

/** A review's Approve or Reject button: carries the review's id, so a stale button cannot vote on a newer review. */
export function voteButtonId(reviewId: string, choice: 'approve' | 'reject'): string {
  return `aitws:vote:${reviewId}:${choice}`;
}

export function parseVoteButton(id: string): { reviewId: string; choice: 'approve' | 'reject' } | undefined {
  const match = VOTE_BUTTON_ID.exec(id);
  const reviewId = match?.[1];
  const choice = match?.[2];
  if (reviewId === undefined || (choice !== 'approve' && choice !== 'reject')) return undefined;
  return { reviewId, choice };
}

export interface ChoiceOffer {
  /** The question shown above the buttons. */
  readonly question: string;
  /** One line recorded with the decision ("Replace the draft with …"). */
  readonly summary: string;
  readonly confirmLabel: string;
  readonly cancelLabel?: string;
  readonly danger?: boolean;
  /** Run as the person who confirms. */
  readonly commands: readonly string[];
}

export interface ActionToStore {
  readonly commands: readonly string[];
  readonly summary: string;
  readonly kind?: PendingAction['kind'];
  /** Set by callers that must find the action again without its button (the latest proposal). */
  readonly id?: string;
}

/** Stores what a button will do and returns the id its buttons carry. */
export async function storeAction(
  interactions: InteractionStore,
  origin: Pick<Invocation, 'channel' | 'actor'>,
  at: Date,
  action: ActionToStore,
): Promise<string> {
  const id = action.id ?? randomBytes(9).toString('base64url');
  await interactions.putAction(
    {
      id,
      channel: origin.channel,
      commands: action.commands,
      summary: action.summary,
      createdBy: origin.actor.name,
      createdAt: at.toISOString(),
      ...(action.kind === undefined ? {} : { kind: action.kind }),
    },
    ACTION_TTL_SECONDS,
  );
  return id;
}

export async function offerChoice(context: CommandContext, offer: ChoiceOffer): Promise<Reply> {
  const id = await storeAction(context.interactions, context.invocation, context.now(), offer);
  return privateAnswer(offer.question, {
    buttons: [
      {
        id: buttonId(id, 'confirm'),
        label: offer.confirmLabel,
        ...(offer.danger === true ? { style: 'danger' } : {}),
      },
      { id: buttonId(id, 'cancel'), label: offer.cancelLabel ?? 'Cancel' },
    ],
    data: { actionId: id },
  });
}
