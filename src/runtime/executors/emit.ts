/**
 * `emit`: raises a runtime event (`with.event`, `with.data`); `[[events]]` entries of that type fire
 * their triggers. A step run again after its event was raised (a crash before it was journaled)
 * does not raise it twice, as far as its memo can tell.
 */
import { z } from 'zod';
import { isTable } from '../../document/tree.js';
import type { TomlTable } from '../../document/types.js';
import type { Executor, ParameterProblem } from '../executor.js';
import type { JsonObject } from '../run-store.js';
import { holdsTemplate, oncePerStep, toJsonObject, unknownParameters } from './shared.js';

/** Event types are names (`model_error`, `deploy.done`), not text. */
export const EVENT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,99}$/;
const EVENT_NAME_MESSAGE = 'an event type: letters, digits, "_", ".", ":" or "-", at most 100 characters';

export interface EmitParams {
  readonly event: string;
  readonly data: JsonObject;
}

export const eventName = z.string().regex(EVENT_NAME, { message: `expected ${EVENT_NAME_MESSAGE}` });

const dataTable = z
  .custom<TomlTable>(isTable, { message: 'expected a table' })
  .transform((value, context) => {
    try {
      return toJsonObject(value, 'with.data');
    } catch (error) {
      context.issues.push({ code: 'custom', message: (error as Error).message, input: value });
      return z.NEVER;
    }
  });

export const emitParams: z.ZodType<EmitParams> = z.strictObject({
  event: eventName,
  data: dataTable.default({}),
});

export const emitExecutor: Executor<EmitParams> = {
  type: 'emit',
  summary: 'Raises an event: with.event = "type", with.data = { ... } (default {}).',
  params: emitParams,
  check(parameters) {
    const problems: ParameterProblem[] = unknownParameters(parameters, ['event', 'data']);
    const { event, data } = parameters;
    if (event === undefined)
      problems.push({ field: 'with.event', message: 'required: the event type to raise' });
    else if (!holdsTemplate(event) && (typeof event !== 'string' || !EVENT_NAME.test(event)))
      problems.push({ field: 'with.event', message: `expected ${EVENT_NAME_MESSAGE}` });
    if (data !== undefined && !isTable(data) && !holdsTemplate(data))
      problems.push({ field: 'with.data', message: 'expected a table' });
    return problems;
  },
  async run(context, params) {
    const output = await oncePerStep(context, async () => {
      await context.emit(params.event, params.data);
      return { event: params.event, data: params.data };
    });
    return { kind: 'done', output };
  },
};
