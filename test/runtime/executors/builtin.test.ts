import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AitwsError } from '../../../src/errors.js';
import { type Executor, executorRegistry } from '../../../src/runtime/executor.js';
import { builtinExecutors } from '../../../src/runtime/executors/index.js';

const noop = (type: string): Executor => ({
  type,
  summary: 'test',
  params: z.unknown(),
  run: async () => ({ kind: 'done', output: null }),
});

describe('builtinExecutors', () => {
  it('gives the five built-ins plus the extra ones', () => {
    const registry = executorRegistry(builtinExecutors({ extra: [noop('human.approval')] }));
    expect(registry.types()).toEqual([
      'chat.notify',
      'emit',
      'http.request',
      'human.approval',
      'transform',
      'wait',
    ]);
  });

  it('refuses an extra executor that reuses a built-in type', () => {
    const error = (() => {
      try {
        builtinExecutors({ extra: [noop('http.request')] });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AitwsError);
    expect((error as AitwsError).code).toBe('CONFIG');
  });
});
