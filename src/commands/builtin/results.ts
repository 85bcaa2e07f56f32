import type { RunRecord, StepRecord } from '../../runtime/run-store.js';
import type { Runtime } from '../../runtime/runtime.js';
import { buttonId, storeAction } from '../buttons.js';
import { privateAnswer, type ReplyBlock, type ReplyButton } from '../reply.js';
import { actionCount, outputText, stateWord, stepName } from '../runs/run-text.js';
import { runtimeOf } from '../runs/runnable.js';
import type { CommandContext, CommandDefinition } from '../types.js';
import { type AiStep, actionArgument, aiStepOf } from './feedback.js';

/** Longer than this, the outputs go in a file rather than the message. */
const INLINE_CHARS = 2500;
/** Slack and Discord show 25 buttons at most; two per AI output. */
const MAX_RATED_OUTPUTS = 12;
const MAX_LABEL_ACTION = 40;

/** `confidence 0.82 · 2 attempts (1 repair) · $0.0031`: how the AI step got its answer. */
export function aiFacts(ai: AiStep): string {
  const { record } = ai;
  const attempts = record.attempts.length;
  const repairs = record.repairs === 0 ? '' : ` (${record.repairs} repair${record.repairs === 1 ? '' : 's'})`;
  return [
    ...(record.confidence === undefined ? [] : [`confidence ${record.confidence.toFixed(2)}`]),
    `${attempts} attempt${attempts === 1 ? '' : 's'}${repairs}`,
    `$${record.cost_usd.toFixed(4)}`,
    ...(record.cached ? ['cached'] : []),
  ].join(' · ');
}

function aiData(ai: AiStep | undefined): Record<string, unknown> {
  if (ai === undefined) return {};
  const { record } = ai;
  return {
    ai: {
      model: record.model,
      ...(record.confidence === undefined ? {} : { confidence: record.confidence }),
      attempts: record.attempts.length,
      repairs: record.repairs,
      cost_usd: record.cost_usd,
      cached: record.cached,
    },
  };
}

/**
 * Good and Bad for each AI output, where the adapter shows buttons: each is a stored action that
 * runs /feedback as the person who clicks. Where it cannot (the console), a line says what to type.
 */
async function ratingOffer(
  context: CommandContext,
  run: RunRecord,
  ais: readonly AiStep[],
): Promise<{ buttons: ReplyButton[]; blocks: ReplyBlock[] }> {
  if (ais.length === 0) return { buttons: [], blocks: [] };
  if (context.invocation.supportsButtons !== true)
    return {
      buttons: [],
      blocks: [
        {
          kind: 'text',
          text: `Rate an AI output: /feedback ${run.id} ${actionArgument(ais[0]?.action ?? 'ACTION')} good|bad [note]`,
        },
      ],
    };
  const buttons: ReplyButton[] = [];
  for (const ai of ais.slice(-MAX_RATED_OUTPUTS)) {
    const name =
      ai.action.length <= MAX_LABEL_ACTION ? ai.action : `${ai.action.slice(0, MAX_LABEL_ACTION - 1)}…`;
    for (const rating of ['good', 'bad'] as const) {
      const id = await storeAction(context.interactions, context.invocation, context.now(), {
        commands: [`/feedback ${run.id} ${actionArgument(ai.step.key)} ${rating}`],
        summary: `Rate ${stepName(ai.step.key)} of run ${run.id} ${rating}`,
      });
      buttons.push({
        id: buttonId(id, 'confirm'),
        label: `${rating === 'good' ? 'Good' : 'Bad'}: ${name}`,
        ...(rating === 'good' ? { style: 'primary' as const } : {}),
      });
    }
  }
  return { buttons, blocks: [] };
}

async function aiSteps(
  runtime: Runtime,
  run: RunRecord,
  steps: readonly StepRecord[],
): Promise<Map<string, AiStep>> {
  const found = await Promise.all(steps.map((step) => aiStepOf(runtime, run, step)));
  return new Map(found.flatMap((ai) => (ai === undefined ? [] : [[ai.step.key, ai] as const])));
}

export const resultsCommand: CommandDefinition = {
  name: 'results',
  group: 'runs',
  privilege: 'read',
  summary: "A run's outputs, action by action (secrets masked)",
  usage: '/results RUN',
  description:
    'Lists what each action of a run produced, in the order they ran (skipped and failed ones say so), with secrets masked. AI steps also show their confidence, attempts (and repairs) and cost, with Good and Bad buttons to rate the output (/feedback). Long outputs come as a JSON file.',
  accepts: { params: [], words: 1 },
  examples: ['/results r7k2m9qxa4b'],
  async run(context) {
    const runtime = runtimeOf(context);
    const run = await runtime.find(context.invocation.channel, context.command.positionals[0] ?? '');
    const steps = (await runtime.store.steps(run.id)).filter((step) => !step.key.startsWith('handler:'));
    const ais = await aiSteps(runtime, run, steps);
    const mask = (text: string): string => runtime.mask(run, text);
    const items = steps.map((step) => {
      const ai = ais.get(step.key);
      return `${stepName(step.key)}: ${mask(outputText(step))}${ai === undefined ? '' : ` · ${aiFacts(ai)}`}`;
    });
    const title = `Run ${run.id} (${stateWord(run)}): ${steps.length === 0 ? 'no action has run yet' : actionCount(steps.length)}`;
    const outputs = Object.fromEntries(
      steps.map((step) => [
        step.key,
        {
          state: step.state,
          output: step.output ?? null,
          error: step.error ?? null,
          ...aiData(ais.get(step.key)),
        },
      ]),
    );
    const json = mask(JSON.stringify({ run_id: run.id, state: run.state, outputs }, null, 2));
    const data = JSON.parse(json) as unknown;
    const rating = await ratingOffer(context, run, [...ais.values()]);
    if (items.join('\n').length <= INLINE_CHARS)
      return privateAnswer(title, {
        blocks: [...(items.length === 0 ? [] : [{ kind: 'list' as const, items }]), ...rating.blocks],
        buttons: rating.buttons,
        data,
      });
    return privateAnswer(`${title}; the outputs are in the attached file.`, {
      blocks: rating.blocks,
      buttons: rating.buttons,
      attachments: [{ filename: `${run.id}-results.json`, contentType: 'application/json', content: json }],
      data,
    });
  },
};
