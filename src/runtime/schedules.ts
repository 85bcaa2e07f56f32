/**
 * Schedules: a `[[triggers]]` entry with `schedule = "0 9 * * 1"` (five-field cron: minute, hour,
 * day of month, month, day of week) and `timezone` (an IANA zone, default UTC) fires at those
 * times; its handler runs, or, without one, a run of the channel's runnable version starts
 * (EventRouter.fireSchedule). A tick is identified by trigger and scheduled time, so two processes
 * that both see it start one run.
 *
 * The Scheduler port keeps each channel's schedules in step with its runnable version (`sync`
 * when that version changes). Two implementations: in-process timers for embedded mode
 * (schedules-timers.ts) and BullMQ job schedulers on Redis (schedules-bullmq.ts).
 */
import { CronExpressionParser } from 'cron-parser';
import type { AitwsDocument } from '../document/types.js';
import type { ChannelKey } from '../session/port.js';
import { scheduledTriggers } from './events-match.js';

/** What a scheduler calls at each tick: the router's fireSchedule. Its failures are logged, not retried. */
export type ScheduleFire = (
  channel: ChannelKey,
  tick: { readonly trigger: string; readonly at: Date },
) => Promise<unknown>;

export interface Scheduler {
  /**
   * Registers `document`'s schedules for `channel`, replacing what was there (null: the channel has
   * no runnable version any more, its schedules go). A schedule whose cron text or zone is
   * malformed is left out (pre-flight reports it).
   */
  sync(channel: ChannelKey, document: AitwsDocument | null): Promise<void>;
  close(): Promise<void>;
}

export interface ChannelSchedule {
  readonly trigger: string;
  readonly pattern: string;
  readonly timezone: string;
}

const FIELDS = 5;

/** Undefined when `text` is a five-field cron schedule in a known `timezone`, else what is wrong. */
export function checkSchedule(text: string, timezone = 'UTC'): string | undefined {
  const fields = text.trim().split(/\s+/);
  if (text.trim() === '' || fields.length !== FIELDS)
    return `expected five fields (minute hour day-of-month month day-of-week), e.g. "0 9 * * 1" for Mondays at 9:00; got ${fields.length}`;
  if (!knownZone(timezone))
    return `unknown time zone "${timezone}"; use an IANA name such as "UTC" or "Europe/Paris"`;
  try {
    CronExpressionParser.parse(fields.join(' '), { tz: timezone, currentDate: new Date(0) }).next();
    return undefined;
  } catch (error) {
    return `not a cron schedule: ${(error as Error).message}`;
  }
}

function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The first time strictly after `after` that the schedule fires. */
export function nextFireTime(schedule: ChannelSchedule, after: Date): Date {
  const expression = CronExpressionParser.parse(schedule.pattern, {
    tz: schedule.timezone,
    currentDate: after,
  });
  return expression.next().toDate();
}

/** The document's well-formed schedules (a trigger named twice: the first). */
export function channelSchedules(document: AitwsDocument | null): ChannelSchedule[] {
  if (document === null) return [];
  const seen = new Set<string>();
  const schedules: ChannelSchedule[] = [];
  for (const trigger of scheduledTriggers(document)) {
    if (seen.has(trigger.name) || checkSchedule(trigger.schedule, trigger.timezone) !== undefined) continue;
    seen.add(trigger.name);
    schedules.push({
      trigger: trigger.name,
      pattern: trigger.schedule.trim().split(/\s+/).join(' '),
      timezone: trigger.timezone,
    });
  }
  return schedules;
}
