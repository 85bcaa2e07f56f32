/**
 * Verification policies (`aitws verify --policy FILE`, issue #18 point 6): what an artifact must
 * show beyond valid digests and signatures. JSON (YAML would need a runtime dependency, and JSON
 * is YAML's subset, so a policy written as JSON is read by YAML tools too). Unknown keys are
 * refused: a misspelt rule silently ignored would pass what it was meant to stop.
 *
 * Facts are read from what is signed: approvers and builder from the provenance (DSSE-verified),
 * data classes and providers from the artifact's manifest annotations (cosign-verified).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AitwsError } from '../errors.js';
import { ANNOTATIONS, LIST_SEPARATOR } from './annotations.js';
import type { InTotoStatement } from './provenance.js';
import type { Check } from './verify.js';

const policySchema = z
  .object({
    min_approvers: z.number().int().nonnegative().optional(),
    builder_id: z.string().min(1).optional(),
    forbidden_data_classes: z.array(z.string().min(1)).optional(),
    allowed_providers: z.array(z.string().min(1)).optional(),
    /** Default true; false turns failed signature checks into notes (for unsigned test builds). */
    require_signature: z.boolean().optional(),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;

/** What the policy judges, each fact from a verified part of the artifact (undefined if not). */
export interface PolicyFacts {
  readonly annotations: Readonly<Record<string, string>>;
  /** The provenance statement, when its envelope verified (or signatures are not required). */
  readonly statement: InTotoStatement | undefined;
}

export function parsePolicy(text: string, source: string): Policy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AitwsError('PARSE', `The policy ${source} is not JSON.`, {
      cause: error,
      hint: 'Write it as JSON, e.g. {"min_approvers": 2, "forbidden_data_classes": ["PHI"]}.',
    });
  }
  const parsed = policySchema.safeParse(json);
  if (!parsed.success)
    throw new AitwsError('PARSE', `The policy ${source} is not a valid policy.`, {
      details: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`),
      hint: 'Known rules: min_approvers, builder_id, forbidden_data_classes, allowed_providers, require_signature.',
    });
  return parsed.data;
}

export async function readPolicy(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new AitwsError('FILE_NOT_FOUND', `The policy file ${file} cannot be read.`, { cause: error });
  }
  return parsePolicy(text, file);
}

export function signaturesRequired(policy: Policy | undefined): boolean {
  return policy?.require_signature ?? true;
}

export function policyChecks(policy: Policy, facts: PolicyFacts): Check[] {
  const checks: Check[] = [];
  if (policy.min_approvers !== undefined) checks.push(approverCheck(policy.min_approvers, facts));
  if (policy.builder_id !== undefined) checks.push(builderCheck(policy.builder_id, facts));
  if (policy.forbidden_data_classes !== undefined)
    checks.push(dataClassCheck(policy.forbidden_data_classes, facts));
  if (policy.allowed_providers !== undefined) checks.push(providerCheck(policy.allowed_providers, facts));
  return checks;
}

const pass = (text: string): Check => ({ status: 'pass', text });
const fail = (text: string): Check => ({ status: 'fail', text });

function approversOf(statement: InTotoStatement): readonly unknown[] {
  const approval = statement.predicate.buildDefinition.internalParameters.approval;
  const approvers =
    typeof approval === 'object' && approval !== null && 'approvers' in approval
      ? approval.approvers
      : undefined;
  return Array.isArray(approvers) ? approvers : [];
}

function approverCheck(min: number, facts: PolicyFacts): Check {
  if (facts.statement === undefined)
    return fail(`policy min_approvers ${min}: no verified provenance to count approvers in`);
  const count = approversOf(facts.statement).length;
  const text = `policy min_approvers ${min}: ${count} approver${count === 1 ? '' : 's'} in the provenance`;
  return count >= min ? pass(text) : fail(text);
}

function builderCheck(wanted: string, facts: PolicyFacts): Check {
  if (facts.statement === undefined) return fail(`policy builder_id ${wanted}: no verified provenance`);
  const actual = facts.statement.predicate.runDetails.builder.id;
  return actual === wanted
    ? pass(`policy builder_id ${wanted}`)
    : fail(`policy builder_id: built by ${actual}, not ${wanted}`);
}

function listAnnotation(facts: PolicyFacts, key: string): string[] {
  const value = facts.annotations[key] ?? '';
  return value === '' ? [] : value.split(LIST_SEPARATOR);
}

function dataClassCheck(forbidden: readonly string[], facts: PolicyFacts): Check {
  const banned = new Set(forbidden.map((item) => item.toUpperCase()));
  const found = listAnnotation(facts, ANNOTATIONS.dataClassifications).filter((item) =>
    banned.has(item.toUpperCase()),
  );
  return found.length === 0
    ? pass(`policy forbidden_data_classes: none of ${forbidden.join(', ')} handled`)
    : fail(`policy forbidden_data_classes: the workflow handles ${found.join(', ')}`);
}

function providerCheck(allowed: readonly string[], facts: PolicyFacts): Check {
  const permitted = new Set(allowed);
  const others = listAnnotation(facts, ANNOTATIONS.modelProviders).filter((item) => !permitted.has(item));
  return others.length === 0
    ? pass(`policy allowed_providers: only ${allowed.join(', ')}`)
    : fail(`policy allowed_providers: the workflow reaches ${others.join(', ')}`);
}
