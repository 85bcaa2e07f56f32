/** Prometheus metrics (prom-client), one registry per process, built in the composition root. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface CommandMetrics {
  observeCommand(command: string, ok: boolean, seconds: number): void;
}

/** What the runtime reports (src/runtime/engine.ts and step-runner.ts call these). */
export interface RuntimeMetrics {
  /** A run reached a final state. */
  runSettled(state: string): void;
  /** One attempt of an action ended: `succeeded`, `failed` or `waiting`. */
  actionAttempt(type: string, outcome: string, seconds: number): void;
  /** A human.approval step was decided, this long after it asked. */
  approvalDecided(seconds: number): void;
}

/** One AI step's answer (src/runtime/ai/invoke-finish.ts). */
export interface AiStepFacts {
  readonly model: string;
  /** Requests sent to the model now (journal, cache and replay answers are not). */
  readonly requests: number;
  readonly answeredWithout: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** USD spent now. */
  readonly costUsd: number;
  readonly repairs: number;
  readonly escalated: boolean;
}

export interface AiMetrics {
  aiStep(facts: AiStepFacts): void;
}

export interface Metrics extends CommandMetrics, RuntimeMetrics, AiMetrics {
  readonly registry: Registry;
  /** Reports the run queue's depth on every scrape. */
  watchQueue(counts: () => Promise<{ waiting: number; delayed: number; active: number }>): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'aitws_' });
  const commands = new Counter({
    name: 'aitws_commands_total',
    help: 'Commands handled, by command name and outcome',
    labelNames: ['command', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'aitws_command_duration_seconds',
    help: 'Time to handle a command, from text to reply',
    labelNames: ['command'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const runtime = runtimeMetrics(registry);
  const ai = aiMetrics(registry);
  return {
    registry,
    ...ai,
    observeCommand(command, ok, seconds) {
      commands.inc({ command, outcome: ok ? 'ok' : 'error' });
      duration.observe({ command }, seconds);
    },
    ...runtime,
  };
}

function runtimeMetrics(registry: Registry): RuntimeMetrics & Pick<Metrics, 'watchQueue'> {
  const runs = new Counter({
    name: 'aitws_runs_total',
    help: 'Runs that reached a final state, by state',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const actions = new Histogram({
    name: 'aitws_action_duration_seconds',
    help: 'Time of one attempt of an action, by action type and outcome',
    labelNames: ['type', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  });
  const approvals = new Histogram({
    name: 'aitws_approval_wait_seconds',
    help: 'Time from an approval request to its decision',
    buckets: [1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
    registers: [registry],
  });
  let counts: (() => Promise<{ waiting: number; delayed: number; active: number }>) | undefined;
  new Gauge({
    name: 'aitws_run_queue_jobs',
    help: 'Run jobs in the queue, by state (waiting, delayed, active)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      if (counts === undefined) return;
      const now = await counts().catch(() => undefined);
      if (now === undefined) return;
      for (const [state, value] of Object.entries(now)) this.set({ state }, value);
    },
  });
  return {
    runSettled: (state) => runs.inc({ state }),
    actionAttempt: (type, outcome, seconds) => actions.observe({ type, outcome }, seconds),
    approvalDecided: (seconds) => approvals.observe(seconds),
    watchQueue: (source) => {
      counts = source;
    },
  };
}

/** Labelled by model only: per-workflow figures are drift telemetry's (the drift store). */
function aiMetrics(registry: Registry): AiMetrics {
  const counter = (name: string, help: string, labelNames: readonly string[]) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const requests = counter(
    'aitws_ai_requests_total',
    'Model requests by AI steps, by model and whether the model was asked (model) or the journal, cache or a replay answered (recorded)',
    ['model', 'source'],
  );
  const tokens = counter(
    'aitws_ai_tokens_total',
    'Tokens of model requests sent now, by model and direction (input, output)',
    ['model', 'direction'],
  );
  const cost = counter(
    'aitws_ai_cost_usd_total',
    'USD spent on model requests sent now, by model (price table)',
    ['model'],
  );
  const repairs = counter(
    'aitws_ai_repairs_total',
    'Repair re-prompts after an answer broke its output contract, by model',
    ['model'],
  );
  const escalations = counter(
    'aitws_ai_escalations_total',
    'AI answers sent to people for review, by model',
    ['model'],
  );
  return {
    aiStep(facts) {
      const { model } = facts;
      if (facts.requests > 0) requests.inc({ model, source: 'model' }, facts.requests);
      if (facts.answeredWithout > 0) requests.inc({ model, source: 'recorded' }, facts.answeredWithout);
      if (facts.inputTokens > 0) tokens.inc({ model, direction: 'input' }, facts.inputTokens);
      if (facts.outputTokens > 0) tokens.inc({ model, direction: 'output' }, facts.outputTokens);
      if (facts.costUsd > 0) cost.inc({ model }, facts.costUsd);
      if (facts.repairs > 0) repairs.inc({ model }, facts.repairs);
      if (facts.escalated) escalations.inc({ model });
    },
  };
}
