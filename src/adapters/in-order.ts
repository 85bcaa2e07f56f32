/**
 * Runs work that shares a key one piece after another, in the order it was handed in. Two clicks
 * on one message (two approvals at once) replace it in the order the core answered them, so the
 * message ends showing the later state, not whichever HTTP request happened to land last. A piece
 * waits for the one before it at most `maxWaitMs`: a stalled request must not hold up every
 * later answer past what the platform allows.
 */
import { within } from '../timing.js';

export type InOrder = <T>(key: string | undefined, work: () => Promise<T>) => Promise<T>;

export function createInOrder(maxWaitMs: number): InOrder {
  // The last piece of work per key, settled either way, so a failure never blocks the next one.
  const tails = new Map<string, Promise<void>>();
  return <T>(key: string | undefined, work: () => Promise<T>): Promise<T> => {
    if (key === undefined) return work();
    const previous = tails.get(key);
    const turn = previous === undefined ? Promise.resolve() : within(previous, maxWaitMs, undefined);
    const running = turn.then(work);
    const tail = running.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return running;
  };
}
