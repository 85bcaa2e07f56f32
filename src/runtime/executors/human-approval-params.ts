/** The `with` table of a human.approval action, and its pre-flight check against the document. */
import { z } from 'zod';
import { findRole } from '../../access/privileges.js';
import { parseDuration } from '../../document/duration.js';
import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import type { ActionParameters, ParameterProblem } from '../executor.js';
import { holdsAnyTemplate } from './shared.js';

export const DEFAULT_APPROVAL_TIMEOUT = '1h';

const roleName = z.string().trim().min(1, 'a role name cannot be empty');

/** A count as TOML gives it (a number), or as rendered from a template or a big integer (digits). */
const positiveCount = z
  .union([z.number(), z.string().regex(/^\d+$/, 'expected a whole number').transform(Number)])
  .pipe(z.number().int('expected a whole number').min(1, 'must be at least 1'));

const duration = z.string().transform((text, context) => {
  try {
    return { ms: parseDuration(text), text };
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: error instanceof AitwsError ? error.message : String(error),
    });
    return z.NEVER;
  }
});

export const approvalParams = z
  .strictObject({
    approvers: z.array(roleName).min(1, 'name at least one role'),
    quorum: positiveCount.default(1),
    timeout: duration.default({
      ms: parseDuration(DEFAULT_APPROVAL_TIMEOUT),
      text: DEFAULT_APPROVAL_TIMEOUT,
    }),
    on_timeout: z.enum(['reject', 'approve']).default('reject'),
    message: z.string().trim().min(1, 'the message cannot be empty').optional(),
    allow_self_approval: z.boolean().default(false),
  })
  .transform(({ timeout, message, ...rest }) => ({
    ...rest,
    /** Milliseconds. */
    timeout: timeout.ms,
    /** As written, for messages. */
    timeout_text: timeout.text,
    ...(message === undefined ? {} : { message }),
  }));

export type ApprovalParams = z.output<typeof approvalParams>;

/**
 * Before anything runs: the parameters (those without templates) parse, and every approver is a
 * role the document defines (a misspelt role would leave the step waiting for nobody).
 */
export function checkApproval(
  parameters: ActionParameters,
  document: AitwsDocument,
): readonly ParameterProblem[] {
  const literal = Object.fromEntries(
    Object.entries(parameters).filter(([, value]) => !holdsAnyTemplate(value)),
  );
  const parsed = approvalParams.safeParse({ approvers: ['-'], ...literal });
  const problems: ParameterProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({
        field: ['with', ...issue.path.map(String)].join('.'),
        message: issue.message,
      }));
  if (!('approvers' in parameters))
    problems.push({
      field: 'with.approvers',
      message: 'name the roles that approve, e.g. approvers = ["Lead"]',
    });
  const approvers = parameters.approvers;
  if (Array.isArray(approvers))
    approvers.forEach((role, index) => {
      if (
        typeof role === 'string' &&
        !holdsAnyTemplate(role) &&
        role.trim() !== '' &&
        findRole(document, role) === undefined
      )
        problems.push({ field: `with.approvers[${index}]`, message: `"${role}" is not a role in [[roles]]` });
    });
  return problems;
}
