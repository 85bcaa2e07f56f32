import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../src/session/keyed-queue.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('KeyedQueue', () => {
  it('runs work for one key one at a time, in arrival order, and other keys alongside', async () => {
    const queue = new KeyedQueue();
    const events: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const job = (key: string, id: number) =>
      queue.run(key, async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        events.push(`${key}${id}:start`);
        await tick();
        events.push(`${key}${id}:end`);
        running -= 1;
        return id;
      });
    const results = await Promise.all([job('a', 1), job('a', 2), job('b', 1), job('a', 3)]);
    expect(results).toEqual([1, 2, 1, 3]);
    const aEvents = events.filter((e) => e.startsWith('a'));
    expect(aEvents).toEqual(['a1:start', 'a1:end', 'a2:start', 'a2:end', 'a3:start', 'a3:end']);
    expect(maxRunning).toBe(2);
  });

  it('keeps going after a failed job and forgets idle keys', async () => {
    const queue = new KeyedQueue();
    const failed = queue.run('k', async () => {
      throw new Error('boom');
    });
    const next = queue.run('k', async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
    await tick();
    expect(queue.size).toBe(0);
  });
});
