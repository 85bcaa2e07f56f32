/**
 * The event side: each `[[triggers]]` entry as an edge from its event (or schedule) to its
 * handler; each `[[handlers]]` entry as a node saying what it runs (an action of the workflow: an
 * edge to it; `Notify<Role>`; `run`: an edge to start; an action type); `on_error = "handler:X"`
 * as an edge from the action to the handler. Names that point at nothing: red "missing" nodes.
 */
import { RUN_HANDLER } from '../runtime/events-match.js';
import { readOnError } from '../runtime/preflight-fields.js';
import { handlerTarget } from '../runtime/preflight-handlers.js';
import type { NamedEntry, Outline, OutlineAction } from '../runtime/preflight-outline.js';
import type { GraphBuilder } from './builder.js';

export interface EventContext {
  readonly builder: GraphBuilder;
  readonly outline: Outline;
  readonly start: string;
  readonly actionNodes: ReadonlyMap<OutlineAction, string>;
}

function handlerNode(context: EventContext, entry: NamedEntry): string {
  const { builder, outline } = context;
  const target = handlerTarget(entry, outline);
  const lines = [`handler: ${entry.name}`];
  if (target.kind === 'notify') lines.push(`notify ${target.role.name} (chat.notify)`);
  else if (target.kind === 'type' && target.type === RUN_HANDLER) lines.push('starts a run');
  else if (target.kind === 'type') lines.push(`runs ${target.type}`);
  else if (target.kind === 'action') lines.push(`runs ${target.action.stage}/${target.action.name}`);
  else lines.push('(no action)');
  const id = builder.node({ kind: 'handler', lines });
  if (target.kind === 'action') {
    const to = context.actionNodes.get(target.action);
    if (to !== undefined) builder.edge({ from: id, to, kind: 'runs', label: 'runs' });
  } else if (target.kind === 'type' && target.type === RUN_HANDLER) {
    builder.edge({ from: id, to: context.start, kind: 'runs', label: 'starts' });
  }
  return id;
}

function sourceNode(
  context: EventContext,
  trigger: NamedEntry,
  events: Map<string, string>,
): string | undefined {
  const { builder, outline } = context;
  const { event, schedule } = trigger.table;
  if (typeof event === 'string') {
    const entry = outline.events.get(event);
    if (entry === undefined) return builder.missing('event', event);
    const known = events.get(entry.name);
    if (known !== undefined) return known;
    const type = entry.table.type;
    const id = builder.node({
      kind: 'event',
      lines: [`event: ${entry.name}`, ...(typeof type === 'string' ? [type] : [])],
    });
    events.set(entry.name, id);
    return id;
  }
  if (typeof schedule === 'string') return builder.node({ kind: 'schedule', lines: ['schedule', schedule] });
  return undefined;
}

export function drawEvents(context: EventContext): void {
  const { builder, outline } = context;
  const handlers = new Map<string, string>();
  for (const entry of outline.handlers.entries) handlers.set(entry.name, handlerNode(context, entry));
  const handlerId = (name: string): string => {
    const entry = outline.handlers.get(name);
    return (entry === undefined ? undefined : handlers.get(entry.name)) ?? builder.missing('handler', name);
  };
  const events = new Map<string, string>();
  for (const trigger of outline.triggers.entries) {
    const from = sourceNode(context, trigger, events);
    const { handler } = trigger.table;
    if (from === undefined || typeof handler !== 'string') continue;
    const to = handlerId(handler);
    const { event } = trigger.table;
    const eventMissing = typeof event === 'string' && outline.events.get(event) === undefined;
    const missing = eventMissing || outline.handlers.get(handler) === undefined;
    builder.edge({ from, to, kind: missing ? 'missing' : 'trigger', label: `trigger: ${trigger.name}` });
  }
  for (const action of outline.actions) {
    const read = readOnError(action.table.on_error);
    if (!read.ok || read.value.kind !== 'handler') continue;
    const from = context.actionNodes.get(action);
    if (from === undefined) continue;
    const name = read.value.handler;
    const known = outline.handlers.get(name) !== undefined;
    if (!known)
      builder.problem(
        `${action.where}.on_error`,
        `Handler "${name}" of action "${action.name}" is not a [[handlers]] entry.`,
      );
    builder.edge({ from, to: handlerId(name), kind: known ? 'on_error' : 'missing', label: 'on error' });
  }
}
