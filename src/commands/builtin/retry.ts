import { success } from '../reply.js';
import { runtimeOf } from '../runs/runnable.js';
import type { CommandDefinition } from '../types.js';

export const retryCommand: CommandDefinition = {
  name: 'retry',
  group: 'runs',
  privilege: 'execute',
  summary: 'Continue a failed run from the action that failed',
  usage: '/retry RUN',
  description:
    'Runs a failed (or timed-out) run again as a new attempt, from the action that failed: the actions that succeeded keep their outputs and do not run again. It runs the same version the run started with, with the same inputs, and gets a fresh deadline.',
  accepts: { params: [], words: 1 },
  examples: ['/retry r7k2m9qxa4b'],
  async run(context) {
    const runtime = runtimeOf(context);
    const run = await runtime.find(context.invocation.channel, context.command.positionals[0] ?? '');
    const retried = await runtime.retry(run);
    return success(`Run ${run.id} continues from where it failed. /status ${run.id} follows it.`, {
      data: { run_id: run.id, state: retried.state },
    });
  },
};
