/**
 * Autocomplete for section names, field names, entry keys, help topics and saved workflows, from
 * the spec registry (and, for keys and saved names, the store). Discord replaces the whole option
 * with the chosen value and shows it as typed, so each choice's name is its full value, and a
 * choice longer than 100 characters cannot be offered at all.
 */
import type { CommandDefinition } from '../../commands/types.js';
import { isTable, resolveSectionPath, SECTIONS } from '../../document/index.js';
import type { FieldSpec } from '../../document/types.js';
import type { ChannelKey, SessionStore } from '../../session/port.js';
import { within } from '../../timing.js';
import { tomlString } from './command-text.js';
import { type Completion, optionsFor } from './options.js';
import { LIMITS } from './payload.js';

export interface Choice {
  readonly name: string;
  readonly value: string;
}

export interface CompletionContext {
  readonly sessions: SessionStore;
  readonly channel: ChannelKey;
  readonly commands: readonly CommandDefinition[];
  /** Autocomplete must answer in 3 s like everything else; the store gets a fraction of that. */
  readonly storeTimeoutMs: number;
}

const MAX_CHOICES = LIMITS.choices;

function sectionPaths(): string[] {
  return SECTIONS.flatMap((s) => [s.name, ...(s.children ?? []).map((c) => `${s.name}.${c.name}`)]);
}

/** Prefix matches first, then names containing the typed text, in registry order. */
function rank(candidates: readonly string[], typed: string): string[] {
  const needle = typed.trim().toLowerCase();
  const prefix = candidates.filter((c) => c.toLowerCase().startsWith(needle));
  const inside = candidates.filter((c) => !prefix.includes(c) && c.toLowerCase().includes(needle));
  return [...prefix, ...inside];
}

function toChoices(values: readonly string[]): Choice[] {
  const seen = new Set<string>();
  const choices: Choice[] = [];
  for (const value of values) {
    if (value.length < 1 || value.length > LIMITS.choiceValue || seen.has(value)) continue;
    seen.add(value);
    choices.push({ name: value, value });
    if (choices.length === MAX_CHOICES) break;
  }
  return choices;
}

function placeholder(field: FieldSpec): string {
  const example = field.example ?? field.knownValues?.[0];
  switch (field.type) {
    case 'integer':
    case 'number':
      return example ?? String(field.min ?? 0);
    case 'boolean':
      return example ?? 'true';
    case 'string[]':
      return example === undefined ? '[]' : example.startsWith('[') ? example : `[${tomlString(example)}]`;
    case 'table':
      return example ?? '{}';
    case 'table[]':
      return example ?? '[]';
    case 'duration':
      return tomlString(example ?? '30 days');
    case 'url':
      return tomlString(example ?? 'https://');
    default:
      return tomlString(example ?? '');
  }
}

function fieldsOf(section: string | undefined): { fields: readonly FieldSpec[]; parentParam?: string } {
  const resolved = section === undefined ? undefined : resolveSectionPath(section.trim());
  if (resolved === undefined) return { fields: [] };
  if (resolved.child !== undefined)
    return { fields: resolved.child.fields, parentParam: resolved.child.parentParam };
  return { fields: resolved.section.fields };
}

/** `key=value` text typed so far → the same text with one more field, or a value for the last one. */
export function completeParams(section: string | undefined, typed: string): string[] {
  const { fields, parentParam } = fieldsOf(section);
  const quotes = (typed.match(/(?<!\\)"/g) ?? []).length;
  // Inside a quoted value: nothing sensible to add, keep what was typed.
  if (quotes % 2 === 1) return [typed];
  const used = new Set([...typed.matchAll(/(?:^|\s)([A-Za-z0-9_.-]+)\s*=/g)].map((m) => m[1]));
  const last = /(\S*)$/.exec(typed)?.[1] ?? '';
  const before = typed.slice(0, typed.length - last.length);
  const separator = before === '' || /\s$/.test(before) ? '' : ' ';
  const equals = last.indexOf('=');
  if (equals >= 0) {
    const field = fields.find((f) => f.name === last.slice(0, equals));
    const known = field?.knownValues ?? [];
    const started = last.slice(equals + 1).replace(/^"/, '');
    const values = known.filter((v) => v.toLowerCase().startsWith(started.toLowerCase()));
    return [typed, ...values.map((v) => `${before}${last.slice(0, equals)}=${tomlString(v)}`)];
  }
  const names = [...(parentParam === undefined ? [] : [parentParam]), ...fields.map((f) => f.name)];
  const open = rank(
    names.filter((n) => !used.has(n)),
    last,
  );
  return open.map((name) => {
    const field = fields.find((f) => f.name === name);
    const value = field === undefined ? '""' : placeholder(field);
    return `${before}${separator}${name}=${value}`;
  });
}

/** `work`'s result within `ms`, else (or if it fails) `fallback`. */
function withTimeout<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  return within(
    work.catch(() => fallback),
    ms,
    fallback,
  );
}

/** `/remove SECTION …`: field names of a table, `name="X"` of the draft's entries of a list. */
async function completeKey(
  section: string | undefined,
  typed: string,
  context: CompletionContext,
): Promise<string[]> {
  const resolved = section === undefined ? undefined : resolveSectionPath(section.trim());
  if (resolved === undefined) return [];
  if (resolved.child === undefined && resolved.section.kind === 'table') {
    return rank(
      resolved.section.fields.map((f) => f.name),
      typed,
    );
  }
  const record = await withTimeout(context.sessions.read(context.channel), context.storeTimeoutMs, undefined);
  const top = record?.document?.[resolved.section.name];
  if (!Array.isArray(top)) return [];
  const keys: string[] = [];
  const key = resolved.section.key ?? 'name';
  for (const entry of top) {
    if (!isTable(entry)) continue;
    const id = entry[key];
    if (resolved.child === undefined) {
      if (typeof id === 'string') keys.push(`${key}=${tomlString(id)}`);
      continue;
    }
    const children = entry[resolved.child.name];
    if (typeof id !== 'string' || !Array.isArray(children)) continue;
    for (const child of children) {
      const childId = isTable(child) ? child[resolved.child.key] : undefined;
      if (typeof childId === 'string') {
        keys.push(
          `${resolved.child.parentParam}=${tomlString(id)} ${resolved.child.key}=${tomlString(childId)}`,
        );
      }
    }
  }
  return rank(keys, typed);
}

async function completeSaved(typed: string, context: CompletionContext): Promise<string[]> {
  const { platform, workspace } = context.channel;
  const saved = await withTimeout(
    context.sessions.listNamed({ platform, workspace }),
    context.storeTimeoutMs,
    [],
  );
  return rank(
    saved.map((s) => s.name),
    typed,
  );
}

export async function complete(
  command: string,
  focused: { readonly name: string; readonly value: string },
  values: ReadonlyMap<string, string | number | boolean>,
  context: CompletionContext,
): Promise<Choice[]> {
  const spec = optionsFor(command).find((s) => s.name === focused.name);
  const kind: Completion | undefined = spec?.autocomplete;
  const section = values.get('section');
  const chosen = typeof section === 'string' ? section : undefined;
  switch (kind) {
    case 'section':
      return toChoices(rank(sectionPaths(), focused.value));
    case 'topic':
      return toChoices(
        rank([...context.commands.map((c) => c.name), 'sections', ...sectionPaths()], focused.value),
      );
    case 'fields':
      return toChoices(completeParams(chosen, focused.value));
    case 'key':
      return toChoices(await completeKey(chosen, focused.value, context));
    case 'saved':
      return toChoices(await completeSaved(focused.value, context));
    case undefined:
      return [];
  }
}
