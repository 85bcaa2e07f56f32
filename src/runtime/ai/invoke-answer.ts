/**
 * Getting an answer that keeps the output contract: one model with its repair loop, a fallback
 * chain of models (provider errors and exhausted repairs alike move on, each switch recorded), or
 * an ensemble whose members answer independently and vote. Every request made is accounted for
 * (tokens, cost, whether it was answered from the journal or cache).
 */
import type { ModelRequest } from '../../assistant/provider.js';
import { AitwsError } from '../../errors.js';
import { fingerprint } from './canonical.js';
import { withConfidenceCheck } from './confidence.js';
import { type EnsembleSpec, runEnsemble } from './ensemble.js';
import { type FallbackSwitch, isFallbackWorthyError, withFallback } from './fallback.js';
import { type CallResult, type CallSource, journaledCall } from './invoke-call.js';
import type { ContractResult, OutputContract } from './output-contract.js';
import { costOf, type PriceTable } from './pricing.js';
import { type RepairOutcome, runWithRepair } from './repair.js';

export interface AnswerSetup {
  readonly source: CallSource;
  /** The first request's fingerprint (the envelope's). */
  readonly fingerprint: string;
  readonly primary: string;
  readonly request: ModelRequest;
  readonly contract?: OutputContract;
  readonly confidenceField: string;
  readonly maxRepairs: number;
  readonly prices: PriceTable;
}

export interface AttemptEntry {
  readonly model: string;
  readonly iteration: number;
  readonly ok: boolean;
  readonly reasons: readonly string[];
  readonly cached: boolean;
}

/** Totals over every request, kept as they happen (ensemble members run at once). */
export class Accounting {
  readonly attempts: AttemptEntry[] = [];
  inputTokens = 0;
  outputTokens = 0;
  /** What the answers cost at list price, asked or replayed alike (so a replay's output matches). */
  cost = 0;
  /** What was spent now: requests actually sent (the workspace is charged this). */
  freshCost = 0;
  latency = 0;
  fresh = 0;
  freshInputTokens = 0;
  freshOutputTokens = 0;

  constructor(private readonly prices: PriceTable) {}

  add(result: CallResult): void {
    this.inputTokens += result.usage.input_tokens;
    this.outputTokens += result.usage.output_tokens;
    this.latency += result.latency_ms;
    const usage = {
      inputTokens: result.usage.input_tokens,
      outputTokens: result.usage.output_tokens,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
    };
    const cost = this.prices.find(result.model) === undefined ? 0 : costOf(result.model, usage, this.prices);
    this.cost += cost;
    if (result.cached) return;
    this.fresh += 1;
    this.freshCost += cost;
    this.freshInputTokens += result.usage.input_tokens;
    this.freshOutputTokens += result.usage.output_tokens;
  }
}

export interface Answer {
  readonly model: string;
  readonly text: string;
  readonly value: unknown;
  readonly stopReason: string;
  readonly repairs: number;
}

/** One model, repaired up to `maxRepairs` times; exhaustion is a result, provider errors throw. */
export async function answerWith(
  setup: AnswerSetup,
  accounting: Accounting,
  model: string,
  member?: { readonly index: number; readonly seed?: number },
): Promise<{ outcome: RepairOutcome; stopReason: string }> {
  const seed = member?.seed;
  const followUps: { assistant: string; user: string }[] = [];
  const cachedFlags: boolean[] = [];
  let stopReason = 'other';
  const outcome = await runWithRepair({
    maxIterations: setup.maxRepairs,
    ...(setup.contract === undefined ? {} : { instruction: setup.contract.instruction }),
    check: checkerOf(setup),
    attempt: async (prompt, iteration) => {
      if (prompt !== undefined) followUps.push({ assistant: prompt.previousText, user: prompt.message });
      const first = iteration === 0 && model === setup.primary && member === undefined;
      // Each ensemble member is its own request (even on one model without seeds), so a resumed
      // step reads back every member's own answer and the vote comes out the same.
      const requestFingerprint = first
        ? setup.fingerprint
        : fingerprint({
            of: setup.fingerprint,
            model,
            member: member?.index ?? null,
            seed: seed ?? null,
            followUps,
          });
      const request: ModelRequest = { ...setup.request, followUps: [...followUps] };
      const result = await journaledCall(setup.source, model, requestFingerprint, request);
      accounting.add(result);
      cachedFlags.push(result.cached);
      stopReason = result.stop_reason;
      return result.text;
    },
  });
  outcome.attempts.forEach((attempt, index) => {
    accounting.attempts.push({ ...attempt, model, cached: cachedFlags[index] ?? false });
  });
  return { outcome, stopReason };
}

function checkerOf(setup: AnswerSetup): (text: string) => ContractResult {
  const contract = setup.contract;
  if (contract === undefined) return (text) => ({ ok: true, value: text });
  return contract.kind === 'schema'
    ? withConfidenceCheck(contract.check, setup.confidenceField)
    : contract.check;
}

function answerOf(model: string, outcome: RepairOutcome & { ok: true }, stopReason: string): Answer {
  return {
    model,
    text: outcome.text,
    value: outcome.value,
    stopReason,
    repairs: outcome.attempts.length - 1,
  };
}

/** The chain in order until one model's answer keeps the contract. */
export async function answerWithFallback(
  setup: AnswerSetup,
  accounting: Accounting,
  chain: readonly string[],
): Promise<{ answer: Answer; switches: readonly FallbackSwitch[] }> {
  const outcome = await withFallback(chain, async (model) => {
    const { outcome: repaired, stopReason } = await answerWith(setup, accounting, model);
    if (repaired.ok) return { ok: true, value: answerOf(model, repaired, stopReason) };
    return { ok: false, reason: `output contract: ${repaired.lastErrors.join('; ')}` };
  });
  if (outcome.ok) return { answer: outcome.value, switches: outcome.switches };
  if (outcome.kind === 'provider_error') throw outcome.error;
  const tried = chain.length === 1 ? chain[0] : chain.join(', then ');
  throw new AitwsError(
    'AI_OUTPUT_INVALID',
    `${setup.source.context.action}: no answer kept the output contract after ${accounting.attempts.length} attempts (${tried}). Last: ${outcome.reason}`,
    {
      hint: 'Make the prompt say what the contract wants, raise repair.max_iterations, or add a fallback model.',
      details: accounting.attempts.map(
        (attempt) =>
          `${attempt.model} #${attempt.iteration}: ${attempt.ok ? 'ok' : attempt.reasons.join('; ')}`,
      ),
    },
  );
}

export interface EnsembleAnswer {
  readonly answer: Answer;
  readonly members: { model: string; text: string; ok: boolean }[];
  readonly winner: number;
  readonly reason: string;
}

/** Every member answers (its own repair loop, seeded base + index); the vote picks the answer. */
export async function answerByEnsemble(
  setup: AnswerSetup,
  accounting: Accounting,
  spec: EnsembleSpec,
  baseSeed: number | undefined,
): Promise<EnsembleAnswer> {
  const answers = new Map<number, Answer>();
  const result = await runEnsemble(
    spec,
    async (member) => {
      const { outcome, stopReason } = await answerWith(setup, accounting, member.model, {
        index: member.index,
        ...(member.seed === undefined ? {} : { seed: member.seed }),
      });
      if (!outcome.ok) throw new Error(`output contract: ${outcome.lastErrors.join('; ')}`);
      const answer = answerOf(member.model, outcome, stopReason);
      answers.set(member.index, answer);
      return setup.contract?.kind === 'schema' ? answer.value : answer.text;
    },
    {
      ...(baseSeed === undefined ? {} : { baseSeed }),
      isFatal: (error) => setup.source.signal.aborted || !isFallbackWorthyError(error),
    },
  );
  const winner = result.decision.member;
  const answer = answers.get(winner) as Answer;
  const { voters, majority, tie, groups } = result.decision;
  const size = groups[0]?.members.length ?? 0;
  return {
    answer,
    winner,
    reason: `${spec.vote}: ${size} of ${voters} agreed${majority ? ' (a majority)' : ''}${tie ? ', tie broken by the earliest member' : ''}`,
    members: result.members.map((member) => ({
      model: member.model,
      text: answers.get(member.index)?.text ?? (member.ok ? '' : member.error),
      ok: member.ok,
    })),
  };
}
