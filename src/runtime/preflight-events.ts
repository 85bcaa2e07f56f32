/**
 * Pre-flight of the event side: `[[triggers]]` naming their event and handler, and `[[handlers]]`
 * naming what they run (an action, `Notify<Role>`, or an action type).
 */
import { BUILTIN_ACTION_TYPES } from '../document/sections.js';
import { joinPath } from '../document/tree.js';
import type { TomlTable } from '../document/types.js';
import { RUN_HANDLER } from './events-match.js';
import type { ExecutorRegistry } from './executor.js';
import type { PreflightProblem } from './plan-types.js';
import { type Runnable, sentence } from './preflight-actions.js';
import { readDuration, readRetry, readWith, retryDefaults } from './preflight-fields.js';
import { handlerTarget, notifyNames, notifyParameters } from './preflight-handlers.js';
import type { Outline } from './preflight-outline.js';
import { problem, unknownName } from './preflight-report.js';
import { checkSchedule } from './schedules.js';

export function checkTriggers(outline: Outline): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  for (const trigger of outline.triggers.entries) {
    const { event, handler, schedule, timezone } = trigger.table;
    const wrong =
      typeof schedule === 'string'
        ? checkSchedule(schedule, typeof timezone === 'string' ? timezone : undefined)
        : undefined;
    if (wrong !== undefined)
      problems.push(
        problem(
          'VALIDATION',
          joinPath(trigger.where, 'schedule'),
          `Schedule of trigger "${trigger.name}": ${wrong}.`,
        ),
      );
    if (typeof event === 'string' && outline.events.get(event) === undefined) {
      const fix = `Name an [[events]] entry in event of trigger "${trigger.name}", or add one named "${event}".`;
      problems.push(
        unknownName(outline, joinPath(trigger.where, 'event'), 'event', event, outline.events.names(), fix),
      );
    }
    if (typeof handler === 'string' && outline.handlers.get(handler) === undefined) {
      const fix = `Name a [[handlers]] entry in handler of trigger "${trigger.name}", or add one named "${handler}".`;
      const where = joinPath(trigger.where, 'handler');
      problems.push(unknownName(outline, where, 'handler', handler, outline.handlers.names(), fix));
    }
  }
  return problems;
}

export interface HandlerCheck {
  readonly problems: PreflightProblem[];
  /** Handlers that run their own action (a type, or Notify<Role>). */
  readonly runnables: Runnable[];
}

/** A type a handler may name: one an executor runs, or a built-in (reported unbound if none runs it). */
function isKnownType(type: string, executors: ExecutorRegistry): boolean {
  return executors.get(type) !== undefined || BUILTIN_ACTION_TYPES.some((builtin) => builtin === type);
}

export function checkHandlers(outline: Outline, executors: ExecutorRegistry): HandlerCheck {
  const problems: PreflightProblem[] = [];
  const runnables: Runnable[] = [];
  for (const entry of outline.handlers.entries) {
    const target = handlerTarget(entry, outline);
    const where = joinPath(entry.where, 'action');
    if (target.kind === 'none') {
      if (entry.table.action === undefined) {
        const message = `Handler "${entry.name}" has no action; add action = "…" (an action of this workflow, Notify<Role>, or an action type).`;
        problems.push(problem('VALIDATION', where, message));
      }
      continue;
    }
    // `run` starts a run of the channel's workflow (src/runtime/events-start.ts).
    if (target.kind === 'action' || (target.kind === 'type' && target.type === RUN_HANDLER)) continue;
    const own = ownFields(entry.table, entry.where);
    problems.push(...own.problems);
    if (target.kind === 'notify') {
      const parameters = notifyParameters(entry.name, target.role.name);
      runnables.push({ where: entry.where, label: `handler ${entry.name}`, type: 'chat.notify', parameters });
    } else if (isKnownType(target.type, executors)) {
      runnables.push({
        where: entry.where,
        label: `handler ${entry.name}`,
        type: target.type,
        ...own.runnable,
      });
    } else {
      const candidates = [
        ...outline.actions.map((action) => action.name),
        ...outline.roles.entries.flatMap((role) => notifyNames(role.name)),
        ...new Set([RUN_HANDLER, ...BUILTIN_ACTION_TYPES, ...executors.types()]),
      ];
      const fix = `Write an action of this workflow, Notify<Role> with a [[roles]] name, or an action type in action of handler "${entry.name}".`;
      problems.push(
        unknownName(outline, where, 'action, Notify<Role> or action type', target.type, candidates, fix),
      );
    }
  }
  return { problems, runnables };
}

/** A handler's own `with`, `timeout` and `retry`. */
function ownFields(
  table: TomlTable,
  where: string,
): { problems: PreflightProblem[]; runnable: Pick<Runnable, 'parameters' | 'malformed'> } {
  const problems: PreflightProblem[] = [];
  const parameters = readWith(table.with);
  const reads = [
    ['with', parameters],
    ['timeout', readDuration(table.timeout)],
    ['retry', readRetry(table.retry, retryDefaults(undefined))],
  ] as const;
  for (const [field, read] of reads) {
    if (!read.ok)
      problems.push(problem('VALIDATION', joinPath(where, field), sentence(`${field} ${read.message}`)));
  }
  return {
    problems,
    runnable: parameters.ok ? { parameters: parameters.value } : { parameters: {}, malformed: true },
  };
}
