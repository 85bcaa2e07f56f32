/**
 * The variables of `/package` and `/load oci://` (issue #18), part of the `runtime` configuration
 * like the AI ones: the key that signs what a channel packages, the key and policy what a channel
 * loads is verified against, the registries chat may reach, and where the registry credentials
 * are. Keys are paths, never the PEM itself, so they stay out of the environment a process shows
 * its children.
 */
import { z } from 'zod';

/** What /package and /load oci:// need from the configuration; absent from a context, they say so. */
export interface PackagingSettings {
  /** AITWS_SIGNING_KEY: a P-256 PEM private key file (`aitws keys generate` writes one). */
  readonly signingKey: string | undefined;
  /** DOCKER_CONFIG: the folder of the config.json `docker login` writes; else ~/.docker. */
  readonly dockerConfig: string | undefined;
  /**
   * AITWS_REGISTRIES: the registries (`host[:port]`) a chat command may push to or load from.
   * Unset, none: a reference typed in chat would otherwise make the server reach any host.
   */
  readonly registries?: readonly string[];
  /** AITWS_VERIFY_KEY: the public key `/load oci://` verifies artifacts against. */
  readonly verifyKey?: string;
  /** AITWS_VERIFY_POLICY: a policy file (as `aitws verify --policy`) `/load oci://` applies too. */
  readonly verifyPolicy?: string;
}

const path = (what: string) => z.string().trim().min(1, `must be the path of ${what}`).optional();

/** Merged into the environment schema of config.ts. */
export const OCI_ENV_SHAPE = {
  AITWS_SIGNING_KEY: path('a PEM private key file'),
  AITWS_VERIFY_KEY: path('a PEM public key file'),
  AITWS_VERIFY_POLICY: path('a JSON policy file'),
  AITWS_REGISTRIES: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((entry) => entry.trim().toLowerCase())
        .filter((entry) => entry !== ''),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(
            /^[a-z0-9.-]+(:[0-9]{1,5})?$/,
            'must list registries as host or host:port, separated by commas',
          ),
      ),
    ),
  DOCKER_CONFIG: z.string().trim().min(1).optional(),
};

export const OCI_VARIABLES = Object.keys(OCI_ENV_SHAPE) as (keyof typeof OCI_ENV_SHAPE)[];

type OciEnv = { readonly [K in keyof typeof OCI_ENV_SHAPE]?: z.output<(typeof OCI_ENV_SHAPE)[K]> };

export function packagingConfig(e: OciEnv): PackagingSettings {
  return {
    signingKey: e.AITWS_SIGNING_KEY,
    dockerConfig: e.DOCKER_CONFIG,
    registries: e.AITWS_REGISTRIES ?? [],
    ...(e.AITWS_VERIFY_KEY === undefined ? {} : { verifyKey: e.AITWS_VERIFY_KEY }),
    ...(e.AITWS_VERIFY_POLICY === undefined ? {} : { verifyPolicy: e.AITWS_VERIFY_POLICY }),
  };
}
