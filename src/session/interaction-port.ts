/**
 * Chat interactions that outlive a process: buttons whose state is stored (not held in memory),
 * so they still work after a restart, and one-time claims that make a retried delivery apply once.
 */
import type { ChannelKey } from './port.js';

export type Choice = 'confirm' | 'cancel';

/** What a button pair offers: commands to run, as the person who confirms, in the channel. */
export interface PendingAction {
  /** Short opaque id carried by the buttons. */
  readonly id: string;
  readonly channel: ChannelKey;
  readonly commands: readonly string[];
  /** One line shown when the action is decided ("Replace the draft with …"). */
  readonly summary: string;
  readonly createdBy: string;
  readonly createdAt: string;
  /**
   * 'sequence' (the default) runs the commands one after another, each its own change; 'batch'
   * (assistant proposals) applies them all as one change that a single /undo reverts.
   */
  readonly kind?: 'sequence' | 'batch' | undefined;
}

export interface Decision {
  readonly choice: Choice;
  readonly byId: string;
  readonly by: string;
  readonly at: string;
}

export type DecideResult =
  | { readonly status: 'decided'; readonly action: PendingAction }
  | { readonly status: 'already'; readonly action: PendingAction; readonly decision: Decision }
  | { readonly status: 'unknown' };

/** What a button would do, read without deciding: checked before the click counts. */
export type PeekResult =
  | { readonly status: 'open'; readonly action: PendingAction }
  | { readonly status: 'already'; readonly action: PendingAction; readonly decision: Decision }
  | { readonly status: 'unknown' };

export interface InteractionStore {
  putAction(action: PendingAction, ttlSeconds: number): Promise<void>;
  /** The action and whether it is decided yet; `unknown` for another channel's, as decideAction. */
  peekAction(id: string, channel: ChannelKey): Promise<PeekResult>;
  /**
   * Atomically records the first decision; every later one gets the first back. A click from
   * another channel than the action's is treated as unknown and decides nothing.
   */
  decideAction(id: string, channel: ChannelKey, decision: Decision): Promise<DecideResult>;
  /**
   * True exactly once per (scope, id) within the TTL, across every process sharing the store:
   * the first delivery of a retried event claims it, the rest are duplicates.
   */
  claimOnce(scope: string, id: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Adds `amount` to a counter shared by every process and returns the new total. The counter
   * starts at 0 and expires `ttlSeconds` after its first increment: a fixed window, for rate
   * limits and budgets.
   */
  increment(scope: string, id: string, amount: number, ttlSeconds: number): Promise<number>;
  close(): Promise<void>;
}
