/**
 * How a chat command reaches an OCI registry (/package, /load oci://): only the registries the
 * operator listed in AITWS_REGISTRIES (a reference typed in chat must not make the server speak to
 * any host it names, loopback included), plain HTTP only for loopback or `plain_http=true`, and
 * credentials from `credentials=${secret:NAME}` (the workers' secret source) or the Docker config.
 */
import { SECRET_REF } from '../../document/sections-setup.js';
import { AitwsError } from '../../errors.js';
import { RegistryClient } from '../../oci/registry-client.js';
import {
  dockerConfigCredentials,
  explicitCredentials,
  secretCredentials,
} from '../../oci/registry-credentials.js';
import type { Reference } from '../../oci/types.js';
import { NO_SECRETS } from '../../runtime/secrets.js';
import { optionalBoolean, optionalString } from '../builtin/params.js';
import type { CommandContext } from '../types.js';

/** The key=value names every registry command takes. */
export const REGISTRY_PARAMS = ['plain_http', 'credentials'] as const;

export const REGISTRY_USAGE = `[plain_http=true] [credentials="${SECRET_REF}"]`;

/** Refuses a registry the operator did not list, before anything is sent to it. */
export function checkRegistryAllowed(context: CommandContext, reference: Reference): void {
  const allowed = context.packaging?.registries ?? [];
  const registry = reference.registry.toLowerCase();
  if (allowed.includes(registry)) return;
  const listed = allowed.length === 0 ? 'none is listed' : `the list is ${allowed.join(', ')}`;
  throw new AitwsError('FORBIDDEN', `Chat may not reach the registry ${registry.slice(0, 120)}: ${listed}.`, {
    hint: 'An operator adds it to AITWS_REGISTRIES (host or host:port, comma-separated) and restarts aitws.',
  });
}

/** A client for `reference`'s registry, after checking it is allowed. */
export function registryClientFor(context: CommandContext, reference: Reference): RegistryClient {
  checkRegistryAllowed(context, reference);
  const { params } = context.command;
  const plainHttp = optionalBoolean(params, 'plain_http') ?? false;
  const credentialsRef = optionalString(params, 'credentials');
  if (credentialsRef !== undefined) {
    const credentials = secretCredentials(credentialsRef, context.secrets ?? NO_SECRETS);
    return new RegistryClient({
      plainHttp,
      credentials: explicitCredentials(reference.registry, credentials),
    });
  }
  const dockerConfig = context.packaging?.dockerConfig;
  return new RegistryClient({
    plainHttp,
    credentials: dockerConfigCredentials(dockerConfig === undefined ? { env: {} } : { dir: dockerConfig }),
  });
}
