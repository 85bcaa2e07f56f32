/**
 * The built-in executors, ready for executorRegistry:
 *
 *   executorRegistry(builtinExecutors({ http: { maxResponseBytes }, extra: [humanApprovalExecutor,
 *     createAiInvokeExecutor(…), ...await loadPlugins(dir, …)] }))
 *
 * `extra` is where executors built elsewhere join (human.approval, ai.invoke, plugins). A type may
 * be given once: a plugin cannot replace http.request (and with it the origin rule) by reusing
 * its name.
 */
import { AitwsError } from '../../errors.js';
import type { Executor } from '../executor.js';
import { chatNotifyExecutor } from './chat-notify.js';
import { emitExecutor } from './emit.js';
import { createHttpRequestExecutor, type HttpRequestOptions } from './http-request.js';
import { transformExecutor } from './transform.js';
import { waitExecutor } from './wait.js';

export { chatNotifyExecutor } from './chat-notify.js';
export { emitExecutor } from './emit.js';
export {
  createHttpRequestExecutor,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_RESPONSE_BYTES,
  type HttpRequestOptions,
} from './http-request.js';
export { transformExecutor } from './transform.js';
export { deliverEventToWait, deliverEventToWaitingStep, type WaitMemo, waitExecutor } from './wait.js';

export interface BuiltinExecutorOptions {
  readonly http?: HttpRequestOptions;
  /** human.approval, ai.invoke, plugins: built by their own modules. */
  readonly extra?: readonly Executor[];
}

export function builtinExecutors(options: BuiltinExecutorOptions = {}): Executor[] {
  const executors: Executor[] = [
    transformExecutor,
    createHttpRequestExecutor(options.http),
    chatNotifyExecutor,
    emitExecutor,
    waitExecutor,
    ...(options.extra ?? []),
  ];
  const seen = new Set<string>();
  for (const executor of executors) {
    if (seen.has(executor.type)) {
      throw new AitwsError('CONFIG', `Two executors claim the action type "${executor.type}".`, {
        hint: 'Rename the plugin type (built-in types cannot be replaced).',
      });
    }
    seen.add(executor.type);
  }
  return executors;
}
