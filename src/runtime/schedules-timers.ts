/**
 * The in-process Scheduler (embedded mode: the console, a single `serve` on the file store): one
 * timer per schedule, computed with cron-parser in the schedule's zone, re-armed after each tick
 * from the tick's own time, so a tick that fires a little late never fires that minute again.
 * Ticks missed while the process was not running are not caught up.
 *
 * Timers do not keep the process alive (a schedule is no reason for the console to stay open).
 * The clock is injectable: tests move time by hand.
 */
import { type Logger, silentLogger } from '../logging.js';
import type { ChannelKey } from '../session/port.js';
import { channelPath } from './events-ids.js';
import {
  type ChannelSchedule,
  channelSchedules,
  nextFireTime,
  type ScheduleFire,
  type Scheduler,
} from './schedules.js';

export interface SchedulerClock {
  now(): Date;
  /** Calls `fire` at `when`, never before; returns what cancels it. */
  at(when: Date, fire: () => void): () => void;
}

// setTimeout fires at once (with a warning) beyond this; a longer wait is re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: SchedulerClock = {
  now: () => new Date(),
  at(when, fire) {
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const delay = when.getTime() - Date.now();
      if (delay <= 0) {
        fire();
        return;
      }
      timer = setTimeout(arm, Math.min(delay, MAX_TIMER_MS));
      timer.unref();
    };
    timer = setTimeout(arm, 0);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface TimerSchedulerOptions {
  readonly fire: ScheduleFire;
  readonly logger?: Logger;
  readonly clock?: SchedulerClock;
}

interface Armed {
  readonly schedule: ChannelSchedule;
  cancel: () => void;
}

export class TimerScheduler implements Scheduler {
  readonly #fire: ScheduleFire;
  readonly #logger: Logger;
  readonly #clock: SchedulerClock;
  /** channelPath → trigger → its armed timer. */
  readonly #channels = new Map<string, Map<string, Armed>>();
  #closed = false;

  constructor(options: TimerSchedulerOptions) {
    this.#fire = options.fire;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
  }

  async sync(channel: ChannelKey, document: Parameters<Scheduler['sync']>[1]): Promise<void> {
    if (this.#closed) return;
    const key = channelPath(channel);
    const current = this.#channels.get(key) ?? new Map<string, Armed>();
    const wanted = new Map(channelSchedules(document).map((schedule) => [schedule.trigger, schedule]));
    for (const [trigger, armed] of current) {
      if (sameSchedule(armed.schedule, wanted.get(trigger))) wanted.delete(trigger);
      else {
        armed.cancel();
        current.delete(trigger);
      }
    }
    for (const schedule of wanted.values()) {
      const armed: Armed = { schedule, cancel: () => {} };
      current.set(schedule.trigger, armed);
      this.#arm(channel, armed, this.#clock.now());
    }
    if (current.size === 0) this.#channels.delete(key);
    else this.#channels.set(key, current);
  }

  /** The schedules armed for `channel` and when each fires next, for /hooks-like views and tests. */
  scheduled(channel: ChannelKey): readonly ChannelSchedule[] {
    return [...(this.#channels.get(channelPath(channel))?.values() ?? [])].map((armed) => armed.schedule);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const channel of this.#channels.values()) for (const armed of channel.values()) armed.cancel();
    this.#channels.clear();
  }

  #arm(channel: ChannelKey, armed: Armed, after: Date): void {
    const at = nextFireTime(armed.schedule, after);
    armed.cancel = this.#clock.at(at, () => this.#tick(channel, armed, at));
  }

  #tick(channel: ChannelKey, armed: Armed, at: Date): void {
    // Replaced or removed by a sync since it was armed: its successor has its own timer.
    if (this.#closed || this.#channels.get(channelPath(channel))?.get(armed.schedule.trigger) !== armed)
      return;
    const trigger = armed.schedule.trigger;
    this.#fire(channel, { trigger, at }).catch((error: unknown) => {
      this.#logger.warn({ channel, trigger, at: at.toISOString(), err: error }, 'A scheduled trigger failed');
    });
    const now = this.#clock.now();
    this.#arm(channel, armed, now > at ? now : at);
  }
}

function sameSchedule(a: ChannelSchedule, b: ChannelSchedule | undefined): boolean {
  return b !== undefined && a.pattern === b.pattern && a.timezone === b.timezone;
}
