/**
 * What a `[[handlers]]` entry's `action` names: an action of the document, `Notify<Role>` (the
 * sample's `NotifyAdministrator`: a `chat.notify` to the run's channel), or an action type run
 * with the handler's own `with`. Read by the plan compiler and by pre-flight.
 */
import { canonicalName } from '../document/entry-names.js';
import { newTable } from '../document/tree.js';
import type { TomlTable } from '../document/types.js';
import type { NamedEntry, Outline, OutlineAction } from './preflight-outline.js';

export type HandlerTarget =
  | { readonly kind: 'action'; readonly action: OutlineAction }
  | { readonly kind: 'notify'; readonly role: NamedEntry }
  | { readonly kind: 'type'; readonly type: string }
  /** No `action`, or not a string (validation reports the type). */
  | { readonly kind: 'none' };

/** The forms `Notify<Role>` takes: the role's name as written, and without its spaces. */
export function notifyNames(role: string): string[] {
  const compact = `Notify${role.replace(/\s+/g, '')}`;
  const written = `Notify${role}`;
  return written === compact ? [written] : [written, compact];
}

/** An action of the document first (the name is the author's), then `Notify<Role>`, then a type. */
export function handlerTarget(entry: NamedEntry, outline: Outline): HandlerTarget {
  const name = entry.table.action;
  if (typeof name !== 'string' || name.trim() === '') return { kind: 'none' };
  const [action] = outline.actionsNamed(name);
  if (action !== undefined) return { kind: 'action', action };
  if (name.startsWith('Notify')) {
    const wanted = canonicalName(name);
    const role = outline.roles.entries.find((candidate) =>
      notifyNames(candidate.name).some((form) => canonicalName(form) === wanted),
    );
    if (role !== undefined) return { kind: 'notify', role };
  }
  return { kind: 'type', type: name };
}

/** A name shown in template text: `{{` in it must stay text (`\{{` is a literal `{{`). */
function literal(text: string): string {
  return text.replaceAll('{{', '\\{{');
}

/**
 * The `chat.notify` parameters of `Notify<Role>`: "Workflow event <event>: …", the event's type
 * read from `run.event`, which the engine sets while it runs a handler.
 */
export function notifyParameters(handler: string, role: string): TomlTable {
  const parameters = newTable();
  parameters.text = `Workflow event {{ run.event }}: for the attention of ${literal(role)} (handler ${literal(handler)}).`;
  return parameters;
}
