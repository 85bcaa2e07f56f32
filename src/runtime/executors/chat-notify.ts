/**
 * `chat.notify`: posts `with.text` to the run's channel, or to a `[[notifications]]` entry named by
 * `with.target`. A step run again after its message was posted (a crash before it was journaled)
 * does not post twice, as far as its memo can tell.
 */
import { z } from 'zod';
import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import type { Executor, ParameterProblem } from '../executor.js';
import { entryNames, findEntry, holdsTemplate, oncePerStep, unknownParameters } from './shared.js';

export interface ChatNotifyParams {
  readonly text: string;
  readonly target?: string | undefined;
}

export const chatNotifyParams: z.ZodType<ChatNotifyParams> = z.strictObject({
  text: z.string().trim().min(1, { message: 'the message is empty' }),
  target: z.string().min(1).optional(),
});

function unknownTarget(document: AitwsDocument, target: string): string {
  const known = entryNames(document, 'notifications');
  return `no [[notifications]] entry is named "${target}"${known.length === 0 ? '' : ` (known: ${known.join(', ')})`}`;
}

export const chatNotifyExecutor: Executor<ChatNotifyParams> = {
  type: 'chat.notify',
  summary: "Posts with.text to the run's channel, or to the [[notifications]] entry with.target.",
  params: chatNotifyParams,
  check(parameters, document) {
    const problems: ParameterProblem[] = unknownParameters(parameters, ['text', 'target']);
    const { text, target } = parameters;
    if (text === undefined) problems.push({ field: 'with.text', message: 'required: the message to post' });
    else if (typeof text !== 'string') problems.push({ field: 'with.text', message: 'expected text' });
    if (target !== undefined && !holdsTemplate(target)) {
      if (typeof target !== 'string')
        problems.push({ field: 'with.target', message: 'expected a notification name' });
      else if (findEntry(document, 'notifications', target) === undefined)
        problems.push({ field: 'with.target', message: unknownTarget(document, target) });
    }
    return problems;
  },
  async run(context, params) {
    const target = params.target;
    if (target !== undefined && findEntry(context.document, 'notifications', target) === undefined) {
      throw new AitwsError('PARAMETER', `with.target: ${unknownTarget(context.document, target)}.`);
    }
    const output = await oncePerStep(context, async () => {
      await context.notify(target === undefined ? { text: params.text } : { text: params.text, target });
      return { posted: true, target: target ?? null };
    });
    return { kind: 'done', output };
  },
};
