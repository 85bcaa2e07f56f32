/**
 * A workflow with ai.invoke actions (models, fallbacks, an ensemble, data classifications,
 * regions), an ai.invoke handler and an `[ai_governance]` table, as the artifact and layout tests
 * package it.
 */
import { readFileSync } from 'node:fs';
import { contentHash } from '../../src/access/content-hash.js';
import { parseDocument, stringifyDocument } from '../../src/document/index.js';
import type { WorkflowArtifactInput } from '../../src/oci/artifact.js';
import { MEDIA_TYPES } from '../../src/oci/types.js';
import { ProviderRegistry } from '../../src/runtime/ai/capabilities.js';

export const AI_WORKFLOW = `
[metadata]
name = "Claims triage"
version = "2.1.0"

[ai_governance]
data_privacy = "GDPR"
frameworks = ["EU_AI_Act", "ISO_42001"]
risk_level = 3
human_oversight = true
[ai_governance.reviews]
cadence = "90 days"

[[stages]]
name = "Intake"
order = 1
[[stages.actions]]
name = "Summarise"
type = "ai.invoke"
[stages.actions.with]
prompt = "Summarise the claim."
model = "claude-sonnet"
fallback = ["claude-haiku", "local-llama"]
data_classification = ["pii", "PROPRIETARY"]
region = "eu"
[[stages.actions]]
name = "Classify"
type = "ai.invoke"
[stages.actions.with]
prompt = "Classify the claim."
data_classification = ["PHI", "PII"]
region = "eu-west-1"
ensemble = { members = 3, models = ["local-llama", "local-mistral"] }
[[stages.actions]]
name = "Store"
type = "transform"
with = { set = { model = "not-an-ai-step" } }

[[events]]
name = "Escalation"
type = "escalation"

[[handlers]]
name = "SecondOpinion"
action = "ai.invoke"
with = { prompt = "Give a second opinion.", model = "claude-opus", data_classification = ["PUBLIC"] }
`;

/** Two providers, so the profile shows the registry's say in who serves what. */
export const REGISTRY = new ProviderRegistry([
  {
    name: 'anthropic',
    capabilities: ['language_model.generative'],
    compliance: { provider: 'anthropic', allows: ['PII'], regions: ['eu'] },
    models: ['claude-*'],
    defaultModel: 'claude-default',
  },
  {
    name: 'on-prem',
    capabilities: ['language_model.generative'],
    compliance: { provider: 'on-prem', allows: ['PII', 'PHI'], regions: ['eu-west-1'] },
    models: ['local-*'],
  },
]);

export const APPROVALS = {
  by: [
    { id: 'U2', name: 'Grace Hopper' },
    { id: 'U1', name: 'Ada Lovelace' },
  ],
  at: '2026-03-01T09:30:00Z',
  version: 7,
} as const;

export const CREATED = '2026-03-01T10:00:00Z';

export function canonicalToml(text: string): string {
  return stringifyDocument(parseDocument(text));
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

export const FILES = [
  {
    path: 'prompts/summary.md',
    mediaType: MEDIA_TYPES.promptFile,
    content: bytes('Summarise {{ claim }}.\n'),
  },
  { path: 'plugins/score.js', mediaType: MEDIA_TYPES.plugin, content: bytes('export default () => 1;\n') },
  { path: 'skills/triage.tar', mediaType: MEDIA_TYPES.skill, content: bytes('not really a tar\n') },
] as const;

export function workflowInput(text = AI_WORKFLOW): WorkflowArtifactInput {
  const toml = canonicalToml(text);
  return {
    toml,
    workflow: { name: 'Claims triage', version: '2.1.0' },
    contentHash: contentHash(parseDocument(toml)),
    created: CREATED,
    compliance: { registry: REGISTRY },
    approvals: APPROVALS,
    files: FILES,
    source: 'https://github.com/example/claims',
    revision: '0123456789abcdef0123456789abcdef01234567',
    licenses: 'Apache-2.0',
  };
}

export function sampleToml(): string {
  return readFileSync(new URL('../fixtures/ai.toml', import.meta.url), 'utf8');
}
