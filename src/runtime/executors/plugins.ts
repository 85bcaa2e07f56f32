/**
 * Operator plugins (AITWS_PLUGINS=DIR): each `*.js` / `*.mjs` file directly in DIR is an ES module
 * whose default export (or named export `executor`) is
 *
 *   { type: 'acme.deploy', summary?: '…', params: <zod schema>, run(ctx, params, signal) }
 *
 * `run` returns `{ output }` or the output itself (JSON). A plugin type is namespaced (`acme.…`)
 * so that no later built-in type can collide with it; a type defined twice is refused. Loading is
 * all or nothing: every problem in every file is reported together, and none is loaded.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { cutForMessage, maskSecrets } from '../../document/redact.js';
import { AitwsError } from '../../errors.js';
import type { ActionContext, ActionOutcome, Executor } from '../executor.js';
import { pluginOutput } from './plugins-output.js';

export interface LoadPluginsOptions {
  /** The built-in action types: a plugin may not redefine one. */
  readonly builtinTypes: readonly string[];
}

/** What a plugin module exports. */
export interface PluginDefinition {
  readonly type: string;
  readonly summary?: string;
  readonly params: z.ZodType;
  run(context: ActionContext, params: unknown, signal: AbortSignal): unknown;
}

/** `acme.deploy`, `acme.k8s.rollout`: lowercase words joined by dots, at least two. */
const PLUGIN_TYPE = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$/;
const MAX_TYPE_LENGTH = 64;
const PLUGIN_FILE = /\.(m?js)$/;

interface Loaded {
  readonly file: string;
  readonly definition: PluginDefinition;
}

export async function loadPlugins(dir: string, options: LoadPluginsOptions): Promise<Executor[]> {
  const files = await pluginFiles(dir);
  const problems: string[] = [];
  const loaded: Loaded[] = [];
  for (const file of files) {
    const result = await loadOne(join(dir, file));
    if (typeof result === 'string') problems.push(`${file}: ${result}`);
    else loaded.push({ file, definition: result });
  }
  const byType = new Map<string, string>();
  const builtins = new Set(options.builtinTypes);
  for (const { file, definition } of loaded) {
    const earlier = byType.get(definition.type);
    if (builtins.has(definition.type))
      problems.push(`${file}: type "${definition.type}" is a built-in type; a plugin cannot replace it`);
    else if (earlier !== undefined)
      problems.push(`${file}: type "${definition.type}" is already defined by ${earlier}`);
    else byType.set(definition.type, file);
  }
  if (problems.length > 0) throw pluginError(dir, problems);
  return loaded.map(({ file, definition }) => wrapPlugin(file, definition));
}

async function pluginFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && PLUGIN_FILE.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw new AitwsError('PLUGIN', `The plugin directory ${dir} cannot be read.`, {
      cause: error,
      hint: 'AITWS_PLUGINS must name a directory of .js or .mjs plugin modules.',
    });
  }
}

function pluginError(dir: string, problems: readonly string[]): AitwsError {
  const headline =
    problems.length === 1
      ? (problems[0] ?? '')
      : `${problems.length} plugin problems: ${problems.join('; ')}`;
  return new AitwsError('PLUGIN', headline, {
    details: problems,
    hint: `Fix or remove the files in ${dir}; no plugin was loaded. A .js file is an ES module only beside a package.json with "type": "module"; a .mjs file always is.`,
  });
}

/** The module's plugin, or what is wrong with it. */
async function loadOne(path: string): Promise<PluginDefinition | string> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    return `cannot be imported: ${describe(error)}`;
  }
  const exported = module.default ?? module.executor;
  if (exported === undefined)
    return 'exports no plugin (export default { type, params, run }, or `executor`)';
  return validate(exported);
}

function validate(value: unknown): PluginDefinition | string {
  if (typeof value !== 'object' || value === null) return 'the exported plugin is not an object';
  const plugin = value as Record<string, unknown>;
  const wrong: string[] = [];
  const { type, summary, params, run } = plugin;
  if (typeof type !== 'string') wrong.push('type must be text such as "acme.deploy"');
  else if (type.length > MAX_TYPE_LENGTH || !PLUGIN_TYPE.test(type))
    wrong.push(`type "${cutForMessage(type)}" must be lowercase words joined by dots, e.g. "acme.deploy"`);
  if (summary !== undefined && typeof summary !== 'string') wrong.push('summary must be text');
  if (!isZodSchema(params)) wrong.push('params must be a zod schema (z.object({ … }))');
  if (typeof run !== 'function') wrong.push('run must be a function (ctx, params, signal)');
  if (wrong.length > 0) return wrong.join('; ');
  return plugin as unknown as PluginDefinition;
}

function isZodSchema(value: unknown): value is z.ZodType {
  if (typeof value !== 'object' || value === null) return false;
  const schema = value as Record<string, unknown>;
  return typeof schema.safeParse === 'function' && typeof schema.parse === 'function';
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return cutForMessage(maskSecrets(text.split('\n')[0] ?? ''), 200);
}

function wrapPlugin(file: string, plugin: PluginDefinition): Executor {
  const type = plugin.type;
  return {
    type,
    summary: plugin.summary ?? `Plugin ${type} (${basename(file)}).`,
    params: plugin.params,
    async run(context: ActionContext, params: unknown): Promise<ActionOutcome> {
      let result: unknown;
      try {
        result = await plugin.run(context, params, context.signal);
      } catch (error) {
        if (error instanceof AitwsError || context.signal.aborted) throw error;
        throw new AitwsError('ACTION_FAILED', `${context.action} (${type}) failed: ${describe(error)}`, {
          retryable: true,
          cause: error,
        });
      }
      return { kind: 'done', output: pluginOutput(type, result) };
    },
  };
}
