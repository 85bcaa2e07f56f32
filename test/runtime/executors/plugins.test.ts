import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import type { Executor } from '../../../src/runtime/executor.js';
import { loadPlugins } from '../../../src/runtime/executors/plugins.js';
import { createActionHarness } from './context.js';

/** Plugins import zod by file URL: the temp directory has no node_modules of its own. */
const ZOD = pathToFileURL(join(process.cwd(), 'node_modules/zod/index.js')).href;
const BUILTINS = ['transform', 'http.request', 'chat.notify', 'human.approval', 'emit', 'wait', 'ai.invoke'];

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aitws-plugins-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function plugin(type: string, run: string, exportAs = 'export default'): string {
  return `import { z } from '${ZOD}';
${exportAs} {
  type: '${type}',
  summary: 'Test plugin ${type}.',
  params: z.object({ service: z.string(), replicas: z.number().default(1) }),
  run: ${run},
};
`;
}

async function write(name: string, text: string): Promise<void> {
  await writeFile(join(dir, name), text);
}

async function failure(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

function byType(executors: readonly Executor[], type: string): Executor {
  const found = executors.find((executor) => executor.type === type);
  if (found === undefined) throw new Error(`no executor ${type}`);
  return found;
}

describe('loadPlugins', () => {
  it('loads default and named exports from .mjs files directly in the directory', async () => {
    await write(
      'deploy.mjs',
      plugin(
        'acme.deploy',
        `async (ctx, params, signal) => ({ output: { deployed: params.service, replicas: params.replicas,
          run: ctx.runId, key: ctx.idempotencyKey, sameSignal: signal === ctx.signal } })`,
      ),
    );
    await write(
      'scale.mjs',
      plugin('acme.k8s.scale', '(ctx, params) => params.replicas * 2', 'export const executor ='),
    );
    await write('notes.txt', 'not a plugin');
    await mkdir(join(dir, 'nested'));
    await write('nested/ignored.mjs', plugin('acme.nested', '() => 1'));

    const executors = await loadPlugins(dir, { builtinTypes: BUILTINS });
    expect(executors.map((executor) => [executor.type, executor.summary])).toEqual([
      ['acme.deploy', 'Test plugin acme.deploy.'],
      ['acme.k8s.scale', 'Test plugin acme.k8s.scale.'],
    ]);

    const harness = await createActionHarness();
    const deploy = byType(executors, 'acme.deploy');
    expect(deploy.params.safeParse({ replicas: 2 }).success).toBe(false);
    const outcome = await deploy.run(harness.context, deploy.params.parse({ service: 'api' }));
    expect(outcome).toEqual({
      kind: 'done',
      output: { deployed: 'api', replicas: 1, run: 'run-1', key: 'run-1/Main/Step#1', sameSignal: true },
    });
    const scale = byType(executors, 'acme.k8s.scale');
    expect(await scale.run(harness.context, scale.params.parse({ service: 'api', replicas: 3 }))).toEqual({
      kind: 'done',
      output: 6,
    });
  });

  it('treats a returned value other than { output } as the output, and nothing as null', async () => {
    await write('a.mjs', plugin('acme.both', '() => ({ output: 1, extra: true })'));
    await write('b.mjs', plugin('acme.nothing', '() => undefined'));
    const executors = await loadPlugins(dir, { builtinTypes: BUILTINS });
    const harness = await createActionHarness();
    const params = { service: 'x', replicas: 1 };
    expect(await byType(executors, 'acme.both').run(harness.context, params)).toEqual({
      kind: 'done',
      output: { output: 1, extra: true },
    });
    expect(await byType(executors, 'acme.nothing').run(harness.context, params)).toEqual({
      kind: 'done',
      output: null,
    });
  });

  it('fails a step whose plugin returns something that is not JSON (PLUGIN_OUTPUT)', async () => {
    const cases: Record<string, string> = {
      'acme.date': '() => ({ output: { when: new Date(0) } })',
      'acme.fn': '() => ({ list: [1, () => 2] })',
      'acme.nan': '() => Number.NaN',
      'acme.map': '() => new Map()',
      'acme.cycle': '() => { const a = {}; a.self = a; return a; }',
      'acme.bigint': '() => 10n',
    };
    for (const [type, run] of Object.entries(cases)) await write(`${type}.mjs`, plugin(type, run));
    const executors = await loadPlugins(dir, { builtinTypes: BUILTINS });
    const harness = await createActionHarness();
    const messages: Record<string, string> = {};
    for (const type of Object.keys(cases)) {
      const error = await failure(
        byType(executors, type).run(harness.context, { service: 'x', replicas: 1 }),
      );
      expect(error.code, type).toBe('PLUGIN_OUTPUT');
      messages[type] = error.message;
    }
    expect(messages['acme.date']).toContain('at output.when: a Date object is not JSON');
    expect(messages['acme.fn']).toContain('at output.list[1]: a function is not JSON');
    expect(messages['acme.cycle']).toContain('at output.self: it refers to itself');
  });

  it('wraps an error the plugin throws, masking secrets in its message', async () => {
    await write(
      'boom.mjs',
      plugin('acme.boom', `() => { throw new Error('connect to https://admin:hunter2@db.example failed'); }`),
    );
    const [boom] = await loadPlugins(dir, { builtinTypes: BUILTINS });
    if (boom === undefined) throw new Error('not loaded');
    const harness = await createActionHarness({ action: 'Deploy' });
    const error = await failure(boom.run(harness.context, { service: 'x', replicas: 1 }));
    expect(error.code).toBe('ACTION_FAILED');
    expect(error.message).toMatch(/^Deploy \(acme\.boom\) failed: /);
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses bad modules, listing every problem, and loads none of them', async () => {
    await write('good.mjs', plugin('acme.good', '() => 1'));
    await write('broken.mjs', 'export default {');
    await write('empty.mjs', 'export const nothing = 1;');
    await write('shape.mjs', `export default { type: 'Deploy', params: {}, run: 'no' };`);
    await write('builtin.mjs', plugin('http.request', '() => 1'));
    await write('twice.mjs', plugin('acme.good', '() => 2'));
    const error = await failure(loadPlugins(dir, { builtinTypes: BUILTINS }));
    expect(error.code).toBe('PLUGIN');
    expect(error.details).toEqual([
      expect.stringMatching(/^broken\.mjs: cannot be imported: /),
      'empty.mjs: exports no plugin (export default { type, params, run }, or `executor`)',
      'shape.mjs: type "Deploy" must be lowercase words joined by dots, e.g. "acme.deploy"; params must be a zod schema (z.object({ … })); run must be a function (ctx, params, signal)',
      'builtin.mjs: type "http.request" is a built-in type; a plugin cannot replace it',
      'twice.mjs: type "acme.good" is already defined by good.mjs',
    ]);
    expect(error.message).toMatch(/^5 plugin problems: broken\.mjs: /);
    expect(error.hint).toContain(dir);
  });

  it('names the single problem in the message, and refuses a directory it cannot read', async () => {
    await write('solo.mjs', `export default { type: 'acme.solo', params: { parse() {} }, run() {} };`);
    const error = await failure(loadPlugins(dir, { builtinTypes: BUILTINS }));
    expect(error.message).toBe('solo.mjs: params must be a zod schema (z.object({ … }))');

    const missing = await failure(loadPlugins(join(dir, 'nope'), { builtinTypes: BUILTINS }));
    expect(missing.code).toBe('PLUGIN');
    expect(missing.message).toContain('cannot be read');
  });

  it('loads nothing from an empty directory', async () => {
    expect(await loadPlugins(dir, { builtinTypes: BUILTINS })).toEqual([]);
  });
});
