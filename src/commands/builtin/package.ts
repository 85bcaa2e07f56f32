/**
 * `/package REF [plain_http=true]` (issue #18): the version /run would run, signed and pushed as an
 * OCI artifact with its SBOM and provenance (src/oci/package.ts). When that version was approved,
 * the approval travels with it: the approvers in the artifact's annotations, and the provenance
 * carries them with the review's audit entries, so `aitws verify --policy` can require a quorum.
 *
 * `created` is the approval time (the epoch without one): packaging the same approval twice gives
 * the same artifact digest.
 */
import { changeManagement } from '../../access/review.js';
import type { PackagingSettings } from '../../config-oci.js';
import { stringifyDocument } from '../../document/index.js';
import { SECRET_REF } from '../../document/sections-setup.js';
import { AitwsError } from '../../errors.js';
import { readPrivateKey } from '../../oci/keys.js';
import { buildPackage, DEFAULT_CREATED, type PackageApproval } from '../../oci/package.js';
import { pushPackage } from '../../oci/package-publish.js';
import { parseReference } from '../../oci/reference.js';
import type { AuditEntry, AuditKind } from '../../session/access-port.js';
import { recordDone } from '../draft.js';
import { success } from '../reply.js';
import { REGISTRY_PARAMS, REGISTRY_USAGE, registryClientFor } from '../runs/registry-access.js';
import { type RunnableVersion, runnableVersion } from '../runs/runnable.js';
import type { CommandContext, CommandDefinition } from '../types.js';

const USAGE = `/package HOST/REPO:TAG ${REGISTRY_USAGE}`;

/** What the referrers say of a version packaged from a channel that does not require review. */
export const NOT_REVIEWED =
  'none: the channel does not require review (change_management.review_required is off)';

/** The audit entries of a review: its submission, the votes and the decision. */
const REVIEW_KINDS: ReadonlySet<AuditKind> = new Set(['submit', 'approve', 'reject', 'approved']);

function signingKeyOf(settings: PackagingSettings | undefined): string {
  const file = settings?.signingKey;
  if (file !== undefined) return file;
  throw new AitwsError('NOT_AVAILABLE', 'Packaging needs a signing key, and none is configured here.', {
    hint: 'Set AITWS_SIGNING_KEY to the path of a P-256 PEM private key (aitws keys generate PREFIX writes one) and restart aitws; verifiers check against its .pub.',
  });
}

/** From the last submission of the approved content on: earlier rounds were not this approval. */
async function reviewAudit(context: CommandContext, hash: string, version: number): Promise<AuditEntry[]> {
  const { platform, workspace, channel } = context.invocation.channel;
  const entries: AuditEntry[] = [];
  for await (const entry of context.access.exportAudit({ platform, workspace, channel }))
    if (entry.hash === hash && entry.versionAfter === version && REVIEW_KINDS.has(entry.kind))
      entries.push(entry);
  const submitted = entries.findLastIndex((entry) => entry.kind === 'submit');
  return submitted === -1 ? entries : entries.slice(submitted);
}

/** The approval of the version being packaged, if the channel's last approval is of that version. */
async function approvalOf(
  context: CommandContext,
  runnable: RunnableVersion,
): Promise<PackageApproval | undefined> {
  const record = await context.access.read(context.invocation.channel);
  const approved = record.lastApproved;
  const { workflow } = runnable;
  if (approved === null || approved.hash !== workflow.hash || approved.version !== workflow.version)
    return undefined;
  const review = record.review;
  const required =
    review !== null && review.hash === approved.hash && review.version === approved.version
      ? review.required
      : changeManagement(runnable.document).requiredApprovals;
  return {
    version: approved.version,
    at: approved.at,
    by: approved.approvedBy.map((person) => ({ id: person.id, name: person.name })),
    required,
    audit: await reviewAudit(context, approved.hash, approved.version),
  };
}

function referenceOf(context: CommandContext): ReturnType<typeof parseReference> & { tag: string } {
  const [text] = context.command.positionals;
  if (text === undefined)
    throw new AitwsError('USAGE', 'Say where to push the workflow.', {
      hint: `Usage: ${USAGE}, e.g. /package registry.example.com/team/triage:1.0`,
    });
  const reference = parseReference(text);
  if (reference.tag === undefined)
    throw new AitwsError('USAGE', `${text.slice(0, 120)} has no tag.`, {
      hint: 'Give the tag to push it under, e.g. registry.example.com/team/triage:1.0.',
    });
  return { ...reference, tag: reference.tag };
}

export const packageCommand: CommandDefinition = {
  name: 'package',
  group: 'runs',
  privilege: 'execute',
  summary: 'Sign and push the workflow (the approved version) as an OCI artifact',
  usage: USAGE,
  description:
    'Pushes the version /run would run (the last approved one when [change_management] review_required = true) to an OCI registry as a signed artifact, with a signed SBOM and a signed provenance attached. The approvers and the review\'s audit entries go with it, so `aitws verify REF --key KEY.pub --policy` can require a number of approvers. Signs with the key at AITWS_SIGNING_KEY. Only registries listed in AITWS_REGISTRIES; credentials from credentials="' +
    SECRET_REF +
    '" (a secret holding USER:PASSWORD) or `docker login` (DOCKER_CONFIG). Plain HTTP only for localhost or with plain_http=true.',
  accepts: { params: [...REGISTRY_PARAMS], words: 1 },
  examples: [
    '/package registry.example.com/team/triage:1.0',
    '/package 10.0.0.5:5000/team/triage:1.0 plain_http=true',
    `/package registry.example.com/team/triage:1.0 credentials="${SECRET_REF}"`,
  ],
  async run(context) {
    const reference = referenceOf(context);
    const keyFile = signingKeyOf(context.packaging);
    const client = registryClientFor(context, reference);
    const runnable = await runnableVersion(context);
    const approval = await approvalOf(context, runnable);
    const pkg = buildPackage({
      text: stringifyDocument(runnable.document),
      name: `${reference.registry}/${reference.repository}`,
      privateKey: await readPrivateKey(keyFile),
      created: approval?.at ?? DEFAULT_CREATED,
      limits: context.limits,
      ...(approval === undefined ? { noApproval: NOT_REVIEWED } : { approval }),
    });
    const lines = await pushPackage(client, reference, pkg);
    const { version, hash } = runnable.workflow;
    await recordDone(
      context,
      { kind: 'package', versionAfter: version, hash, detail: `${lines[0]?.where ?? ''} ${pkg.digest}` },
      `v${version} is packaged as ${pkg.digest}`,
    );
    return replyOf(runnable, approval, pkg.digest, lines);
  },
};

function replyOf(
  runnable: RunnableVersion,
  approval: PackageApproval | undefined,
  digest: string,
  lines: Awaited<ReturnType<typeof pushPackage>>,
): ReturnType<typeof success> {
  const { name, version } = runnable.workflow;
  const [artifact] = lines;
  const approvers = approval?.by.map((person) => person.name) ?? [];
  const approved =
    approval === undefined
      ? 'not reviewed'
      : `approved by ${approvers.join(', ')} (${approval.required} required)`;
  return success(`${name} v${version} packaged as ${artifact?.where ?? ''}: ${digest}, ${approved}.`, {
    blocks: [{ kind: 'list', items: lines.map((line) => `${line.label}: ${line.where} ${line.digest}`) }],
    data: {
      digest,
      ref: artifact?.where ?? '',
      version,
      approvers,
      pushed: lines.map((line) => ({ label: line.label, where: line.where, digest: line.digest })),
    },
  });
}
