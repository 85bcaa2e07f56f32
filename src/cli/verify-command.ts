/**
 * `aitws verify REF --key PUB [--policy FILE] [--plain-http]`: one line per check, exit 0 when
 * every check passes, 1 when one fails, 2 when the command cannot run (usage, an unreadable key,
 * policy or reference). REF is a registry reference or `oci-layout:DIR[:TAG]`.
 */
import { parseArgs } from 'node:util';
import { SECRET_REF } from '../document/sections-setup.js';
import { AitwsError } from '../errors.js';
import { readPublicKey } from '../oci/keys.js';
import { type Policy, readPolicy } from '../oci/policy.js';
import { parseReference } from '../oci/reference.js';
import { type CredentialSource, dockerConfigCredentials, explicitCredentials } from '../oci/registry-auth.js';
import { RegistryClient } from '../oci/registry-client.js';
import { secretCredentials } from '../oci/registry-credentials.js';
import { formatCheck, type VerifyResult, verifyArtifact } from '../oci/verify.js';
import {
  layoutSource,
  parseLayoutReference,
  registrySource,
  type VerifySource,
} from '../oci/verify-source.js';
import type { Output } from '../output.js';
import { environmentSecrets } from '../runtime/secrets.js';
import { EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE } from './document-files.js';
import { type Environment, stdio } from './subcommand.js';

export const VERIFY_USAGE = `  verify REF --key PUB [--policy FILE] [--plain-http] [--credentials '${SECRET_REF}']
                                  check a workflow artifact (registry or oci-layout:DIR[:TAG]):
                                  digests, signatures, SBOM, provenance, policy; exit 0 ok, 1 failed`;

/** Runs a command, turning AitwsErrors and bad options into a message and exit status 2. */
export async function guarded(name: string, io: Output, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof AitwsError) {
      io.err(`aitws ${name}: ${error.message}`);
      for (const detail of error.details) io.err(`  ${detail}`);
      if (error.hint !== undefined) io.err(`  ${error.hint}`);
      return EXIT_UNREADABLE;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`aitws ${name}: ${error.message}`);
      return EXIT_UNREADABLE;
    }
    throw error;
  }
}

/**
 * `--credentials '${SECRET_REF}'`: the secret (AITWS_SECRET_NAME, or a file in AITWS_SECRETS_DIR)
 * holds USER:PASSWORD for this registry only; without it, the Docker config's entry.
 */
export function credentialsFor(
  registry: string,
  credentials: string | undefined,
  env: Environment,
): CredentialSource {
  if (credentials === undefined) return dockerConfigCredentials({ env: { ...env } });
  const secrets = environmentSecrets(env, env.AITWS_SECRETS_DIR);
  return explicitCredentials(registry, secretCredentials(credentials, secrets));
}

export async function openSource(
  ref: string,
  plainHttp: boolean,
  env: Environment,
  credentials?: string,
): Promise<VerifySource> {
  const layout = parseLayoutReference(ref);
  if (layout !== undefined) return layoutSource(layout.dir, layout.tag);
  const reference = parseReference(ref);
  const client = new RegistryClient({
    plainHttp,
    credentials: credentialsFor(reference.registry, credentials, env),
  });
  return registrySource(client, reference);
}

export interface VerifyRequest {
  readonly ref: string;
  readonly key: string;
  readonly policy?: string;
  readonly plainHttp: boolean;
  /** `${secret:NAME}` of the registry's USER:PASSWORD. */
  readonly credentials?: string;
}

/** Verifies and prints one line per check. */
export async function verifyAndReport(
  request: VerifyRequest,
  env: Environment,
  io: Output,
): Promise<VerifyResult> {
  const publicKey = await readPublicKey(request.key);
  const policy: Policy | undefined =
    request.policy === undefined ? undefined : await readPolicy(request.policy);
  const source = await openSource(request.ref, request.plainHttp, env, request.credentials);
  const result = await verifyArtifact(source, {
    publicKey,
    keyName: request.key,
    ...(policy === undefined ? {} : { policy }),
  });
  for (const check of result.checks) io.out(formatCheck(check));
  return result;
}

export async function verifyCommand(
  args: readonly string[],
  env: Environment,
  io: Output = stdio,
): Promise<number> {
  return guarded('verify', io, async () => {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        key: { type: 'string' },
        policy: { type: 'string' },
        credentials: { type: 'string' },
        'plain-http': { type: 'boolean', default: false },
      },
      allowPositionals: true,
    });
    const [ref] = positionals;
    if (positionals.length !== 1 || ref === undefined || values.key === undefined) {
      io.err(
        `aitws verify: give one reference and --key, e.g. aitws verify localhost:5000/team/wf:1.0 --key aitws.pub\n\n${VERIFY_USAGE}`,
      );
      return EXIT_UNREADABLE;
    }
    const result = await verifyAndReport(
      {
        ref,
        key: values.key,
        plainHttp: values['plain-http'],
        ...(values.policy === undefined ? {} : { policy: values.policy }),
        ...(values.credentials === undefined ? {} : { credentials: values.credentials }),
      },
      env,
      io,
    );
    io.out(
      result.ok
        ? `Verified ${ref}${result.digest === undefined ? '' : ` (${result.digest})`}.`
        : `Verification of ${ref} failed.`,
    );
    return result.ok ? EXIT_OK : EXIT_INVALID;
  });
}
