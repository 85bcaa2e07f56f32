/**
 * Pre-flight: everything that keeps a workflow from running, found before anything runs, each
 * with where and what to do about it, in document order. When nothing is found, the plan.
 *
 * What is refused (PreflightProblem codes in plan-types.ts): validation errors in run mode
 * (dangling references included), fields the runtime reads that are malformed, names that point
 * at nothing, action types no executor runs, conditions that do not compile or are used without
 * an expression, templates that are malformed or read a step that has not run by then, backward
 * branches without max_iterations, parallel groups that cannot run as one, secrets that are not
 * configured, and what each executor's own check finds in its parameters.
 *
 * Not here, because they depend on who runs what: privileges and approval (the /run command).
 */

import { joinPath } from '../document/tree.js';
import type { AitwsDocument } from '../document/types.js';
import { validateDocument } from '../document/validate.js';
import type { Finding } from '../errors.js';
import { type AiPreflightOptions, preflightAi } from './ai/capabilities.js';
import type { ExecutorRegistry } from './executor.js';
import { compilePlan } from './plan.js';
import type { ExecutionPlan, PreflightProblem } from './plan-types.js';
import { checkActions, parameterProblems, stageRunnables, unboundTypes } from './preflight-actions.js';
import { resolveBranch } from './preflight-branches.js';
import { checkConditions } from './preflight-conditions.js';
import { checkHandlers, checkTriggers } from './preflight-events.js';
import { concurrencyOf, resolveGroups } from './preflight-groups.js';
import { type Outline, readOutline } from './preflight-outline.js';
import { inDocumentOrder, problem } from './preflight-report.js';
import { checkSecrets } from './preflight-secrets.js';
import { checkTemplates } from './preflight-templates.js';
import type { SecretSource } from './secrets.js';

export interface PreflightOptions {
  readonly executors: ExecutorRegistry;
  readonly secrets: SecretSource;
  /** AI steps' capability, fallback, ensemble and limit checks; without it they are not checked here. */
  readonly ai?: AiPreflightOptions;
}

export interface PreflightResult {
  /** Present exactly when there are no problems. */
  readonly plan?: ExecutionPlan;
  readonly problems: readonly PreflightProblem[];
}

/**
 * The fields whose names pre-flight checks itself (with the names a run can use, e.g. a plugin's
 * action type in a handler): validation's dangling-reference findings there would say it twice.
 */
function ownReferencePaths(outline: Outline): Set<string> {
  const paths = new Set<string>();
  const add = (where: string, fields: readonly string[]): void => {
    for (const field of fields) paths.add(joinPath(where, field));
  };
  for (const stage of outline.stages.entries) {
    add(stage.where, ['condition']);
    for (const action of stage.actions) add(action.where, ['condition', 'on_error']);
  }
  for (const branch of outline.branches.entries)
    add(branch.where, ['condition', 'if_true', 'if_false', 'after']);
  for (const group of outline.groups.entries) add(group.where, ['tasks']);
  for (const trigger of outline.triggers.entries) add(trigger.where, ['event', 'handler']);
  for (const handler of outline.handlers.entries) add(handler.where, ['action']);
  return paths;
}

function findingMessage(finding: Finding): string {
  let text = finding.message.charAt(0).toUpperCase() + finding.message.slice(1);
  if (finding.expected !== undefined) text += ` (expected ${finding.expected})`;
  if (finding.suggestion !== undefined) text += `; did you mean "${finding.suggestion}"?`;
  return /[.?]$/.test(text) ? text : `${text}.`;
}

function validationProblems(document: AitwsDocument, outline: Outline): PreflightProblem[] {
  const own = ownReferencePaths(outline);
  return validateDocument(document, { mode: 'run' })
    .errors.filter((finding) => finding.code !== 'DANGLING_REFERENCE' || !own.has(finding.path))
    .map((finding) => problem('VALIDATION', finding.path, findingMessage(finding)));
}

/** Every problem that keeps `document` from running (empty: it can run, and `plan` is its plan). */
export function preflight(document: AitwsDocument, options: PreflightOptions): PreflightResult {
  const { executors, secrets } = options;
  const outline = readOutline(document);
  const groups = resolveGroups(outline);
  const concurrency = concurrencyOf(groups);
  const handlers = checkHandlers(outline, executors);
  const runnables = [...stageRunnables(outline), ...handlers.runnables];
  const problems = inDocumentOrder(document, [
    ...validationProblems(document, outline),
    ...checkActions(outline),
    ...checkConditions(outline),
    ...groups.flatMap((group) => group.problems),
    ...outline.branches.entries.flatMap((entry) => resolveBranch(entry, outline, concurrency).problems),
    ...checkTriggers(outline),
    ...handlers.problems,
    ...unboundTypes(runnables, executors),
    ...checkTemplates(runnables, outline, concurrency),
    ...checkSecrets(runnables, outline, secrets),
    ...parameterProblems(runnables, executors, document),
    ...(options.ai === undefined ? [] : preflightAi(runnables, options.ai)),
  ]);
  if (problems.length > 0) return { problems };
  return { plan: compilePlan(document), problems };
}
