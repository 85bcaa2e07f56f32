/**
 * Comparing a replayed run's snapshot with the original's, in the schema's match vocabulary
 * (aiwg's matching strategies: exact, semantic, structural).
 *
 * Identical output hashes are `exact_match` in every mode. Otherwise:
 * - exact: `no_match`.
 * - semantic: `semantic_match` when the outputs' text similarity reaches the threshold. The
 *   similarity is token-set Jaccard (|A ∩ B| / |A ∪ B| over lower-cased letter/digit runs): plain,
 *   deterministic and offline. It is NOT an embedding similarity, so paraphrases with different
 *   words score low; word order and repetitions are ignored.
 * - structural: `partial_match` when both outputs have the same JSON shape (same keys, same value
 *   types) but different values; the schema has no structural status, and "some outputs differ"
 *   is what a same-shape, different-values result is.
 */
import { AitwsError } from '../../errors.js';
import type { ExecutionSnapshot, JsonValue, MatchStatus } from './snapshot.js';

export type ReplayMode = 'exact' | 'semantic' | 'structural';

export const DEFAULT_SIMILARITY_THRESHOLD = 0.95;

export function compareReplay(
  original: ExecutionSnapshot,
  replayed: ExecutionSnapshot,
  mode: ReplayMode,
  threshold = DEFAULT_SIMILARITY_THRESHOLD,
): MatchStatus {
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new AitwsError('VALIDATION', 'A replay similarity threshold must be a number from 0 to 1.');
  }
  if (original.outputs.response_hash === replayed.outputs.response_hash) return 'exact_match';
  if (mode === 'exact') return 'no_match';
  const before = decodeResponse(original);
  const after = decodeResponse(replayed);
  // With hashes only there is nothing to compare beyond the hash.
  if (before === undefined || after === undefined) return 'no_match';
  if (mode === 'semantic') {
    return textSimilarity(asText(before), asText(after)) >= threshold ? 'semantic_match' : 'no_match';
  }
  return jsonShape(asStructure(before)) === jsonShape(asStructure(after)) ? 'partial_match' : 'no_match';
}

/** The original snapshot with one more replay recorded. */
export function recordReplay(
  snapshot: ExecutionSnapshot,
  status: MatchStatus,
  at: Date = new Date(),
): ExecutionSnapshot {
  return {
    ...snapshot,
    replay_status: {
      replayed: true,
      replay_count: snapshot.replay_status.replay_count + 1,
      last_replay: at.toISOString(),
      match_status: status,
    },
  };
}

/** Token-set Jaccard similarity in [0, 1]; two texts without tokens are identical (1). */
export function textSimilarity(a: string, b: string): number {
  const left = tokens(a);
  const right = tokens(b);
  if (left.size === 0 && right.size === 0) return 1;
  let shared = 0;
  for (const token of left) if (right.has(token)) shared += 1;
  return shared / (left.size + right.size - shared);
}

function tokens(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

/**
 * A signature of a value's shape: object keys (sorted) with their shapes, and for arrays the set
 * of distinct element shapes, so lists of different lengths with like items match.
 */
export function jsonShape(value: JsonValue): string {
  if (value === null) return 'null';
  if (isJsonArray(value)) return `[${[...new Set(value.map(jsonShape))].sort().join('|')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${jsonShape(value[key] ?? null)}`).join(',')}}`;
  }
  return typeof value;
}

function isJsonArray(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value);
}

function decodeResponse(snapshot: ExecutionSnapshot): JsonValue | undefined {
  const text = snapshot.outputs.response;
  return text === undefined ? undefined : parseJson(text);
}

function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

function asText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A model often answers JSON inside a text output; compare that JSON's shape, not "string". */
function asStructure(value: JsonValue): JsonValue {
  if (typeof value !== 'string') return value;
  const parsed = parseJson(value.trim());
  return parsed !== null && typeof parsed === 'object' ? parsed : value;
}
