import { privateAnswer } from '../reply.js';
import { actionCount, outputText, stateWord, stepName } from '../runs/run-text.js';
import { runtimeOf } from '../runs/runnable.js';
import type { CommandDefinition } from '../types.js';

/** Longer than this, the outputs go in a file rather than the message. */
const INLINE_CHARS = 2500;

export const resultsCommand: CommandDefinition = {
  name: 'results',
  group: 'runs',
  privilege: 'read',
  summary: "A run's outputs, action by action (secrets masked)",
  usage: '/results RUN',
  description:
    'Lists what each action of a run produced, in the order they ran (skipped and failed ones say so), with secrets masked. Long outputs come as a JSON file.',
  accepts: { params: [], words: 1 },
  examples: ['/results r7k2m9qxa4b'],
  async run(context) {
    const runtime = runtimeOf(context);
    const run = await runtime.find(context.invocation.channel, context.command.positionals[0] ?? '');
    const steps = (await runtime.store.steps(run.id)).filter((step) => !step.key.startsWith('handler:'));
    const mask = (text: string): string => runtime.mask(run, text);
    const items = steps.map((step) => `${stepName(step.key)}: ${mask(outputText(step))}`);
    const title = `Run ${run.id} (${stateWord(run)}): ${steps.length === 0 ? 'no action has run yet' : actionCount(steps.length)}`;
    const outputs = Object.fromEntries(
      steps.map((step) => [
        step.key,
        { state: step.state, output: step.output ?? null, error: step.error ?? null },
      ]),
    );
    const json = mask(JSON.stringify({ run_id: run.id, state: run.state, outputs }, null, 2));
    const data = JSON.parse(json) as unknown;
    if (items.join('\n').length <= INLINE_CHARS)
      return privateAnswer(title, { blocks: items.length === 0 ? [] : [{ kind: 'list', items }], data });
    return privateAnswer(`${title}; the outputs are in the attached file.`, {
      attachments: [{ filename: `${run.id}-results.json`, contentType: 'application/json', content: json }],
      data,
    });
  },
};
