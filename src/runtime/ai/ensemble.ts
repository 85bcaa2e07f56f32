/**
 * Ensembles (issue #17 point 11): `ensemble = { members = 3, models = [...], vote = "majority" |
 * "field:NAME" }` asks several members the same question and decides between their answers.
 *
 * Orchestration is deterministic: member i (from 0) uses models[i mod models.length], in declared
 * order, and, when the step is seeded, seed base + i. Members may run concurrently, but records are
 * kept by member index, never by completion order, so the decision depends only on the answers.
 *
 * The vote:
 *   majority: answers are grouped by their canonical JSON (RFC 8785, so key order and spacing do
 *     not split a group); the largest group wins (a plurality: `majority` in the decision says
 *     whether it is also more than half of the members that answered);
 *   field:NAME: answers are grouped by the value at NAME (a dotted path into a JSON object answer);
 *     members whose answer has no such field abstain. The winning member's whole answer is the output.
 * Ties go to the group whose earliest member has the lowest index, so the same answers always give
 * the same decision. A member that failed is recorded with its error and does not vote.
 */
import { z } from 'zod';
import { AitwsError } from '../../errors.js';
import { canonicalJson } from './canonical.js';

export const ENSEMBLE_LIMITS = Object.freeze({ maxMembers: 9, defaultMembers: 3 });

const VOTE = /^(majority|field:[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)$/;

export const ensembleSchema = z.strictObject({
  members: z
    .union([z.number(), z.bigint().transform(Number)])
    .pipe(z.number().int('members must be a whole number').min(1).max(ENSEMBLE_LIMITS.maxMembers))
    .default(ENSEMBLE_LIMITS.defaultMembers),
  models: z.array(z.string().trim().min(1, 'a model id cannot be empty')).min(1, 'name at least one model'),
  vote: z.string().trim().regex(VOTE, 'vote must be "majority" or "field:NAME"').default('majority'),
});

export type EnsembleSpec = z.output<typeof ensembleSchema>;

export type VoteRule =
  | { readonly kind: 'majority' }
  | { readonly kind: 'field'; readonly path: readonly string[] };

export function parseVote(vote: string): VoteRule {
  if (!VOTE.test(vote))
    throw new AitwsError('VALIDATION', `vote "${vote}" is not a vote.`, {
      hint: 'Use "majority" or "field:NAME" (NAME may be a dotted path).',
    });
  return vote === 'majority' ? { kind: 'majority' } : { kind: 'field', path: vote.slice(6).split('.') };
}

export interface EnsembleMember {
  readonly index: number;
  readonly model: string;
  readonly seed?: number;
}

/** Members in index order, models round-robin, seeds base + index when `baseSeed` is given. */
export function planEnsemble(
  spec: Pick<EnsembleSpec, 'members' | 'models'>,
  baseSeed?: number,
): EnsembleMember[] {
  if (spec.models.length === 0) throw new AitwsError('VALIDATION', 'An ensemble needs at least one model.');
  return Array.from({ length: spec.members }, (_, index) => ({
    index,
    model: spec.models[index % spec.models.length] as string,
    ...(baseSeed === undefined ? {} : { seed: baseSeed + index }),
  }));
}

export type MemberRecord = EnsembleMember &
  ({ readonly ok: true; readonly output: unknown } | { readonly ok: false; readonly error: string });

export interface VoteGroup {
  /** Canonical JSON of what the group agreed on (the answer, or the field's value). */
  readonly key: string;
  /** Member indexes, ascending. */
  readonly members: readonly number[];
}

export interface EnsembleDecision {
  readonly vote: string;
  /** The winning answer: for a field vote, the whole answer of the group's earliest member. */
  readonly output: unknown;
  /** The member whose answer is the output. */
  readonly member: number;
  readonly key: string;
  /** Largest first; ties by earliest member. */
  readonly groups: readonly VoteGroup[];
  /** Members that answered and voted. */
  readonly voters: number;
  /** The winning group holds more than half of the voters. */
  readonly majority: boolean;
  /** Another group was as large as the winner; it won by the lower member index. */
  readonly tie: boolean;
}

/** The decision over recorded members; throws when no member could vote. */
export function decide(records: readonly MemberRecord[], vote: string): EnsembleDecision {
  const rule = parseVote(vote);
  const sorted = [...records].sort((a, b) => a.index - b.index);
  const byKey = new Map<string, number[]>();
  for (const record of sorted) {
    if (!record.ok) continue;
    const key = ballot(record.output, rule);
    if (key === undefined) continue;
    byKey.set(key, [...(byKey.get(key) ?? []), record.index]);
  }
  const groups = [...byKey].map(([key, members]) => ({ key, members }));
  groups.sort((a, b) => b.members.length - a.members.length || first(a) - first(b));
  const [winner, runnerUp] = groups;
  if (winner === undefined) throw noVotes(sorted, rule);
  const voters = groups.reduce((total, group) => total + group.members.length, 0);
  const member = first(winner);
  const chosen = sorted.find((record) => record.index === member);
  return {
    vote,
    output: chosen?.ok === true ? chosen.output : undefined,
    member,
    key: winner.key,
    groups,
    voters,
    majority: winner.members.length * 2 > voters,
    tie: runnerUp !== undefined && runnerUp.members.length === winner.members.length,
  };
}

function first(group: VoteGroup): number {
  return group.members[0] ?? Number.MAX_SAFE_INTEGER;
}

/**
 * Canonical JSON of what the member votes for, or undefined when it abstains (no such field, or an
 * answer that is not plain JSON and so has no canonical form to compare).
 */
function ballot(output: unknown, rule: VoteRule): string | undefined {
  if (rule.kind === 'majority') return canonicalOrUndefined(output);
  let value: unknown = output;
  for (const name of rule.path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, name))
      return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value === undefined ? undefined : canonicalOrUndefined(value);
}

function canonicalOrUndefined(value: unknown): string | undefined {
  try {
    return canonicalJson(value);
  } catch {
    return undefined;
  }
}

function noVotes(records: readonly MemberRecord[], rule: VoteRule): AitwsError {
  const failed = records.filter((record) => !record.ok).length;
  const why =
    failed === records.length
      ? `all ${records.length} members failed`
      : `no member's answer has the field ${rule.kind === 'field' ? rule.path.join('.') : ''}`;
  return new AitwsError('ACTION_FAILED', `The ensemble could not decide: ${why}.`, {
    details: records.map((record) =>
      record.ok
        ? `member ${record.index} (${record.model}): answered`
        : `member ${record.index} (${record.model}): ${record.error}`,
    ),
  });
}

export interface EnsembleResult {
  readonly decision: EnsembleDecision;
  /** Every member, by index, failed ones included. */
  readonly members: readonly MemberRecord[];
}

/**
 * Runs every member (concurrently; `run` gives the member's parsed JSON answer or throws) and
 * decides. A member's error is recorded as its message; errors that must stop the whole step
 * (cancellation) are rethrown when `isFatal` says so.
 */
export async function runEnsemble(
  spec: EnsembleSpec,
  run: (member: EnsembleMember) => Promise<unknown>,
  options: { readonly baseSeed?: number; readonly isFatal?: (error: unknown) => boolean } = {},
): Promise<EnsembleResult> {
  const members = planEnsemble(spec, options.baseSeed);
  const settled = await Promise.allSettled(members.map((member) => run(member)));
  const records = members.map((member, index): MemberRecord => {
    const result = settled[index] as PromiseSettledResult<unknown>;
    if (result.status === 'fulfilled') return { ...member, ok: true, output: result.value };
    if (options.isFatal?.(result.reason) === true) throw result.reason;
    return {
      ...member,
      ok: false,
      error: result.reason instanceof Error ? result.reason.message : String(result.reason),
    };
  });
  return { decision: decide(records, spec.vote), members: records };
}
