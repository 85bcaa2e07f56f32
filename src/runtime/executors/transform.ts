/**
 * `transform`: deterministic data shaping. `with.set = { key = "value or {{ template }}" }`; the
 * engine renders the templates, and the output is the set table itself (a JSON copy), so later
 * steps read `{{ steps.Shape.output.key }}`.
 */
import { z } from 'zod';
import { isTable } from '../../document/tree.js';
import type { TomlTable } from '../../document/types.js';
import type { Executor, ParameterProblem } from '../executor.js';
import type { JsonObject } from '../run-store.js';
import { holdsTemplate, toJsonObject, unknownParameters } from './shared.js';

export interface TransformParams {
  readonly set: JsonObject;
}

const setTable = z
  .custom<TomlTable>(isTable, { message: 'expected a table, e.g. set = { total = "{{ inputs.n }}" }' })
  .transform((value, context) => {
    try {
      return toJsonObject(value, 'with.set');
    } catch (error) {
      context.issues.push({ code: 'custom', message: (error as Error).message, input: value });
      return z.NEVER;
    }
  });

export const transformParams: z.ZodType<TransformParams> = z.strictObject({ set: setTable });

export const transformExecutor: Executor<TransformParams> = {
  type: 'transform',
  summary: 'Shapes data: with.set = { key = "value or {{ template }}" } becomes the output.',
  params: transformParams,
  pure: true,
  check(parameters) {
    const problems: ParameterProblem[] = unknownParameters(parameters, ['set']);
    const set = parameters.set;
    if (set === undefined) problems.push({ field: 'with.set', message: 'required: the table to output' });
    else if (!isTable(set) && !holdsTemplate(set))
      problems.push({ field: 'with.set', message: 'expected a table' });
    return problems;
  },
  async run(_context, params) {
    return { kind: 'done', output: toJsonObject(params.set, 'with.set') };
  },
};
