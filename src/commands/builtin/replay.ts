import { AitwsError } from '../../errors.js';
import { REPLAY_MEMO_KEY, type ReplayMemo } from '../../runtime/ai/record.js';
import { DEFAULT_SIMILARITY_THRESHOLD } from '../../runtime/ai/snapshot-replay.js';
import { success } from '../reply.js';
import { runtimeOf } from '../runs/runnable.js';
import type { CommandDefinition, Param } from '../types.js';

const MODES: readonly ReplayMemo['mode'][] = ['cached', 'live'];

function modeOf(params: readonly Param[]): ReplayMemo['mode'] {
  const param = params.find((p) => p.key === 'mode');
  if (param === undefined) return 'cached';
  const mode = MODES.find((candidate) => candidate === param.value);
  if (mode === undefined)
    throw new AitwsError('USAGE', `mode=${param.raw} is not a replay mode.`, {
      hint: 'mode=cached serves the recorded model answers again; mode=live asks the models anew.',
    });
  return mode;
}

function thresholdOf(params: readonly Param[], mode: ReplayMemo['mode']): number | undefined {
  const param = params.find((p) => p.key === 'threshold');
  if (param === undefined) return undefined;
  const value = param.value;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw new AitwsError('USAGE', `threshold=${param.raw} is not a similarity from 0 to 1.`, {
      hint: `Example: threshold=${DEFAULT_SIMILARITY_THRESHOLD}`,
    });
  // A cached replay must match exactly: a threshold there would suggest a leniency it never has.
  if (mode === 'cached')
    throw new AitwsError(
      'USAGE',
      'threshold= applies to live replays only; a cached replay must match exactly.',
      {
        hint: `/replay RUN mode=live threshold=${value}`,
      },
    );
  return value;
}

export const replayCommand: CommandDefinition = {
  name: 'replay',
  group: 'runs',
  privilege: 'execute',
  summary: "Run a finished run again and compare its outputs with the original's",
  usage: '/replay RUN [mode=cached|live] [threshold=0.95]',
  description: `Starts a new run of the same workflow version with the same inputs, and when it finishes compares its outputs with the original run's, recording the result (exact_match, semantic_match, partial_match or no_match) in the original's execution snapshot (aitws snapshot RUN). mode=cached (the default) answers the AI steps from the recorded model responses, so the outputs must match exactly; mode=live asks the models again and accepts a text similarity of threshold (default ${DEFAULT_SIMILARITY_THRESHOLD}) or, failing that, outputs of the same shape as a partial match. Only a succeeded or failed run can be replayed.`,
  accepts: { params: ['mode', 'threshold'], words: 1 },
  examples: ['/replay r7k2m9qxa4b', '/replay r7k2m9qxa4b mode=live threshold=0.9'],
  async run(context) {
    const { params, positionals } = context.command;
    const mode = modeOf(params);
    const threshold = thresholdOf(params, mode);
    const runtime = runtimeOf(context);
    const original = await runtime.find(context.invocation.channel, positionals[0] ?? '');
    if (original.state !== 'succeeded' && original.state !== 'failed')
      throw new AitwsError(
        'USAGE',
        `Run ${original.id} is ${original.state}; only a succeeded or failed run can be replayed.`,
        { hint: `/status ${original.id} follows it.` },
      );
    const { actor } = context.invocation;
    const memo = { of: original.id, mode, ...(threshold === undefined ? {} : { threshold }) };
    const run = await runtime.start({
      channel: original.channel,
      document: original.document,
      workflow: original.workflow,
      inputs: original.inputs,
      startedBy: { id: actor.id, name: actor.name },
      memos: { [REPLAY_MEMO_KEY]: memo },
    });
    return success(
      `Run ${run.id} replays ${original.id} (${mode}). When it finishes, how its outputs match is recorded on ${original.id}'s snapshot. /status ${run.id} follows it.`,
      { data: { run_id: run.id, state: run.state, replay_of: original.id, mode } },
    );
  },
};
