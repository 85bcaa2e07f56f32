/**
 * Schedules: the cron check pre-flight uses, the in-process scheduler on a clock the test moves
 * (right minute in the schedule's zone, once per tick, replaced and removed by sync), and ticks
 * through the EventRouter starting one run however many processes see them.
 */

import { parse } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';
import type { AitwsDocument } from '../../src/document/types.js';
import { checkSchedule, nextFireTime } from '../../src/runtime/schedules.js';
import { type SchedulerClock, TimerScheduler } from '../../src/runtime/schedules-timers.js';
import type { ChannelKey } from '../../src/session/port.js';
import { waitFor } from '../support/redis.js';
import { CHANNEL, createEventsHarness, type EventsHarness, HEAD } from './events-harness.js';

interface Timer {
  readonly at: number;
  readonly fire: () => void;
  cancelled: boolean;
}

/** Time moves only when the test says; due timers fire in order, each at its own time. */
class ManualClock implements SchedulerClock {
  #now: number;
  readonly #timers: Timer[] = [];
  constructor(start: string) {
    this.#now = Date.parse(start);
  }
  now(): Date {
    return new Date(this.#now);
  }
  at(when: Date, fire: () => void): () => void {
    const timer: Timer = { at: when.getTime(), fire, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }
  /** Fires every timer due by `target` at its time; `late`: they fire at `target` instead. */
  advanceTo(target: string, options: { readonly late?: boolean } = {}): void {
    const end = Date.parse(target);
    for (;;) {
      const due = this.#timers
        .filter((timer) => !timer.cancelled && timer.at <= end)
        .sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers.splice(this.#timers.indexOf(due), 1);
      this.#now = options.late === true ? end : due.at;
      due.fire();
    }
    this.#now = end;
  }
  pending(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }
}

interface Tick {
  readonly channel: ChannelKey;
  readonly trigger: string;
  readonly at: string;
}

function scheduled(schedule: string, timezone?: string, name = 'Weekly', handler?: string): AitwsDocument {
  const zone = timezone === undefined ? '' : `timezone = "${timezone}"\n`;
  const handled = handler === undefined ? '' : `handler = "${handler}"\n`;
  return parse(
    `${HEAD}[[triggers]]\nname = "${name}"\nschedule = "${schedule}"\n${zone}${handled}`,
  ) as AitwsDocument;
}

function recorder(): {
  ticks: Tick[];
  fire: (channel: ChannelKey, tick: { trigger: string; at: Date }) => Promise<void>;
} {
  const ticks: Tick[] = [];
  return {
    ticks,
    fire: async (channel, tick) => {
      ticks.push({ channel, trigger: tick.trigger, at: tick.at.toISOString() });
    },
  };
}

describe('checkSchedule', () => {
  it('accepts five-field cron in a known zone and says what is wrong otherwise', () => {
    expect(checkSchedule('0 9 * * 1')).toBeUndefined();
    expect(checkSchedule('*/15 8-18 * * mon-fri', 'Europe/Paris')).toBeUndefined();
    expect(checkSchedule('0 9 * *')).toMatch(/expected five fields.*got 4/);
    expect(checkSchedule('0 0 9 * * 1')).toMatch(/expected five fields.*got 6/);
    expect(checkSchedule('61 9 * * 1')).toMatch(/^not a cron schedule: .*61/);
    expect(checkSchedule('0 9 * * 1', 'Mars/Olympus')).toMatch(/unknown time zone "Mars\/Olympus"/);
    expect(checkSchedule('')).toMatch(/expected five fields/);
  });

  it('computes the next time in the schedule’s zone, daylight saving included', () => {
    const schedule = { trigger: 'T', pattern: '0 9 * * 1', timezone: 'Europe/Paris' };
    // Winter (UTC+1), then summer (UTC+2) after the last Sunday of March.
    expect(nextFireTime(schedule, new Date('2025-03-18T00:00:00Z')).toISOString()).toBe(
      '2025-03-24T08:00:00.000Z',
    );
    expect(nextFireTime(schedule, new Date('2025-03-25T00:00:00Z')).toISOString()).toBe(
      '2025-03-31T07:00:00.000Z',
    );
  });
});

describe('TimerScheduler', () => {
  it('fires at the right minute in the trigger’s zone, once per occurrence', async () => {
    const clock = new ManualClock('2025-03-28T00:00:00Z');
    const { ticks, fire } = recorder();
    const scheduler = new TimerScheduler({ fire, clock });
    await scheduler.sync(CHANNEL, scheduled('0 9 * * 1', 'Europe/Paris'));
    clock.advanceTo('2025-03-31T06:59:59Z');
    expect(ticks).toEqual([]);
    clock.advanceTo('2025-03-31T07:00:00Z');
    clock.advanceTo('2025-04-06T23:00:00Z');
    expect(ticks).toEqual([{ channel: CHANNEL, trigger: 'Weekly', at: '2025-03-31T07:00:00.000Z' }]);
    clock.advanceTo('2025-04-07T07:00:00Z');
    expect(ticks.map((tick) => tick.at)).toEqual(['2025-03-31T07:00:00.000Z', '2025-04-07T07:00:00.000Z']);
    await scheduler.close();
    expect(clock.pending()).toBe(0);
  });

  it('without a zone it is UTC; every minute fires each minute once, and a late timer does not catch up twice', async () => {
    const clock = new ManualClock('2025-01-01T00:00:30Z');
    const { ticks, fire } = recorder();
    const scheduler = new TimerScheduler({ fire, clock });
    await scheduler.sync(CHANNEL, scheduled('* * * * *'));
    clock.advanceTo('2025-01-01T00:05:00Z');
    expect(ticks.map((tick) => tick.at.slice(11, 16))).toEqual(['00:01', '00:02', '00:03', '00:04', '00:05']);
    // The process was asleep for an hour: the overdue tick fires once, then the schedule goes on.
    clock.advanceTo('2025-01-01T01:05:30Z', { late: true });
    expect(ticks.map((tick) => tick.at.slice(11, 16)).slice(5)).toEqual(['00:06']);
    clock.advanceTo('2025-01-01T01:06:00Z');
    expect(ticks.map((tick) => tick.at.slice(11, 16)).slice(5)).toEqual(['00:06', '01:06']);
    await scheduler.close();
  });

  it('sync replaces a changed schedule, keeps an unchanged one and removes what is gone', async () => {
    const clock = new ManualClock('2025-01-01T00:00:00Z');
    const { ticks, fire } = recorder();
    const scheduler = new TimerScheduler({ fire, clock });
    await scheduler.sync(CHANNEL, scheduled('0 9 * * *'));
    await scheduler.sync(CHANNEL, scheduled('0 9 * * *'));
    expect(clock.pending()).toBe(1);
    await scheduler.sync(CHANNEL, scheduled('30 8 * * *', 'Asia/Tokyo'));
    expect(scheduler.scheduled(CHANNEL)).toEqual([
      { trigger: 'Weekly', pattern: '30 8 * * *', timezone: 'Asia/Tokyo' },
    ]);
    clock.advanceTo('2025-01-02T00:00:00Z');
    // 08:30 in Tokyo is 23:30 UTC the day before; 09:00 UTC is gone.
    expect(ticks.map((tick) => tick.at)).toEqual(['2025-01-01T23:30:00.000Z']);
    await scheduler.sync(CHANNEL, null);
    expect(scheduler.scheduled(CHANNEL)).toEqual([]);
    clock.advanceTo('2025-01-05T00:00:00Z');
    expect(ticks).toHaveLength(1);
    await scheduler.close();
  });

  it('leaves out a malformed schedule (pre-flight reports it) and keeps the others', async () => {
    const clock = new ManualClock('2025-01-01T00:00:00Z');
    const scheduler = new TimerScheduler({ fire: recorder().fire, clock });
    const document = parse(
      `${HEAD}[[triggers]]\nname = "Bad"\nschedule = "every monday"\n[[triggers]]\nname = "Good"\nschedule = "0 9 * * 1"\n`,
    ) as AitwsDocument;
    await scheduler.sync(CHANNEL, document);
    expect(scheduler.scheduled(CHANNEL).map((schedule) => schedule.trigger)).toEqual(['Good']);
    await scheduler.close();
  });
});

describe('schedule ticks through the router', () => {
  let h: EventsHarness;
  afterEach(async () => {
    await h.close();
  });

  const WORKFLOW =
    '[[stages]]\nname = "Report"\norder = 1\n' +
    '[[stages.actions]]\nname = "Post"\ntype = "chat.notify"\nwith = { text = "Report for {{ inputs.scheduled_at }}" }\n';

  it('a tick without a handler starts a run; two processes seeing the same tick start one', async () => {
    h = await createEventsHarness();
    h.setDocument(`${HEAD}${WORKFLOW}[[triggers]]\nname = "Monday"\nschedule = "0 9 * * 1"\n`);
    const clock = new ManualClock('2025-01-05T12:00:00Z');
    const one = new TimerScheduler({ fire: (channel, tick) => h.router.fireSchedule(channel, tick), clock });
    const other = h.makeRouter();
    const two = new TimerScheduler({ fire: (channel, tick) => other.fireSchedule(channel, tick), clock });
    const document = h.version()?.document ?? null;
    await one.sync(CHANNEL, document);
    await two.sync(CHANNEL, document);
    clock.advanceTo('2025-01-06T09:00:00Z');
    // The ticks' fires run on their own (a scheduler does not wait for them): wait for the run.
    await waitFor(async () => (await h.runs()).some((run) => run.state === 'succeeded'), 5000);
    await h.settle();
    const runs = await h.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      state: 'succeeded',
      inputs: { trigger: 'Monday', scheduled_at: '2025-01-06T09:00:00.000Z' },
    });
    expect(runs[0]?.id).toMatch(/^s[a-z2-9]{16}$/);
    expect(h.posts.map((post) => post.text)).toEqual(['Report for 2025-01-06T09:00:00.000Z']);
    await one.close();
    await two.close();
  });

  it('a tick with a handler runs it, and a tick for a trigger no longer there does nothing', async () => {
    h = await createEventsHarness();
    h.setDocument(
      `${HEAD}[[roles]]\nname = "Ops"\n[[triggers]]\nname = "Nightly"\nschedule = "0 2 * * *"\nhandler = "Remind"\n` +
        '[[handlers]]\nname = "Remind"\naction = "NotifyOps"\n',
    );
    const fired = await h.router.fireSchedule(CHANNEL, {
      trigger: 'Nightly',
      at: new Date('2025-01-06T02:00:00Z'),
    });
    expect(fired?.outcome).toMatchObject({ kind: 'action', type: 'chat.notify', result: { ok: true } });
    expect(h.posts.map((post) => post.text)).toEqual([
      'Workflow event schedule: for the attention of Ops (handler Remind).',
    ]);
    const again = await h.router.fireSchedule(CHANNEL, {
      trigger: 'Nightly',
      at: new Date('2025-01-06T02:00:00Z'),
    });
    expect(again).toBeUndefined();
    expect(await h.router.fireSchedule(CHANNEL, { trigger: 'Gone', at: new Date() })).toBeUndefined();
    expect(h.posts).toHaveLength(1);
    expect(await h.runs()).toEqual([]);
  });
});
