import { success } from '../reply.js';
import { runtimeOf } from '../runs/runnable.js';
import type { CommandDefinition } from '../types.js';

export const cancelCommand: CommandDefinition = {
  name: 'cancel',
  group: 'runs',
  privilege: 'execute',
  summary: 'Stop a run (actions under way are told to stop)',
  usage: '/cancel RUN',
  description:
    'Cancels a queued, running or waiting run: the action under way gets its abort signal (an HTTP request is aborted), nothing further runs, and the run ends as cancelled. A finished run cannot be cancelled.',
  accepts: { params: [], words: 1 },
  examples: ['/cancel r7k2m9qxa4b'],
  async run(context) {
    const runtime = runtimeOf(context);
    const run = await runtime.find(context.invocation.channel, context.command.positionals[0] ?? '');
    const { actor } = context.invocation;
    const cancelled = await runtime.cancel(run, { id: actor.id, name: actor.name });
    return success(`Run ${run.id} is cancelled.`, { data: { run_id: run.id, state: cancelled.state } });
  },
};
