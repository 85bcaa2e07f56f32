/**
 * `feedback = { examples = N }` (issue #17, point 15): the best-rated earlier outputs of an action,
 * as few-shot context blocks for its next runs.
 *
 * Ratings are counted per distinct output text (one output rated by three people, or the same
 * answer given in two runs, is one candidate): its net score is good ratings minus bad ones. Only
 * outputs with a net score above 0 are used, best first; equal scores go most recently rated
 * first, then by the text itself, so the same ratings always give the same blocks in the same
 * order (the request stays byte-identical, and cacheable, until someone rates again).
 */
import { AitwsError } from '../../errors.js';
import { ratingTime } from './feedback-store.js';
import { type ContextBlock, TRUNCATION_MARKER } from './prompt-plan.js';
import type { FeedbackEntry, FeedbackStore, WorkflowScope } from './stores.js';

/** An example longer than this is cut: a few-shot example shows the shape, not the whole answer. */
export const EXAMPLE_MAX_CHARS = 4000;
/** Ratings looked at, newest first: enough for any action's recent history, bounded for the hot path. */
export const RATINGS_CONSIDERED = 1000;
const MAX_EXAMPLES = 50;

interface Candidate {
  readonly output: string;
  score: number;
  /** The latest rating of this output, and the run and action it names (the provenance). */
  latest: FeedbackEntry;
}

export async function feedbackExamples(
  store: FeedbackStore,
  scope: WorkflowScope,
  action: string,
  count: number,
): Promise<ContextBlock[]> {
  if (!Number.isSafeInteger(count) || count < 0 || count > MAX_EXAMPLES)
    throw new AitwsError(
      'USAGE',
      `feedback.examples must be a whole number from 0 to ${MAX_EXAMPLES}, got ${count}.`,
    );
  if (count === 0) return [];
  const ratings = await store.list(scope, { action, limit: RATINGS_CONSIDERED });
  return bestOutputs(ratings, count).map((candidate, index) => ({
    id: `example-${index + 1}`,
    text: `Example of a good answer:\n${capped(candidate.output)}`,
    provenance: { kind: 'step', ref: `${candidate.latest.run}/${candidate.latest.action}` },
  }));
}

function bestOutputs(ratings: readonly FeedbackEntry[], count: number): Candidate[] {
  const byOutput = new Map<string, Candidate>();
  for (const rating of ratings) {
    if (rating.output.trim() === '') continue;
    const delta = rating.rating === 'good' ? 1 : -1;
    const known = byOutput.get(rating.output);
    if (known === undefined) {
      byOutput.set(rating.output, { output: rating.output, score: delta, latest: rating });
      continue;
    }
    known.score += delta;
    if (later(rating, known.latest)) known.latest = rating;
  }
  return [...byOutput.values()]
    .filter((candidate) => candidate.score > 0)
    .sort(
      (a, b) =>
        b.score - a.score ||
        ratingTime(b.latest) - ratingTime(a.latest) ||
        (a.output < b.output ? -1 : a.output > b.output ? 1 : 0),
    )
    .slice(0, count);
}

/** Whether `a` is the later rating; equal times fall back to the run id, so the choice is stable. */
function later(a: FeedbackEntry, b: FeedbackEntry): boolean {
  return ratingTime(a) > ratingTime(b) || (ratingTime(a) === ratingTime(b) && a.run > b.run);
}

/** At most EXAMPLE_MAX_CHARS, never splitting a surrogate pair, marked where cut. */
function capped(text: string): string {
  if (text.length <= EXAMPLE_MAX_CHARS) return text;
  let end = EXAMPLE_MAX_CHARS;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}\n${TRUNCATION_MARKER}`;
}
