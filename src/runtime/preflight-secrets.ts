/**
 * Pre-flight of secrets: every `${secret:NAME}` in action parameters, and in the
 * `[[external_services]]` entries actions use (`with.service`), is configured where the workers
 * read secrets. Messages name the secret and how to configure it, never a value.
 */
import type { PreflightProblem } from './plan-types.js';
import type { Runnable } from './preflight-actions.js';
import type { NamedEntry, Outline } from './preflight-outline.js';
import { problem } from './preflight-report.js';
import { eachString } from './preflight-templates.js';
import { isSecretName, type SecretSource, secretReferences } from './secrets.js';

function known(name: string, source: SecretSource): boolean | string {
  try {
    return source.has(name);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function describe(name: string, source: SecretSource): string {
  const how = source.describe?.(name);
  return how === undefined ? 'Configure it where the workers read their secrets.' : `To fix it, ${how}.`;
}

/** The problems of one text: a name that cannot be a secret, one not configured, one unreadable. */
function checkText(text: string, where: string, source: SecretSource, into: PreflightProblem[]): void {
  if (!text.includes('${secret:')) return;
  for (const name of secretReferences(text)) {
    if (!isSecretName(name)) {
      const message = `"\${secret:${name}}" does not name a secret: a secret's name is letters, digits, "_", "-" and "." (not first), at most 128 characters.`;
      into.push(problem('SECRET', where, message));
      continue;
    }
    const found = known(name, source);
    if (found === true) continue;
    const message =
      found === false
        ? `The secret "${name}" is not configured. ${describe(name, source)}`
        : `The secret "${name}" cannot be read: ${found}`;
    into.push(problem('SECRET', where, message));
  }
}

/** The service an action's `with.service` names, when it is written out (not a template). */
function serviceOf(runnable: Runnable, outline: Outline): NamedEntry | undefined {
  const service = runnable.parameters.service;
  if (typeof service !== 'string' || service.includes('{{')) return undefined;
  return outline.services.get(service);
}

export function checkSecrets(
  runnables: readonly Runnable[],
  outline: Outline,
  source: SecretSource,
): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const services = new Set<NamedEntry>();
  for (const runnable of runnables) {
    eachString(runnable.parameters, `${runnable.where}.with`, (text, where) =>
      checkText(text, where, source, problems),
    );
    const service = serviceOf(runnable, outline);
    if (service !== undefined) services.add(service);
  }
  for (const service of services) {
    eachString(service.table, service.where, (text, where) => checkText(text, where, source, problems));
  }
  return problems;
}
