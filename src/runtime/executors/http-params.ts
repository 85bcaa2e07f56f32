/**
 * `http.request` parameters: the schema the rendered `with` table is parsed with, and the
 * pre-flight check on the table as written (templates skipped).
 */
import { z } from 'zod';
import { isTable } from '../../document/tree.js';
import type { AitwsDocument, TomlTable, TomlValue } from '../../document/types.js';
import type { ActionParameters, ParameterProblem } from '../executor.js';
import type { JsonValue } from '../run-store.js';
import { pathProblem, serviceTarget } from './http-target.js';
import { holdsTemplate, toJsonValue, unknownParameters } from './shared.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface HttpRequestParams {
  readonly service: string;
  readonly method: HttpMethod;
  readonly path: string;
  /** Text is sent as it is; anything else as JSON. */
  readonly body?: JsonValue | undefined;
  /** Name and value as written (`${secret:NAME}` still unresolved). */
  readonly headers: readonly (readonly [string, string])[];
  readonly auth?: 'bearer' | undefined;
}

const PARAMETERS = ['service', 'method', 'path', 'body', 'headers', 'auth'];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Set by the runtime or the HTTP client; a workflow setting them would change where or what is sent. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'idempotency-key',
  'content-length',
  'transfer-encoding',
  'connection',
]);

function headerNameProblem(name: string): string | undefined {
  if (!TOKEN.test(name)) return 'is not a header name';
  if (RESERVED_HEADERS.has(name.toLowerCase())) return 'is set by the runtime';
  return undefined;
}

const method = z
  .string()
  .transform((value) => value.toUpperCase())
  .pipe(z.enum(HTTP_METHODS, { message: `expected one of ${HTTP_METHODS.join(', ')}` }));

const path = z.string().superRefine((value, context) => {
  const problem = pathProblem(value);
  if (problem !== undefined) context.issues.push({ code: 'custom', message: problem, input: value });
});

const body = z
  .union([z.string(), z.array(z.unknown()), z.custom<TomlTable>(isTable)], {
    message: 'expected text, a table or a list',
  })
  .transform((value, context) => {
    try {
      return toJsonValue(value, 'with.body');
    } catch (error) {
      context.issues.push({ code: 'custom', message: (error as Error).message, input: value });
      return z.NEVER;
    }
  });

const headers = z
  .custom<TomlTable>(isTable, { message: 'expected a table of header names and text values' })
  .transform((table, context) => {
    const pairs: (readonly [string, string])[] = [];
    for (const name of Object.keys(table)) {
      const value = table[name];
      const problem = typeof value === 'string' ? headerNameProblem(name) : 'must be text';
      if (problem === undefined && typeof value === 'string') pairs.push([name, value]);
      else
        context.issues.push({ code: 'custom', message: problem ?? 'is invalid', path: [name], input: value });
    }
    return pairs;
  });

export const httpRequestParams: z.ZodType<HttpRequestParams> = z
  .strictObject({
    service: z.string().min(1),
    method: method.default('GET'),
    path: path.default('/'),
    body: body.optional(),
    headers: headers.default([]),
    auth: z.literal('bearer', { message: 'the only form is "bearer" (the service api_key)' }).optional(),
  })
  .superRefine((value, context) => {
    if (value.body !== undefined && (value.method === 'GET' || value.method === 'HEAD'))
      context.issues.push({
        code: 'custom',
        message: `a ${value.method} request has no body`,
        path: ['body'],
        input: value,
      });
  });

type Problems = ParameterProblem[];

function checkService(parameters: ActionParameters, document: AitwsDocument, problems: Problems): void {
  const { service, auth } = parameters;
  if (service === undefined)
    problems.push({ field: 'with.service', message: 'required: an [[external_services]] name' });
  if (typeof service !== 'string' || holdsTemplate(service)) return;
  const resolved = serviceTarget(document, service);
  if (!resolved.ok) problems.push({ field: 'with.service', message: resolved.problem });
  else if (auth === 'bearer' && resolved.target.apiKey === undefined)
    problems.push({ field: 'with.auth', message: `the service "${service}" has no api_key` });
}

function checkShape(parameters: ActionParameters, problems: Problems): void {
  const { method: verb, path: where, body: payload, auth } = parameters;
  if (verb !== undefined && !holdsTemplate(verb)) {
    if (typeof verb !== 'string' || !(HTTP_METHODS as readonly string[]).includes(verb.toUpperCase()))
      problems.push({ field: 'with.method', message: `expected one of ${HTTP_METHODS.join(', ')}` });
    else if (payload !== undefined && ['GET', 'HEAD'].includes(verb.toUpperCase()))
      problems.push({ field: 'with.body', message: `a ${verb.toUpperCase()} request has no body` });
  } else if (verb === undefined && payload !== undefined) {
    problems.push({ field: 'with.body', message: 'a GET request (the default) has no body' });
  }
  if (where !== undefined) {
    const problem =
      typeof where !== 'string' ? 'expected a path such as "/items"' : writtenPathProblem(where);
    if (problem !== undefined) problems.push({ field: 'with.path', message: problem });
  }
  if (auth !== undefined && auth !== 'bearer')
    problems.push({ field: 'with.auth', message: 'the only form is "bearer" (the service api_key)' });
}

/** A path with templates is judged by what is written before the first one. */
function writtenPathProblem(where: string): string | undefined {
  if (!holdsTemplate(where)) return pathProblem(where);
  if (where.startsWith('{{') || where.startsWith('/')) return undefined;
  return 'must start with "/" (a path under the service, not a URL)';
}

function checkHeaders(value: TomlValue | undefined, problems: Problems): void {
  if (value === undefined || holdsTemplate(value)) return;
  if (!isTable(value)) {
    problems.push({ field: 'with.headers', message: 'expected a table of header names and text values' });
    return;
  }
  for (const name of Object.keys(value)) {
    const problem = typeof value[name] === 'string' ? headerNameProblem(name) : 'must be text';
    if (problem !== undefined) problems.push({ field: `with.headers.${name}`, message: problem });
  }
}

export function checkHttpRequest(parameters: ActionParameters, document: AitwsDocument): ParameterProblem[] {
  const problems: Problems = unknownParameters(parameters, PARAMETERS);
  checkService(parameters, document, problems);
  checkShape(parameters, problems);
  checkHeaders(parameters.headers, problems);
  return problems;
}
