import { AitwsError } from '../../errors.js';
import type { RunState } from '../../runtime/run-store.js';
import { privateAnswer } from '../reply.js';
import { runLine } from '../runs/run-text.js';
import { runtimeOf } from '../runs/runnable.js';
import type { CommandDefinition } from '../types.js';
import { optionalString, rejectUnknownParams } from './params.js';

const STATES: readonly RunState[] = [
  'queued',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
];
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

function limitOf(word: string | undefined): number {
  if (word === undefined) return DEFAULT_LIMIT;
  const limit = Number(word);
  if (!/^\d+$/.test(word) || limit < 1 || limit > MAX_LIMIT)
    throw new AitwsError('USAGE', `"${word}" is not a number of runs.`, {
      hint: `Give a whole number from 1 to ${MAX_LIMIT}: /jobs 25.`,
    });
  return limit;
}

function statesOf(text: string | undefined): RunState[] | undefined {
  if (text === undefined) return undefined;
  const states = text.split(',').map((s) => s.trim());
  for (const state of states)
    if (!STATES.includes(state as RunState))
      throw new AitwsError('USAGE', `"${state}" is not a run state.`, {
        hint: `One of: ${STATES.join(', ')}.`,
      });
  return states as RunState[];
}

export const jobsCommand: CommandDefinition = {
  name: 'jobs',
  group: 'runs',
  privilege: 'read',
  summary: "This channel's runs, newest first",
  usage: '/jobs [LIMIT] [state=STATE]',
  description: `Lists the channel's runs, newest first (${DEFAULT_LIMIT} unless you give a number up to ${MAX_LIMIT}), optionally only those in a state: ${STATES.join(', ')} (several with commas).`,
  accepts: { params: ['state'], words: 1 },
  examples: ['/jobs', '/jobs 25', '/jobs state=failed', '/jobs state=running,waiting'],
  async run(context) {
    rejectUnknownParams(context.command.params, ['state'], this.usage);
    const runtime = runtimeOf(context);
    const limit = limitOf(context.command.positionals[0]);
    const states = statesOf(optionalString(context.command.params, 'state'));
    const runs = await runtime.store.list(context.invocation.channel, {
      limit,
      ...(states === undefined ? {} : { states }),
    });
    const now = context.now();
    if (runs.length === 0)
      return privateAnswer(
        states === undefined ? 'No runs here yet. /run starts one.' : `No ${states.join(' or ')} runs here.`,
        {
          data: { runs: [] },
        },
      );
    return privateAnswer(`${runs.length === 1 ? '1 run' : `${runs.length} runs`}, newest first:`, {
      blocks: [{ kind: 'list', items: runs.map((run) => runLine(run, now)) }],
      data: {
        runs: runs.map((run) => ({
          run_id: run.id,
          state: run.state,
          workflow: run.workflow,
          created_at: run.createdAt,
        })),
      },
    });
  },
};
