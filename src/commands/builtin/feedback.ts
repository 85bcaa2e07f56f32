/**
 * `/feedback RUN ACTION good|bad [NOTE]`: rates an AI step's output (issue #17, point 15). The
 * Good and Bad buttons /results offers run this command as the person who clicks.
 *
 * Privilege `read`, as /results: a rating changes neither the workflow nor a run, and what it can
 * do later is bounded. The rated text is the step's recorded output, never something the rater
 * types, so the most a rating can do is bring a real earlier answer of the same workflow into a
 * later prompt as an example, and only in workflows whose author asked for examples; the note
 * goes to the export alone. One rating per person, run and action: rating again replaces it.
 */
import { maskSecrets } from '../../document/redact.js';
import { AitwsError } from '../../errors.js';
import { feedbackScope } from '../../runtime/ai/feedback-store.js';
import { type AiStepRecord, aiRecordKey, readAiStepRecord } from '../../runtime/ai/record.js';
import type { Rating } from '../../runtime/ai/stores.js';
import type { RunRecord, StepRecord } from '../../runtime/run-store.js';
import type { Runtime } from '../../runtime/runtime.js';
import { privateAnswer, type Reply } from '../reply.js';
import { stepName } from '../runs/run-text.js';
import { runtimeOf } from '../runs/runnable.js';
import type { CommandDefinition } from '../types.js';

const MAX_NOTE = 500;
const USAGE = '/feedback RUN ACTION good|bad [NOTE]';

/** An AI step of a run: its journal entry and its record. */
export interface AiStep {
  readonly step: StepRecord;
  /** The action's name: the part of the step key between the stage and the pass. */
  readonly action: string;
  readonly record: AiStepRecord;
}

/** `Stage/Action#2` → its stage, action and pass; undefined for keys of another shape (handlers). */
export function parseStepKey(key: string): { stage: string; action: string; pass: number } | undefined {
  const match = /^(.*)\/([^/]*)#(\d+)$/.exec(key);
  if (match === null) return undefined;
  return { stage: match[1] ?? '', action: match[2] ?? '', pass: Number(match[3]) };
}

/** The step's AI record, when it is a succeeded AI step. */
export async function aiStepOf(
  runtime: Runtime,
  run: RunRecord,
  step: StepRecord,
): Promise<AiStep | undefined> {
  const parsed = parseStepKey(step.key);
  if (step.state !== 'succeeded' || parsed === undefined) return undefined;
  const memo = await runtime.store.readStepMemo(run.id, aiRecordKey(step.key));
  const record = memo === null ? undefined : readAiStepRecord(memo.value);
  return record === undefined ? undefined : { step, action: parsed.action, record };
}

/** How a person names an action: `Action`, `Stage/Action`, or either with `#PASS`. */
function matches(key: string, wanted: string): boolean {
  const parsed = parseStepKey(key);
  if (parsed === undefined) return false;
  const { stage, action, pass } = parsed;
  return [key, action, `${stage}/${action}`, `${action}#${pass}`].includes(wanted);
}

/** The latest succeeded pass of the action named, with its AI record; refusals say why not. */
async function findAiStep(runtime: Runtime, run: RunRecord, wanted: string): Promise<AiStep> {
  const steps = (await runtime.store.steps(run.id)).filter((step) => matches(step.key, wanted));
  const shown = JSON.stringify(wanted.slice(0, 80));
  if (steps.length === 0)
    throw new AitwsError('USAGE', `Run ${run.id} has no action ${shown}.`, {
      hint: `/results ${run.id} lists its actions.`,
    });
  const succeeded = steps.filter((step) => step.state === 'succeeded');
  const step = succeeded.at(-1);
  if (step === undefined)
    throw new AitwsError('USAGE', `${shown} has no output to rate in run ${run.id}: it did not succeed.`);
  const found = await aiStepOf(runtime, run, step);
  if (found === undefined)
    throw new AitwsError(
      'USAGE',
      `${stepName(step.key)} is not an AI step, so there is no AI output to rate.`,
      {
        hint: 'Only the outputs of ai.invoke actions take Good/Bad feedback.',
      },
    );
  return found;
}

interface Arguments {
  readonly runId: string;
  readonly action: string;
  readonly rating: Rating;
  readonly note?: string;
}

/** RUN, then ACTION (in double quotes when it holds spaces), then the rating and a free note. */
export function parseFeedbackArguments(text: string): Arguments {
  const match = /^(\S+)\s+("(?:[^"\\]|\\.)*"|\S+)\s+(\S+)(?:\s+([\s\S]*))?$/.exec(text.trim());
  const [runId, rawAction, word, rest] = match === null ? [] : match.slice(1);
  if (runId === undefined || rawAction === undefined || word === undefined)
    throw new AitwsError('USAGE', `Say which run, which action and how it did: ${USAGE}`, {
      hint: '/feedback r7k2m9qxa4b Summarise good',
    });
  const rating = word.toLowerCase();
  if (rating !== 'good' && rating !== 'bad')
    throw new AitwsError('USAGE', `Rate an output good or bad, not ${JSON.stringify(word.slice(0, 40))}.`, {
      hint: USAGE,
    });
  const action = rawAction.startsWith('"') ? unquote(rawAction) : rawAction;
  const note =
    rest === undefined || rest.trim() === '' ? undefined : maskSecrets(rest.trim()).slice(0, MAX_NOTE);
  return { runId, action, rating, ...(note === undefined ? {} : { note }) };
}

function unquote(quoted: string): string {
  try {
    const value: unknown = JSON.parse(quoted);
    if (typeof value === 'string') return value;
  } catch {
    // Falls through to the refusal below.
  }
  throw new AitwsError('USAGE', `${quoted.slice(0, 80)} is not a quoted action name.`, { hint: USAGE });
}

/** The action as the buttons' commands write it: quoted when it would not read as one word. */
export function actionArgument(action: string): string {
  return /^[^\s"]+$/.test(action) ? action : JSON.stringify(action);
}

export const feedbackCommand: CommandDefinition = {
  name: 'feedback',
  group: 'runs',
  privilege: 'read',
  rawArgs: true,
  summary: "Rate an AI step's output good or bad",
  usage: USAGE,
  description:
    'Rates the output of an AI action (ai.invoke) of a run, with an optional note; the Good and Bad buttons of /results do the same. Ratings are kept per workflow: an action with feedback = { examples = N } shows its best-rated earlier outputs to the model as examples, and `aitws feedback export` writes them all out for fine-tuning. Rating the same output again replaces your earlier rating. Put an action name with spaces in double quotes.',
  accepts: { params: [], words: 1 },
  examples: [
    '/feedback r7k2m9qxa4b Summarise good',
    '/feedback r7k2m9qxa4b "Draft reply" bad too formal for a customer',
  ],
  async run(context) {
    const args = parseFeedbackArguments(context.command.positionals[0] ?? '');
    const runtime = runtimeOf(context);
    const store = runtime.ai?.feedback;
    if (store === undefined)
      throw new AitwsError(
        'NOT_AVAILABLE',
        'Feedback cannot be stored here: this runtime runs no AI steps.',
        {
          hint: 'AI steps and their feedback need the runtime of `aitws serve`, `aitws worker` or the console.',
        },
      );
    const run = await runtime.find(context.invocation.channel, args.runId);
    const found = await findAiStep(runtime, run, args.action);
    const { actor } = context.invocation;
    const prompt = found.record.input.user;
    await store.add(feedbackScope(context.invocation.channel, run.workflow.name), {
      run: run.id,
      action: found.action,
      rating: args.rating,
      ...(args.note === undefined ? {} : { note: args.note }),
      output: runtime.mask(run, found.record.response_text),
      prompt: runtime.mask(run, typeof prompt === 'string' ? prompt : ''),
      by: { id: actor.id, name: actor.name },
      at: context.now().toISOString(),
    });
    return answer(run, found, args);
  },
};

function answer(run: RunRecord, found: AiStep, args: Arguments): Reply {
  const reply = privateAnswer(
    `Rated ${stepName(found.step.key)} of run ${run.id} ${args.rating}${args.note === undefined ? '' : `: ${args.note}`}.`,
    {
      blocks: [{ kind: 'text', text: 'Rating it again replaces this rating.' }],
      data: { feedback: { run: run.id, action: found.action, step: found.step.key, rating: args.rating } },
    },
  );
  // From a /results button: only the clicker sees this, and the message keeps its other buttons.
  return { ...reply, clickEffect: 'private' };
}
