/**
 * Limits of an AI step (issue #17 point 5): `max_tokens`, `latency_budget`, `cost_ceiling` on the
 * action, and the workspace's monthly budget a run is checked against before it starts.
 *
 * Every violation is an AitwsError with retryable false and the numbers in its message: retrying
 * the same call cannot make it cheaper, but the user can raise a limit or top the budget up and
 * /retry. Error codes: LIMIT for the action's own limits, BUDGET_EXHAUSTED for the workspace's
 * (the code the provider already uses for "no money left", so renderers treat them alike).
 */
import { parseDuration } from '../../document/duration.js';
import { AitwsError } from '../../errors.js';
import { formatUsd } from './pricing.js';

export interface AiLimits {
  readonly maxTokens?: number;
  readonly latencyBudgetMs?: number;
  /** USD. */
  readonly costCeiling?: number;
}

/** The fields as written in the action's `with` (TOML integers may arrive as bigint). */
export interface RawLimits {
  readonly max_tokens?: unknown;
  readonly latency_budget?: unknown;
  readonly cost_ceiling?: unknown;
}

export interface LimitProblem {
  readonly field: 'max_tokens' | 'latency_budget' | 'cost_ceiling';
  readonly message: string;
}

export type LimitsCheck =
  | { readonly ok: true; readonly limits: AiLimits }
  | { readonly ok: false; readonly problems: readonly LimitProblem[] };

export interface LimitOptions {
  /** The most `max_tokens` may be (the executor's cap); absent: no cap. */
  readonly maxTokensCap?: number;
}

/** `"$0.50"`, `"0.5"`, `"0.50 USD"`: what people write for money in TOML. */
const MONEY = /^\$?\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:usd)?$/i;

export function checkLimits(raw: RawLimits, options: LimitOptions = {}): LimitsCheck {
  const problems: LimitProblem[] = [];
  const maxTokens = readMaxTokens(raw.max_tokens, options.maxTokensCap, problems);
  const latencyBudgetMs = readLatency(raw.latency_budget, problems);
  const costCeiling = readCeiling(raw.cost_ceiling, problems);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    limits: {
      ...(maxTokens === undefined ? {} : { maxTokens }),
      ...(latencyBudgetMs === undefined ? {} : { latencyBudgetMs }),
      ...(costCeiling === undefined ? {} : { costCeiling }),
    },
  };
}

function readMaxTokens(value: unknown, cap: number | undefined, into: LimitProblem[]): number | undefined {
  if (value === undefined) return undefined;
  const count = typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
    into.push({ field: 'max_tokens', message: 'max_tokens must be a whole number of at least 1.' });
    return undefined;
  }
  if (cap !== undefined && count > cap) {
    into.push({ field: 'max_tokens', message: `max_tokens is ${count}; the most allowed is ${cap}.` });
    return undefined;
  }
  return count;
}

function readLatency(value: unknown, into: LimitProblem[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    into.push({ field: 'latency_budget', message: 'latency_budget must be a duration such as "30s".' });
    return undefined;
  }
  try {
    const ms = parseDuration(value);
    if (ms > 0) return ms;
    into.push({ field: 'latency_budget', message: 'latency_budget must be longer than zero.' });
  } catch (error) {
    into.push({ field: 'latency_budget', message: `latency_budget: ${messageOf(error)}` });
  }
  return undefined;
}

function readCeiling(value: unknown, into: LimitProblem[]): number | undefined {
  if (value === undefined) return undefined;
  const amount =
    typeof value === 'number'
      ? value
      : typeof value === 'bigint'
        ? Number(value)
        : typeof value === 'string'
          ? Number(MONEY.exec(value.trim())?.[1] ?? Number.NaN)
          : Number.NaN;
  if (Number.isFinite(amount) && amount > 0) return amount;
  into.push({
    field: 'cost_ceiling',
    message: 'cost_ceiling must be an amount in USD above zero, e.g. 0.50.',
  });
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Throws (LIMIT) when a call's upper-bound cost is over the action's `cost_ceiling`. */
export function assertWithinCeiling(estimate: number, ceiling: number | undefined, action?: string): void {
  if (ceiling === undefined || estimate <= ceiling) return;
  const [cost, limit] = formatPair(estimate, ceiling);
  throw new AitwsError(
    'LIMIT',
    `${subject(action)} may cost up to ${cost}, over its cost_ceiling of ${limit}.`,
    {
      hint: 'Lower max_tokens, shorten the prompt, use a cheaper model, or raise cost_ceiling.',
      details: [`estimate: ${estimate}`, `cost_ceiling: ${ceiling}`],
    },
  );
}

/** Throws (LIMIT) when a call took longer than its `latency_budget`. */
export function assertWithinLatency(elapsedMs: number, budgetMs: number | undefined, action?: string): void {
  if (budgetMs === undefined || elapsedMs <= budgetMs) return;
  throw new AitwsError(
    'LIMIT',
    `${subject(action)} took ${seconds(elapsedMs)}, over its latency_budget of ${seconds(budgetMs)}.`,
    {
      hint: 'Lower max_tokens, use a faster model, or raise latency_budget.',
      details: [`elapsed_ms: ${elapsedMs}`, `latency_budget_ms: ${budgetMs}`],
    },
  );
}

/**
 * Throws (BUDGET_EXHAUSTED) when the run's upper-bound cost is more than the workspace has left,
 * before anything is dispatched.
 */
export function assertRunAffordable(estimatedCost: number, remaining: number): void {
  if (estimatedCost <= remaining) return;
  const [cost, left] = formatPair(estimatedCost, Math.max(0, remaining));
  throw new AitwsError(
    'BUDGET_EXHAUSTED',
    `This run may cost up to ${cost}; the workspace has ${left} left this month.`,
    {
      hint: 'Ask an admin to raise the workspace budget, or lower max_tokens or the number of AI steps.',
      details: [`estimate: ${estimatedCost}`, `remaining: ${remaining}`],
    },
  );
}

/** Two amounts with enough decimals that they do not print alike. */
function formatPair(first: number, second: number): [string, string] {
  for (const decimals of [2, 4, 6]) {
    const pair: [string, string] = [formatUsd(first, decimals), formatUsd(second, decimals)];
    if (pair[0] !== pair[1]) return decimals === 2 ? [formatUsd(first), formatUsd(second)] : pair;
  }
  return [formatUsd(first, 6), formatUsd(second, 6)];
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
}

function subject(action: string | undefined): string {
  return action === undefined ? 'This AI step' : `Action ${action}`;
}

/** The workspace's spending for the current period (a month); Redis implements it in production. */
export interface WorkspaceBudget {
  /** USD left this period; never below 0. */
  remaining(workspace: string): Promise<number>;
  /** Records spending; the same idempotency key charged twice counts once (a retried journal write). */
  charge(workspace: string, amount: number, idempotencyKey: string): Promise<void>;
}

/** For tests and the embedded runtime: spending lives as long as the process. */
export class MemoryWorkspaceBudget implements WorkspaceBudget {
  private readonly spent = new Map<string, number>();
  private readonly charged = new Map<string, Set<string>>();

  /** `limit`: USD per workspace per period, the same for all or looked up per workspace. */
  constructor(private readonly limit: number | ((workspace: string) => number)) {}

  async remaining(workspace: string): Promise<number> {
    return Math.max(0, this.limitOf(workspace) - (this.spent.get(workspace) ?? 0));
  }

  async charge(workspace: string, amount: number, idempotencyKey: string): Promise<void> {
    if (!Number.isFinite(amount) || amount < 0)
      throw new AitwsError('VALIDATION', `A charge must be an amount of at least 0, not ${amount}.`);
    const keys = this.charged.get(workspace) ?? new Set<string>();
    if (keys.has(idempotencyKey)) return;
    keys.add(idempotencyKey);
    this.charged.set(workspace, keys);
    this.spent.set(workspace, (this.spent.get(workspace) ?? 0) + amount);
  }

  private limitOf(workspace: string): number {
    return typeof this.limit === 'number' ? this.limit : this.limit(workspace);
  }
}
