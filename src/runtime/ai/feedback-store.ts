/**
 * Ratings of AI outputs (issue #17, point 15): what the three FeedbackStore implementations share
 * (the stored shape, the "one rating per person, run and action" identity, the order) and the
 * memory one, for tests.
 *
 * Order, the same in every implementation so the contract suite can hold them to it: `list` is
 * newest first by `at`, ties broken by the rating's identity in descending byte order (what a
 * Redis sorted set does with equal scores); `all` is oldest first within each channel and
 * workflow, in that same order reversed.
 */
import { z } from 'zod';
import { AitwsError } from '../../errors.js';
import { parseStored } from '../../session/codec.js';
import type { ChannelKey } from '../../session/port.js';
import type { FeedbackEntry, FeedbackStore, WorkflowScope } from './stores.js';

export const feedbackEntrySchema = z.object({
  run: z.string(),
  action: z.string(),
  rating: z.enum(['good', 'bad']),
  note: z.string().optional(),
  output: z.string(),
  prompt: z.string(),
  by: z.object({ id: z.string(), name: z.string() }),
  at: z.string(),
});

/** One stored line or hash value: the entry with the scope it belongs to. */
export const scopedEntrySchema = feedbackEntrySchema.extend({ channel: z.string(), workflow: z.string() });
export type ScopedEntry = FeedbackEntry & WorkflowScope;

/** What makes two ratings the same rating: a second one with this identity replaces the first. */
export function ratingId(entry: Pick<FeedbackEntry, 'run' | 'action' | 'by'>): string {
  // JSON keeps the parts apart: an action named "a|b" cannot pass for another run's "b".
  return JSON.stringify([entry.run, entry.action, entry.by.id]);
}

/** The time a rating sorts by; one that does not parse sorts as the oldest. */
export function ratingTime(entry: Pick<FeedbackEntry, 'at'>): number {
  const ms = Date.parse(entry.at);
  return Number.isNaN(ms) ? 0 : ms;
}

export function newestFirst(a: FeedbackEntry, b: FeedbackEntry): number {
  return ratingTime(b) - ratingTime(a) || Buffer.compare(Buffer.from(ratingId(b)), Buffer.from(ratingId(a)));
}

export function oldestFirst(a: FeedbackEntry, b: FeedbackEntry): number {
  return newestFirst(b, a);
}

/** USAGE for what no store should keep: a rating without a run, action or rater, or a bad time. */
export function checkEntry(scope: WorkflowScope, entry: FeedbackEntry): void {
  const missing = (
    [
      ['channel', scope.channel],
      ['workflow', scope.workflow],
      ['run', entry.run],
      ['action', entry.action],
      ['by.id', entry.by.id],
    ] as const
  ).find(([, value]) => value === '');
  if (missing !== undefined)
    throw new AitwsError('USAGE', `A rating needs a ${missing[0]}; nothing was stored.`);
  if (Number.isNaN(Date.parse(entry.at)))
    throw new AitwsError(
      'USAGE',
      `A rating's time "${entry.at.slice(0, 40)}" is not a date; nothing was stored.`,
    );
}

/** Validates `limit` as every store's list() does. */
export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new AitwsError('USAGE', `A feedback listing's limit must be a whole number ≥ 0, got ${limit}.`);
}

/** The stored form: the entry's own fields only (no stray properties), with its scope. */
export function scopedEntry(scope: WorkflowScope, entry: FeedbackEntry): ScopedEntry {
  return {
    channel: scope.channel,
    workflow: scope.workflow,
    run: entry.run,
    action: entry.action,
    rating: entry.rating,
    ...(entry.note === undefined ? {} : { note: entry.note }),
    output: entry.output,
    prompt: entry.prompt,
    by: { id: entry.by.id, name: entry.by.name },
    at: entry.at,
  };
}

/** One stored rating (a file's line, a hash value), checked; unreadable data is refused. */
export function decodeStored(text: string, source: string): ScopedEntry {
  const { note, ...rest } = parseStored(scopedEntrySchema, text, source);
  return { ...rest, ...(note === undefined ? {} : { note }) };
}

/** The entry without its scope, as list() returns it. */
export function unscoped(stored: ScopedEntry): FeedbackEntry {
  const { channel: _channel, workflow: _workflow, ...entry } = stored;
  return entry;
}

/** Newest first, of `action` when given, at most `limit`. */
export function selectNewest(
  entries: Iterable<FeedbackEntry>,
  options: { readonly action?: string; readonly limit: number },
): FeedbackEntry[] {
  const matching = [...entries].filter(
    (entry) => options.action === undefined || entry.action === options.action,
  );
  return matching.sort(newestFirst).slice(0, options.limit);
}

/**
 * The scope ratings are kept under: the channel as `platform:workspace:channel` and the workflow's
 * name (not its version: ratings carry over to the workflow's next versions). /feedback stores
 * with it and an AI step asking for examples must look up with it.
 */
export function feedbackScope(channel: ChannelKey, workflow: string): WorkflowScope {
  return { channel: `${channel.platform}:${channel.workspace}:${channel.channel}`, workflow };
}

export function scopeId(scope: WorkflowScope): string {
  return JSON.stringify([scope.channel, scope.workflow]);
}

export class MemoryFeedbackStore implements FeedbackStore {
  readonly #scopes = new Map<string, Map<string, ScopedEntry>>();

  async add(scope: WorkflowScope, entry: FeedbackEntry): Promise<void> {
    checkEntry(scope, entry);
    const id = scopeId(scope);
    const ratings = this.#scopes.get(id) ?? new Map<string, ScopedEntry>();
    ratings.set(ratingId(entry), scopedEntry(scope, entry));
    this.#scopes.set(id, ratings);
  }

  async list(
    scope: WorkflowScope,
    options: { readonly action?: string; readonly limit: number },
  ): Promise<FeedbackEntry[]> {
    checkLimit(options.limit);
    const ratings = this.#scopes.get(scopeId(scope));
    return ratings === undefined ? [] : selectNewest([...ratings.values()].map(unscoped), options);
  }

  async *all(): AsyncIterable<ScopedEntry> {
    for (const id of [...this.#scopes.keys()].sort()) {
      const ratings = [...(this.#scopes.get(id)?.values() ?? [])];
      yield* ratings.sort(oldestFirst);
    }
  }
}
