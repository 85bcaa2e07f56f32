/**
 * Entry names are how people and references point at entries, so two that read the same must be
 * the same or be flagged. Names compare in Unicode NFC (a "é" typed as one code point or as "e"
 * plus an accent is one name), and a name that can pass for another one of its list (`Аdmin` with
 * a Cyrillic А beside `Admin`), or that mixes scripts the way such a name does, is a warning: the
 * draft stays editable, but nobody approves or grants to the wrong entry without being told.
 */
import { remove as confusableSkeleton } from 'confusables';
import type { Finding } from '../errors.js';
import { inert } from './inert-text.js';
import type { TomlTable, TomlValue } from './types.js';

/** Printable ASCII, which is already in NFC, its own confusables skeleton, and one script. */
const PLAIN = /^[\x20-\x7e]*$/;

/** The form names are compared and stored in. */
export function canonicalName(name: string): string {
  return PLAIN.test(name) ? name : name.normalize('NFC');
}

/** Whether two key values name the same entry: same type, same text in NFC. */
export function sameName(a: TomlValue | undefined, b: TomlValue): boolean {
  if (a === undefined || typeof a !== typeof b) return false;
  return typeof a === 'string' && typeof b === 'string'
    ? canonicalName(a) === canonicalName(b)
    : String(a) === String(b);
}

/**
 * Scripts whose letters pass for Latin ones, or for each other's; a name is checked only when its
 * letters come from more than one of them. Han, Kana and Hangul mixed with Latin are ordinary
 * (Unicode's "highly restrictive" profile allows them) and are not on this list.
 */
const LOOKALIKE_SCRIPTS: readonly (readonly [string, RegExp])[] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
  ['Coptic', /\p{Script=Coptic}/u],
];

const LETTER = /\p{L}/u;

/** The scripts of `name`'s letters, from LOOKALIKE_SCRIPTS, in order of first use. */
export function lookalikeScripts(name: string): string[] {
  const scripts: string[] = [];
  for (const character of name) {
    if (!LETTER.test(character)) continue;
    const script = LOOKALIKE_SCRIPTS.find(([, pattern]) => pattern.test(character))?.[0];
    if (script !== undefined && !scripts.includes(script)) scripts.push(script);
  }
  return scripts;
}

function mixedScriptsNote(scripts: readonly string[]): string {
  return `mixes ${scripts.slice(0, -1).join(', ')} and ${scripts.at(-1)} letters`;
}

/**
 * Warnings for the names of one list: a name that looks like an earlier one (same skeleton under
 * Unicode's confusables, different text), else a name that mixes scripts. Names equal in NFC are
 * duplicates, reported as errors elsewhere, not here.
 */
export function lookAlikeWarnings(entries: readonly TomlTable[], keyField: string, path: string): Finding[] {
  const findings: Finding[] = [];
  const bySkeleton = new Map<string, string>();
  for (const entry of entries) {
    const key = entry[keyField];
    if (typeof key !== 'string' || key === '') continue;
    // Most names are plain ASCII: already NFC, their own skeleton, one script.
    const plain = PLAIN.test(key);
    const name = canonicalName(key);
    const skeleton = plain ? key : confusableSkeleton(name);
    const earlier = bySkeleton.get(skeleton);
    const scripts = plain ? [] : lookalikeScripts(name);
    if (earlier !== undefined && earlier !== name) {
      findings.push(lookAlike(path, keyField, name, earlier, scripts));
    } else if (scripts.length > 1) {
      findings.push({
        path: `${path}[${inert(name)}]`,
        message: `${keyField} "${inert(name)}" ${mixedScriptsNote(scripts)}, so it can pass for another name`,
        expected: 'a name in one script',
        code: 'LOOK_ALIKE',
      });
    }
    if (earlier === undefined) bySkeleton.set(skeleton, name);
  }
  return findings;
}

function lookAlike(
  path: string,
  keyField: string,
  name: string,
  earlier: string,
  scripts: string[],
): Finding {
  const why = scripts.length > 1 ? ` (it ${mixedScriptsNote(scripts)})` : '';
  return {
    path: `${path}[${inert(name)}]`,
    message: `${keyField} "${inert(name)}" looks like "${inert(earlier)}" but is a different name${why}`,
    // Offered as "did you mean": the likelier intent is the entry that was there first.
    suggestion: inert(earlier),
    code: 'LOOK_ALIKE',
  };
}
