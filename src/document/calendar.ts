/**
 * Dates that do not exist. smol-toml reads `2024-02-30` as 1 March without a word (JavaScript's
 * Date rolls the day over), so a typo would change a value silently and `fmt --write` would
 * rewrite the file that way. Each such date is refused instead.
 */

/**
 * A TOML date written as a value: at the start of a word, after `=`, or as an item of an inline
 * list. Inside a quoted string only text such as `"due = 2024-02-30"` can look like one; that is
 * refused too, but only in a document that holds real dates (see containsDate).
 */
const DATE_VALUE = /(^|=|\[|,)\s*(\d{4})-(\d{2})-(\d{2})/g;

function daysIn(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one (months are 0-based in Date.UTC).
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `2024-02-30` → a reason it is not a date; undefined for a real one. */
function impossibleDate(year: number, month: number, day: number): string | undefined {
  if (month < 1 || month > 12) return `there is no month ${month}`;
  const last = daysIn(year, month);
  if (day < 1 || day > last) return `the month has ${last} days`;
  return undefined;
}

export interface ImpossibleDate {
  readonly text: string;
  /** Offset of the date in the text. */
  readonly index: number;
  readonly reason: string;
}

/** The first date written as a value in `text` that does not exist, if any. */
export function findImpossibleDate(text: string): ImpossibleDate | undefined {
  for (const match of text.matchAll(DATE_VALUE)) {
    const [whole, , year = '', month = '', day = ''] = match;
    const reason = impossibleDate(Number(year), Number(month), Number(day));
    if (reason === undefined) continue;
    const date = `${year}-${month}-${day}`;
    return { text: date, index: (match.index ?? 0) + whole.length - date.length, reason };
  }
  return undefined;
}

/** Whether a parsed value holds a date anywhere: only then can its source hide an impossible one. */
export function containsDate(value: unknown): boolean {
  if (value instanceof Date) return true;
  if (Array.isArray(value)) return value.some(containsDate);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(containsDate);
  return false;
}
