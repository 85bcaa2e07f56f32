import { durationText } from '../../runtime/progress.js';
import { isFinal, type RunRecord } from '../../runtime/run-store.js';
import { privateAnswer } from '../reply.js';
import { actionCount, elapsedMs, progressOf, retryHint, stateWord } from '../runs/run-text.js';
import { runtimeOf } from '../runs/runnable.js';
import type { CommandContext, CommandDefinition } from '../types.js';

/** The median duration of the channel's last successful runs of the same workflow, if any. */
async function estimateMs(context: CommandContext, run: RunRecord): Promise<number | undefined> {
  const runtime = runtimeOf(context);
  const earlier = await runtime.store.list(run.channel, { limit: 50, states: ['succeeded'] });
  const durations = earlier
    .filter((other) => other.workflow.name === run.workflow.name && other.id !== run.id)
    .slice(0, 10)
    .map((other) => Date.parse(other.updatedAt) - Date.parse(other.createdAt))
    .sort((a, b) => a - b);
  if (durations.length === 0) return undefined;
  return durations[Math.floor(durations.length / 2)];
}

export const statusCommand: CommandDefinition = {
  name: 'status',
  group: 'runs',
  privilege: 'read',
  summary: 'Where a run stands: state, progress, current step, time',
  usage: '/status RUN',
  description:
    "Shows a run's state (queued, running, waiting, succeeded, failed, cancelled, timed out), how many of its actions are done, the stage and action it is at (or what it waits for), how long it has taken and, from earlier successful runs of the same workflow here, about how long it takes.",
  accepts: { params: [], words: 1 },
  examples: ['/status r7k2m9qxa4b'],
  async run(context) {
    const runtime = runtimeOf(context);
    const id = context.command.positionals[0] ?? '';
    const run = await runtime.find(context.invocation.channel, id);
    const steps = await runtime.store.steps(run.id);
    const progress = progressOf(run, steps);
    const now = context.now();
    const estimate = await estimateMs(context, run);
    const fields = [
      { label: 'State', value: stateWord(run) },
      { label: 'Workflow', value: `${run.workflow.name} v${run.workflow.version}` },
      {
        label: 'Progress',
        value: `${progress.percent}% (${progress.done} of ${actionCount(progress.total)})`,
      },
      ...(progress.current === undefined ? [] : [{ label: 'Now', value: progress.current }]),
      { label: 'Elapsed', value: durationText(elapsedMs(run, now)) },
      ...(estimate === undefined || isFinal(run.state)
        ? []
        : [{ label: 'Usually takes', value: durationText(estimate) }]),
      { label: 'Started by', value: run.startedBy.name },
      ...(run.error === undefined ? [] : [{ label: 'Error', value: run.error.message }]),
    ];
    const hint = retryHint(run);
    const page = context.pageLinks?.runLink(run.id, context.invocation.actor.id);
    return privateAnswer(`Run ${run.id}: ${stateWord(run)}`, {
      blocks: [
        { kind: 'fields', fields },
        ...(hint === undefined ? [] : [{ kind: 'text' as const, text: hint }]),
        ...(page === undefined ? [] : [{ kind: 'text' as const, text: `Open the run page: ${page}` }]),
      ],
      data: {
        run_id: run.id,
        state: run.state,
        progress,
        elapsed_ms: elapsedMs(run, now),
        error: run.error ?? null,
        ...(page === undefined ? {} : { page_url: page }),
      },
    });
  },
};
