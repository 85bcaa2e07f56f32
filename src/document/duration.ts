/**
 * The one duration parser: every interval, timeout and retention in a document goes
 * through here, so "30 days" means the same thing to the validator, the runtime and the scheduler.
 */
import { AitwsError } from '../errors.js';
import { cutForMessage, maskSecrets } from './redact.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Months and years have no fixed length; they are accepted as 30 and 365 days because people
 * write `key_rotation_interval = "1 year"` and a calendar-exact rotation is not what they ask for.
 */
const UNITS: ReadonlyMap<string, number> = new Map(
  (
    [
      [['ms', 'msec', 'msecs', 'millisecond', 'milliseconds'], 1],
      [['s', 'sec', 'secs', 'second', 'seconds'], SECOND],
      [['m', 'min', 'mins', 'minute', 'minutes'], MINUTE],
      [['h', 'hr', 'hrs', 'hour', 'hours'], HOUR],
      [['d', 'day', 'days'], DAY],
      [['w', 'wk', 'wks', 'week', 'weeks'], 7 * DAY],
      [['mo', 'month', 'months'], 30 * DAY],
      [['y', 'yr', 'yrs', 'year', 'years'], 365 * DAY],
    ] as const
  ).flatMap(([names, ms]) => names.map((name) => [name, ms] as const)),
);

/** Longer text is not a duration anyone typed; refusing it early keeps the scan cheap. */
const MAX_LENGTH = 100;
const PART = /(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)\s*,?\s*(?:and\s+)?/gy;

export const DURATION_EXAMPLES = '"30 days", "5 minutes", "90s", "1.5 hours", "500ms", "1h 30m"';

function invalid(text: string, reason: string): AitwsError {
  const shown = cutForMessage(maskSecrets(text));
  return new AitwsError('VALIDATION', `"${shown}" is not a duration: ${reason}.`, {
    hint: `Write a number and a unit, e.g. ${DURATION_EXAMPLES}.`,
  });
}

/** Milliseconds in a duration such as "30 days", "90s", "1.5 hours" or "1h 30m". */
export function parseDuration(text: string): number {
  if (typeof text !== 'string') throw invalid(String(text), 'expected text');
  if (text.length > MAX_LENGTH) throw invalid(text, `longer than ${MAX_LENGTH} characters`);
  const source = text.trim().toLowerCase();
  if (source === '') throw invalid(text, 'it is empty');
  if (/^[\d.]+$/.test(source)) throw invalid(text, 'the unit is missing');
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < source.length) {
    const start = PART.lastIndex;
    const match = PART.exec(source);
    if (match === null) throw invalid(text, `cannot read "${source.slice(start)}"`);
    const [, amount = '', unit = ''] = match;
    const factor = UNITS.get(unit);
    if (factor === undefined) throw invalid(text, `unknown unit "${unit}"`);
    total += Number(amount) * factor;
  }
  if (!Number.isSafeInteger(Math.round(total))) throw invalid(text, 'it is too long');
  return Math.round(total);
}

export function isDuration(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}
