/**
 * The variables of `/package` (issue #18), part of the `runtime` configuration like the AI ones:
 * the key that signs what a channel packages, and where the registry credentials are. The key is a
 * path, never the PEM itself, so it stays out of the environment a process shows its children.
 */
import { z } from 'zod';

/** What /package needs from the configuration; absent from a command context, /package says so. */
export interface PackagingSettings {
  /** AITWS_SIGNING_KEY: a P-256 PEM private key file (`aitws keys generate` writes one). */
  readonly signingKey: string | undefined;
  /** DOCKER_CONFIG: the folder of the config.json `docker login` writes; else ~/.docker. */
  readonly dockerConfig: string | undefined;
}

/** Merged into the environment schema of config.ts. */
export const OCI_ENV_SHAPE = {
  AITWS_SIGNING_KEY: z.string().trim().min(1, 'must be the path of a PEM private key file').optional(),
  DOCKER_CONFIG: z.string().trim().min(1).optional(),
};

export const OCI_VARIABLES = Object.keys(OCI_ENV_SHAPE) as (keyof typeof OCI_ENV_SHAPE)[];

type OciEnv = { readonly [K in keyof typeof OCI_ENV_SHAPE]?: z.output<(typeof OCI_ENV_SHAPE)[K]> };

export function packagingConfig(e: OciEnv): PackagingSettings {
  return { signingKey: e.AITWS_SIGNING_KEY, dockerConfig: e.DOCKER_CONFIG };
}
