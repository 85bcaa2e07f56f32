/**
 * In-process InteractionStore for the embedded console and tests. State lives as long as the
 * process: good enough where there is one process and no platform retries.
 */
import type {
  DecideResult,
  Decision,
  InteractionStore,
  PeekResult,
  PendingAction,
} from './interaction-port.js';
import { type ChannelKey, channelId } from './port.js';

interface Expiring<T> {
  readonly value: T;
  readonly expiresAt: number;
}

export class MemoryInteractionStore implements InteractionStore {
  private readonly actions = new Map<string, Expiring<{ action: PendingAction; decision?: Decision }>>();
  private readonly claims = new Map<string, number>();
  private readonly counters = new Map<string, Expiring<number>>();

  constructor(private readonly clock: () => number = Date.now) {}

  async putAction(action: PendingAction, ttlSeconds: number): Promise<void> {
    this.sweep();
    this.actions.set(action.id, { value: { action }, expiresAt: this.clock() + ttlSeconds * 1000 });
  }

  async peekAction(id: string, channel: ChannelKey): Promise<PeekResult> {
    this.sweep();
    const entry = this.actions.get(id);
    if (entry === undefined || channelId(entry.value.action.channel) !== channelId(channel))
      return { status: 'unknown' };
    const { action, decision } = entry.value;
    return decision === undefined ? { status: 'open', action } : { status: 'already', action, decision };
  }

  async decideAction(id: string, channel: ChannelKey, decision: Decision): Promise<DecideResult> {
    this.sweep();
    const entry = this.actions.get(id);
    if (entry === undefined || channelId(entry.value.action.channel) !== channelId(channel))
      return { status: 'unknown' };
    const { action, decision: earlier } = entry.value;
    if (earlier !== undefined) return { status: 'already', action, decision: earlier };
    this.actions.set(id, { ...entry, value: { action, decision } });
    return { status: 'decided', action };
  }

  async claimOnce(scope: string, id: string, ttlSeconds: number): Promise<boolean> {
    this.sweep();
    const key = JSON.stringify([scope, id]);
    if (this.claims.has(key)) return false;
    this.claims.set(key, this.clock() + ttlSeconds * 1000);
    return true;
  }

  async increment(scope: string, id: string, amount: number, ttlSeconds: number): Promise<number> {
    this.sweep();
    const key = JSON.stringify([scope, id]);
    const current = this.counters.get(key);
    const total = (current?.value ?? 0) + amount;
    this.counters.set(key, {
      value: total,
      expiresAt: current?.expiresAt ?? this.clock() + ttlSeconds * 1000,
    });
    return total;
  }

  async close(): Promise<void> {}

  private sweep(): void {
    const now = this.clock();
    for (const [id, entry] of this.actions) if (entry.expiresAt <= now) this.actions.delete(id);
    for (const [key, expiresAt] of this.claims) if (expiresAt <= now) this.claims.delete(key);
    for (const [key, entry] of this.counters) if (entry.expiresAt <= now) this.counters.delete(key);
  }
}
