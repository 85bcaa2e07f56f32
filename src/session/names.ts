/**
 * Rules for workspace-library names that every store shares, so /save name=… behaves the same on
 * files and on Redis.
 */
import { AitwsError } from '../errors.js';

const SAVED_NAME = /^[A-Za-z0-9 _.-]{1,64}$/;

/** Throws a USAGE error unless `name` is 1–64 letters, digits, spaces, `_`, `.` or `-`. */
export function assertSavedName(name: string): void {
  if (SAVED_NAME.test(name) && name.trim() !== '') return;
  throw new AitwsError('USAGE', `"${name.slice(0, 80)}" is not a valid name for a saved workflow.`, {
    hint: 'Use 1 to 64 letters, digits, spaces, "_", "." or "-", for example name="baseline-v2".',
  });
}

/** listNamed order: by code unit, so every store sorts identically regardless of locale. */
export function compareSavedNames(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
