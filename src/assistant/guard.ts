/**
 * What keeps the assistant cheap and fair: a question length limit, per-person and per-channel
 * rate limits, and a daily token budget per workspace. The counters live in the InteractionStore
 * (Redis in production), so every bot process sharing it enforces the same limits.
 */
import { AitwsError, LimitError } from '../errors.js';
import type { InteractionStore } from '../session/interaction-port.js';
import { type ChannelKey, channelId } from '../session/port.js';
import type { TokenUsage } from './provider.js';

export interface RateLimit {
  readonly max: number;
  readonly windowSeconds: number;
}

export interface AssistantLimits {
  readonly maxQuestionChars: number;
  readonly perUser: RateLimit;
  readonly perChannel: RateLimit;
  /** Tokens per workspace per UTC day (see billedTokens). */
  readonly dailyTokens: number;
}

export const DEFAULT_ASSISTANT_LIMITS = {
  maxQuestionChars: 4000,
  perUser: { max: 5, windowSeconds: 60 },
  perChannel: { max: 30, windowSeconds: 3600 },
  dailyTokens: 2_000_000,
} as const satisfies AssistantLimits;

const DAY_SECONDS = 24 * 3600;

function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}

function window(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? 'an hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? 'a minute' : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

export function checkQuestion(question: string, limits: AssistantLimits): void {
  if (question.trim() === '') {
    throw new AitwsError('USAGE', 'Ask a question after /ask.', {
      hint: 'Example: /ask how do I add a read-only auditor role?',
    });
  }
  if (question.length > limits.maxQuestionChars) {
    throw new LimitError(
      `Question too long: ${plural(question.length, 'character')} (the limit is ${limits.maxQuestionChars.toLocaleString('en-US')}).`,
      'Shorten it; the assistant already sees the draft, so there is no need to paste it.',
    );
  }
}

async function count(
  store: InteractionStore,
  scope: string,
  id: string,
  limit: RateLimit,
  who: string,
): Promise<void> {
  const total = await store.increment(scope, id, 1, limit.windowSeconds);
  if (total <= limit.max) return;
  throw new AitwsError(
    'RATE_LIMITED',
    `The assistant takes at most ${plural(limit.max, 'question')} ${who} in ${window(limit.windowSeconds)}.`,
    { retryable: true, hint: 'Try again a little later; /help works meanwhile.' },
  );
}

/** Counts this question against the asker's and the channel's limits, refusing it over either. */
export async function checkRates(
  store: InteractionStore,
  channel: ChannelKey,
  actorId: string,
  limits: AssistantLimits,
): Promise<void> {
  const user = JSON.stringify([channel.platform, channel.workspace, actorId]);
  await count(store, 'assistant:user', user, limits.perUser, 'per person');
  await count(store, 'assistant:channel', channelId(channel), limits.perChannel, 'per channel');
}

/** Cache reads count a tenth: that is what they cost, and what makes the cached reference cheap. */
export function billedTokens(usage: TokenUsage): number {
  return (
    usage.inputTokens + usage.cacheWriteTokens + Math.ceil(usage.cacheReadTokens / 10) + usage.outputTokens
  );
}

export interface Reservation {
  /** Replaces the reservation with what the call really used. */
  settle(usage: TokenUsage): Promise<void>;
  release(): Promise<void>;
}

/**
 * Reserves `estimate` tokens of today's budget before a call. A call is refused once the day's
 * total (spent plus reserved by calls in flight, in any process) has reached the budget, so the
 * budget is overshot by at most the calls already under way when it was reached.
 */
export async function reserveBudget(
  store: InteractionStore,
  channel: ChannelKey,
  estimate: number,
  limits: AssistantLimits,
  now: Date,
): Promise<Reservation> {
  const id = JSON.stringify([channel.platform, channel.workspace, now.toISOString().slice(0, 10)]);
  const scope = 'assistant:tokens';
  const total = await store.increment(scope, id, estimate, 2 * DAY_SECONDS);
  if (total - estimate >= limits.dailyTokens) {
    await store.increment(scope, id, -estimate, 2 * DAY_SECONDS);
    throw new AitwsError(
      'BUDGET_EXHAUSTED',
      `The assistant has used today's budget for this workspace (${plural(limits.dailyTokens, 'token')}).`,
      { hint: 'It resets at 00:00 UTC. /help and /help SECTION work meanwhile.' },
    );
  }
  let open = true;
  const adjust = async (amount: number): Promise<void> => {
    if (!open) return;
    open = false;
    if (amount !== 0) await store.increment(scope, id, amount, 2 * DAY_SECONDS);
  };
  return {
    settle: (usage) => adjust(billedTokens(usage) - estimate),
    release: () => adjust(-estimate),
  };
}
