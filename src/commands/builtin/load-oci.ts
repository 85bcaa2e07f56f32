/**
 * `/load oci://HOST/REPO:TAG` (issue #18): a workflow artifact from a registry, loaded only after
 * it verifies exactly as `aitws verify` checks it (digests, cosign signatures, a signed SBOM and
 * provenance) against the operator's key (AITWS_VERIFY_KEY) and policy (AITWS_VERIFY_POLICY, e.g.
 * a number of approvers). There is no way to load one unverified: the key is required.
 */
import path from 'node:path';
import { parseDocument } from '../../document/index.js';
import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import { readPublicKey } from '../../oci/keys.js';
import { readPolicy } from '../../oci/policy.js';
import { parseReference } from '../../oci/reference.js';
import { formatCheck, verifyArtifact } from '../../oci/verify.js';
import { registrySource } from '../../oci/verify-source.js';
import { registryClientFor } from '../runs/registry-access.js';
import type { CommandContext } from '../types.js';

export const OCI_SCHEME = 'oci://';

export interface VerifiedSource {
  readonly label: string;
  readonly document: AitwsDocument;
  readonly digest: string;
  /** One line per check, as `aitws verify` prints them. */
  readonly checks: readonly string[];
}

function verifyKeyOf(context: CommandContext): string {
  const key = context.packaging?.verifyKey;
  if (key !== undefined) return key;
  throw new AitwsError(
    'NOT_AVAILABLE',
    'Loading from a registry needs a key to verify against, and none is configured here.',
    {
      hint: 'An operator sets AITWS_VERIFY_KEY to the public key (.pub) the artifacts are signed with, and restarts aitws.',
    },
  );
}

export async function loadVerified(context: CommandContext, text: string): Promise<VerifiedSource> {
  const reference = parseReference(text.slice(OCI_SCHEME.length));
  if (reference.tag === undefined && reference.digest === undefined)
    throw new AitwsError('USAGE', `${text.slice(0, 120)} names no tag or digest.`, {
      hint: 'Write oci://HOST/REPO:TAG or oci://HOST/REPO@sha256:…',
    });
  const keyFile = verifyKeyOf(context);
  const client = registryClientFor(context, reference);
  const policyFile = context.packaging?.verifyPolicy;
  const result = await verifyArtifact(registrySource(client, reference), {
    publicKey: await readPublicKey(keyFile),
    keyName: path.basename(keyFile),
    ...(policyFile === undefined ? {} : { policy: await readPolicy(policyFile) }),
  });
  const checks = result.checks.map(formatCheck);
  const shown = text.slice(0, 200);
  if (!result.ok || result.toml === undefined || result.digest === undefined)
    throw new AitwsError('NOT_VERIFIED', `${shown} did not verify; nothing was loaded.`, {
      details: checks,
      hint: 'Ask whoever packaged it to sign it with the key this server trusts, or load a version that passes the policy.',
    });
  let toml: string;
  try {
    toml = new TextDecoder('utf-8', { fatal: true }).decode(result.toml);
  } catch {
    throw new AitwsError('PARSE', `The workflow layer of ${shown} is not UTF-8 text.`);
  }
  return {
    label: `${shown} (${result.digest.slice(0, 19)}…, verified)`,
    document: parseDocument(toml, context.limits),
    digest: result.digest,
    checks,
  };
}
