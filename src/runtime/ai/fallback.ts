/**
 * Fallback chains (issue #17 point 12): `fallback = ["model-b", "model-c"]` on an action names the
 * models tried, in order, when the primary fails, whether by a provider error or by an answer that
 * breaks the output contract (after its repairs). Models may also declare their own fallbacks in
 * configuration; those apply wherever the model is used, so a chain is expanded through them.
 *
 * The graph checked for cycles is the action's own chain (primary → first → second …) plus every
 * model-level declaration; two actions' chains never combine, since each applies only to its own
 * call. Validation happens before the run, so withFallback only ever walks an acyclic chain.
 */
import { AitwsError } from '../../errors.js';

export interface FallbackDeclaration {
  /** The action's model (its primary). */
  readonly primary: string;
  /** The action's `fallback`, in order. */
  readonly fallback: readonly string[];
}

/** Model id → the models it falls back to, from configuration. */
export type ModelFallbacks = Readonly<Record<string, readonly string[]>>;

export interface FallbackProblem {
  readonly kind: 'empty' | 'duplicate' | 'primary' | 'cycle';
  readonly message: string;
  /** For a cycle: the models in order, the first repeated at the end. */
  readonly path?: readonly string[];
}

/** Every reason the action's chain cannot be used; empty when it can. */
export function checkFallback(
  declaration: FallbackDeclaration,
  models: ModelFallbacks = {},
): FallbackProblem[] {
  const problems: FallbackProblem[] = [];
  const seen = new Set<string>();
  for (const model of declaration.fallback) {
    if (model.trim() === '') problems.push({ kind: 'empty', message: 'fallback lists an empty model id.' });
    else if (model === declaration.primary)
      problems.push({
        kind: 'primary',
        message: `fallback lists ${model}, the action's own model; a fallback must be another model.`,
      });
    else if (seen.has(model))
      problems.push({ kind: 'duplicate', message: `fallback lists ${model} more than once.` });
    seen.add(model);
  }
  if (problems.length > 0) return problems;
  const cycle = findCycle(declaration.primary, graphOf(declaration, models));
  if (cycle !== undefined)
    problems.push({
      kind: 'cycle',
      message: `fallback chain has a cycle: ${cycle.join(' → ')}. Remove one of these fallbacks.`,
      path: cycle,
    });
  return problems;
}

/** Cycles among the model-level declarations alone, each reported once (from its least model id). */
export function checkModelFallbacks(models: ModelFallbacks): FallbackProblem[] {
  const graph = new Map(Object.entries(models).map(([model, next]) => [model, [...next]]));
  const reported = new Set<string>();
  const problems: FallbackProblem[] = [];
  for (const start of [...graph.keys()].sort()) {
    const cycle = findCycle(start, graph);
    if (cycle === undefined) continue;
    const key = [...new Set(cycle)].sort().join('\u0000');
    if (reported.has(key)) continue;
    reported.add(key);
    problems.push({
      kind: 'cycle',
      message: `model fallbacks have a cycle: ${cycle.join(' → ')}. Remove one of these fallbacks.`,
      path: cycle,
    });
  }
  return problems;
}

function graphOf(declaration: FallbackDeclaration, models: ModelFallbacks): Map<string, string[]> {
  const graph = new Map(Object.entries(models).map(([model, next]) => [model, [...next]]));
  const chain = [declaration.primary, ...declaration.fallback];
  // The action's own edges come first so the reported path follows what the author wrote; its
  // chain replaces the primary's model-level fallbacks, as expandChain does.
  for (let index = 0; index + 1 < chain.length; index += 1) {
    const from = chain[index] as string;
    const others = index === 0 ? [] : (graph.get(from) ?? []);
    graph.set(from, [chain[index + 1] as string, ...others]);
  }
  return graph;
}

/** The first cycle reachable from `start` by depth-first search in edge order, as a closed path. */
function findCycle(start: string, graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const at = path.indexOf(node);
    if (at >= 0) return [...path.slice(at), node];
    if (done.has(node)) return undefined;
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    done.add(node);
    return undefined;
  };
  return visit(start);
}

/**
 * The models tried, in order: the primary, then each fallback followed (depth first) by its own
 * model-level fallbacks, each model once. An action's own `fallback` replaces the primary's
 * model-level fallbacks (the more specific declaration wins); without one, those apply.
 * Call it only on a chain checkFallback accepted.
 */
export function expandChain(declaration: FallbackDeclaration, models: ModelFallbacks = {}): string[] {
  const order: string[] = [];
  const add = (model: string, expand: boolean): void => {
    if (order.includes(model)) return;
    order.push(model);
    if (expand) for (const next of models[model] ?? []) add(next, true);
  };
  add(declaration.primary, declaration.fallback.length === 0);
  for (const model of declaration.fallback) add(model, true);
  return order;
}

/** What one model's attempt gave: a value, or an answer the caller judged a contract failure. */
export type AttemptResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

export interface FallbackSwitch {
  readonly from: string;
  readonly to: string;
  readonly kind: 'provider_error' | 'contract_failure';
  readonly reason: string;
}

export type FallbackOutcome<T> =
  | {
      readonly ok: true;
      readonly value: T;
      readonly model: string;
      readonly switches: readonly FallbackSwitch[];
    }
  | {
      readonly ok: false;
      /** The last model tried. */
      readonly model: string;
      readonly switches: readonly FallbackSwitch[];
      readonly kind: 'provider_error' | 'contract_failure';
      readonly reason: string;
      /** The last provider error, when that is how the chain ended. */
      readonly error?: unknown;
    };

/**
 * Provider errors worth trying another model for: the provider being down, overloaded or limiting
 * us, and failures that are not ours to classify. A cancelled or timed-out step, a refusal to send
 * the data (FORBIDDEN) or a limit of ours would fail the same on any model, so they end the chain.
 */
export function isFallbackWorthyError(error: unknown): boolean {
  if (!(error instanceof AitwsError)) return !(error instanceof Error && error.name === 'AbortError');
  return FALLBACK_CODES.has(error.code);
}

const FALLBACK_CODES: ReadonlySet<string> = new Set([
  'AI_UNAVAILABLE',
  'ASSISTANT_UNAVAILABLE',
  'ASSISTANT_BAD_ANSWER',
  'RATE_LIMITED',
  'ACTION_TIMEOUT',
]);

/**
 * Tries `models` in order until one gives a value. A provider error the predicate accepts, or a
 * contract failure, moves to the next model and is recorded as a switch; a provider error it does
 * not accept is rethrown at once. When the last model fails too, the outcome says how, with every
 * switch made, so the caller can journal the chain before it applies `on_error`.
 */
export async function withFallback<T>(
  models: readonly string[],
  call: (model: string, index: number) => Promise<AttemptResult<T>>,
  isFallbackWorthy: (error: unknown) => boolean = isFallbackWorthyError,
): Promise<FallbackOutcome<T>> {
  if (models.length === 0) throw new AitwsError('VALIDATION', 'A fallback chain needs at least one model.');
  const switches: FallbackSwitch[] = [];
  for (let index = 0; ; index += 1) {
    const model = models[index] as string;
    const failure = await attempt(model, index, call, isFallbackWorthy);
    if (failure.ok) return { ok: true, value: failure.value, model, switches };
    const next = models[index + 1];
    if (next === undefined) return { ok: false, model, switches, ...failure.why };
    switches.push({ from: model, to: next, kind: failure.why.kind, reason: failure.why.reason });
  }
}

type Failure = {
  readonly kind: 'provider_error' | 'contract_failure';
  readonly reason: string;
  readonly error?: unknown;
};

async function attempt<T>(
  model: string,
  index: number,
  call: (model: string, index: number) => Promise<AttemptResult<T>>,
  isFallbackWorthy: (error: unknown) => boolean,
): Promise<{ readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: Failure }> {
  let result: AttemptResult<T>;
  try {
    result = await call(model, index);
  } catch (error) {
    if (!isFallbackWorthy(error)) throw error;
    return { ok: false, why: { kind: 'provider_error', reason: reasonOf(error), error } };
  }
  if (result.ok) return result;
  return { ok: false, why: { kind: 'contract_failure', reason: result.reason } };
}

function reasonOf(error: unknown): string {
  if (error instanceof AitwsError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
