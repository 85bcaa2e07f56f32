/**
 * What a document says about events: its `[[events]]` entries, which `[[triggers]]` an event of a
 * given type fires, and which triggers run on a schedule. Read leniently (validation reports a
 * malformed entry; here it is left out), and cheaply: the engine asks on every lifecycle event.
 *
 * Matching: an `[[events]]` entry matches an event whose type equals its `type` or its `name`
 * (`/emit ModelErrorEvent` and `/emit model_error` both fire the sample's trigger). A trigger fires
 * when its `event` names a matching entry. Names compare in NFC, as everywhere else.
 */
import { canonicalName, sameName } from '../document/entry-names.js';
import { isTable } from '../document/tree.js';
import type { AitwsDocument, TomlTable } from '../document/types.js';

export interface EventEntry {
  readonly name: string;
  /** The entry's `type`, or its name when it has none. */
  readonly type: string;
}

export interface TriggerEntry {
  readonly name: string;
  /** An `[[events]]` name. */
  readonly event?: string;
  /** A `[[handlers]]` name. */
  readonly handler?: string;
  /** Five-field cron text. */
  readonly schedule?: string;
  /** IANA zone of the schedule; UTC when not given. */
  readonly timezone: string;
}

export const DEFAULT_TIMEZONE = 'UTC';
/** `[[handlers]] action = "run"`: the trigger starts a run of the workflow (pre-flight must accept it). */
export const RUN_HANDLER = 'run';

function tables(document: AitwsDocument, section: string): TomlTable[] {
  const value = document[section];
  return Array.isArray(value) ? value.filter(isTable) : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function eventEntries(document: AitwsDocument): EventEntry[] {
  const entries: EventEntry[] = [];
  for (const table of tables(document, 'events')) {
    const name = text(table.name);
    if (name !== undefined) entries.push({ name, type: text(table.type) ?? name });
  }
  return entries;
}

export function triggerEntries(document: AitwsDocument): TriggerEntry[] {
  const entries: TriggerEntry[] = [];
  for (const table of tables(document, 'triggers')) {
    const name = text(table.name);
    if (name === undefined) continue;
    const event = text(table.event);
    const handler = text(table.handler);
    const schedule = text(table.schedule);
    entries.push({
      name,
      ...(event === undefined ? {} : { event }),
      ...(handler === undefined ? {} : { handler }),
      ...(schedule === undefined ? {} : { schedule }),
      timezone: text(table.timezone) ?? DEFAULT_TIMEZONE,
    });
  }
  return entries;
}

/** The `[[events]]` entry `text` names: by name first, then by type. */
export function findEventEntry(document: AitwsDocument, wanted: string): EventEntry | undefined {
  const entries = eventEntries(document);
  return (
    entries.find((entry) => sameName(entry.name, wanted)) ?? entries.find((entry) => entry.type === wanted)
  );
}

/** The event type `/emit NAME` or a webhook for NAME raises: a named entry's type, else NAME itself. */
export function eventTypeOf(document: AitwsDocument, wanted: string): string {
  const entries = eventEntries(document);
  return entries.find((entry) => sameName(entry.name, wanted))?.type ?? wanted;
}

/** Whether any `[[events]]` entry matches `type`: the cheap test before anything else is read. */
export function hasEventEntry(document: AitwsDocument, type: string): boolean {
  const entries = document.events;
  if (!Array.isArray(entries)) return false;
  return entries.some((entry) => isTable(entry) && (entry.type === type || sameName(entry.name, type)));
}

/** The triggers an event of `type` fires, in document order. */
export function triggersFor(document: AitwsDocument, type: string): TriggerEntry[] {
  if (!hasEventEntry(document, type)) return [];
  const names = new Set(
    eventEntries(document)
      .filter((entry) => entry.type === type || sameName(entry.name, type))
      .map((entry) => canonicalName(entry.name)),
  );
  return triggerEntries(document).filter(
    (trigger) => trigger.event !== undefined && names.has(canonicalName(trigger.event)),
  );
}

/** Triggers that run on a schedule, in document order. */
export function scheduledTriggers(document: AitwsDocument): (TriggerEntry & { readonly schedule: string })[] {
  return triggerEntries(document).filter(
    (trigger): trigger is TriggerEntry & { readonly schedule: string } => trigger.schedule !== undefined,
  );
}

export function findTrigger(document: AitwsDocument, name: string): TriggerEntry | undefined {
  return triggerEntries(document).find((trigger) => sameName(trigger.name, name));
}
