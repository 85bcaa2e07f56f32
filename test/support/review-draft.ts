/** The document the Slack and Discord review tests load: the sample with a review two approvers decide. */
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { SAMPLE_TOML } from './paths.js';

/** Appended to the sample, in place of its own change_management: a role that may only approve. */
const REVIEW_TOML = `
[[roles]]
name = "Approver"
privileges = ["read", "approve"]

[change_management]
review_required = true
approval_roles = ["Approver"]
required_approvals = 2
`;

export async function reviewDraft(): Promise<string> {
  const sample = await readFile(SAMPLE_TOML, 'utf8');
  const withoutReview = sample.replace(/^\[change_management\][^[]*$/m, '');
  expect(withoutReview).not.toContain('change_management');
  return `${withoutReview}${REVIEW_TOML}`;
}
