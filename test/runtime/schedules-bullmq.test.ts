/**
 * The BullMQ Scheduler against a real redis-server: job schedulers registered, replaced and
 * removed by sync (one per trigger whatever the number of processes syncing), and a tick taken by
 * a worker arriving as the trigger and its scheduled time.
 */
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AitwsDocument } from '../../src/document/types.js';
import { BullScheduler } from '../../src/runtime/schedules-bullmq.js';
import type { ChannelKey } from '../../src/session/port.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { deletePrefix, type RedisServer, startRedis, uniquePrefix, waitFor } from '../support/redis.js';

const CHANNEL: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C:odd/name' };
const HEAD = '[metadata]\nname = "Scheduled"\nversion = "1"\n';

function document(triggers: readonly { name: string; schedule: string; timezone?: string }[]): AitwsDocument {
  const text = triggers
    .map(
      (trigger) =>
        `[[triggers]]\nname = "${trigger.name}"\nschedule = "${trigger.schedule}"\n` +
        (trigger.timezone === undefined ? '' : `timezone = "${trigger.timezone}"\n`),
    )
    .join('');
  return parse(HEAD + text) as AitwsDocument;
}

let redis: RedisServer;
let admin: RedisClient;
beforeAll(async () => {
  redis = await startRedis();
  admin = createRedisClient(redis.url);
});
afterAll(async () => {
  await closeRedisClient(admin);
  await redis.stop();
});

async function withSchedulers(
  count: number,
  test: (schedulers: BullScheduler[], prefix: string) => Promise<void>,
): Promise<void> {
  const prefix = `{${uniquePrefix('sched')}}`;
  const schedulers = Array.from(
    { length: count },
    () => new BullScheduler({ connection: redis.url, prefix }),
  );
  try {
    await test(schedulers, prefix);
  } finally {
    for (const scheduler of schedulers) await scheduler.close();
    await deletePrefix(admin, prefix);
  }
}

describe('BullScheduler', () => {
  it('registers one job scheduler per trigger, replaces a changed one and removes what is gone', async () => {
    await withSchedulers(2, async ([one, two]) => {
      if (one === undefined || two === undefined) throw new Error('two schedulers');
      const both = document([
        { name: 'Weekly', schedule: '0 9 * * 1', timezone: 'Europe/Paris' },
        { name: 'Nightly', schedule: '0 2 * * *' },
      ]);
      await one.sync(CHANNEL, both);
      // Another process syncing the same version changes nothing.
      await two.sync(CHANNEL, both);
      expect(await one.queue.getJobSchedulersCount()).toBe(2);
      expect(
        (await two.scheduled(CHANNEL)).map(({ trigger, pattern, timezone }) => [trigger, pattern, timezone]),
      ).toEqual([
        ['Nightly', '0 2 * * *', 'UTC'],
        ['Weekly', '0 9 * * 1', 'Europe/Paris'],
      ]);
      const [nightly] = await one.scheduled(CHANNEL);
      expect(new Date(nightly?.next ?? 0).toISOString()).toMatch(/T02:00:00\.000Z$/);

      await one.sync(
        CHANNEL,
        document([{ name: 'Weekly', schedule: '30 8 * * 1-5', timezone: 'Europe/Paris' }]),
      );
      expect(await one.scheduled(CHANNEL)).toMatchObject([
        { trigger: 'Weekly', pattern: '30 8 * * 1-5', timezone: 'Europe/Paris' },
      ]);
      expect(await one.queue.getJobSchedulersCount()).toBe(1);
      // One delayed tick: the replaced schedule's pending tick went with it.
      expect(await one.queue.getDelayedCount()).toBe(1);

      await two.sync(CHANNEL, null);
      expect(await one.scheduled(CHANNEL)).toEqual([]);
      expect(await one.queue.getJobSchedulersCount()).toBe(0);
      expect(await one.queue.getDelayedCount()).toBe(0);
    });
  });

  it('keeps channels apart', async () => {
    await withSchedulers(1, async ([scheduler]) => {
      if (scheduler === undefined) throw new Error('a scheduler');
      const other: ChannelKey = { ...CHANNEL, channel: 'C2' };
      await scheduler.sync(CHANNEL, document([{ name: 'Weekly', schedule: '0 9 * * 1' }]));
      await scheduler.sync(other, document([{ name: 'Weekly', schedule: '0 10 * * 1' }]));
      await scheduler.sync(CHANNEL, null);
      expect(await scheduler.scheduled(CHANNEL)).toEqual([]);
      expect(await scheduler.scheduled(other)).toMatchObject([{ trigger: 'Weekly', pattern: '0 10 * * 1' }]);
    });
  });

  it('a worker takes a tick and fires the trigger with its channel and scheduled time', async () => {
    await withSchedulers(2, async ([producer, worker]) => {
      if (producer === undefined || worker === undefined) throw new Error('two schedulers');
      const ticks: { channel: ChannelKey; trigger: string; at: string }[] = [];
      await worker.work(async (channel, tick) => {
        ticks.push({ channel, trigger: tick.trigger, at: tick.at.toISOString() });
      });
      await producer.sync(
        CHANNEL,
        document([{ name: 'Weekly', schedule: '0 9 * * 1', timezone: 'Europe/Paris' }]),
      );
      const [scheduled] = await producer.scheduled(CHANNEL);
      const due = scheduled?.next ?? 0;
      // Rather than wait for Monday: the pending tick is promoted, as if its time had come.
      const [job] = await producer.queue.getDelayed();
      expect(job?.id).toBe(`repeat:${producer.schedulerId(CHANNEL, 'Weekly')}:${due}`);
      await job?.promote();
      await waitFor(async () => ticks.length > 0, 10_000);
      expect(ticks).toEqual([{ channel: CHANNEL, trigger: 'Weekly', at: new Date(due).toISOString() }]);
      // Monday 9:00 in Paris.
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Paris',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
      }).format(new Date(due));
      expect(local).toBe('Mon 09:00');
    });
  });
});
