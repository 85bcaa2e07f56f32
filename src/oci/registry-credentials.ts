/**
 * Where registry credentials come from: given explicitly (a `${secret:…}` resolved by the caller),
 * or the Docker config file that `docker login` writes (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`, `auths[host].auth` = base64 `user:password`). Credential helpers
 * (`credsStore`, `credHelpers`) are programs aitws does not run; when one is configured for the
 * registry and no stored entry is there, the lookup says so instead of failing silently.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SECRET_REF } from '../document/sections-setup.js';
import { AitwsError } from '../errors.js';
import { isSecretName, type SecretSource, secretMissing } from '../runtime/secrets.js';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface CredentialLookup {
  readonly credentials?: RegistryCredentials;
  /** Why there are none although the user may expect some (a credential helper), for the hint. */
  readonly notice?: string;
}

/** Per registry (`host[:port]`), so credentials are never sent to another registry. */
export type CredentialSource = (registry: string) => Promise<CredentialLookup>;

export const noCredentials: CredentialSource = async () => ({});

export function explicitCredentials(registry: string, credentials: RegistryCredentials): CredentialSource {
  const wanted = registry.toLowerCase();
  return async (asked) => (asked.toLowerCase() === wanted ? { credentials } : {});
}

export interface DockerConfigOptions {
  /** The directory holding config.json; default `DOCKER_CONFIG`, else `~/.docker`. */
  readonly dir?: string;
  readonly env?: NodeJS.ProcessEnv;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function dockerConfigPath(options: DockerConfigOptions = {}): string {
  const env = options.env ?? process.env;
  const dir =
    options.dir ??
    (env.DOCKER_CONFIG !== undefined && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : undefined);
  return path.join(dir ?? path.join(os.homedir(), '.docker'), 'config.json');
}

/** Read on each lookup, so a `docker login` made while aitws runs is seen. */
export function dockerConfigCredentials(options: DockerConfigOptions = {}): CredentialSource {
  const file = dockerConfigPath(options);
  return async (registry) => lookupIn(await readConfig(file), registry.toLowerCase(), file);
}

async function readConfig(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return {};
    throw new AitwsError('CONFIG', `The Docker config file ${file} cannot be read.`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // Reported below: the parser's message could quote the file, credentials included.
  }
  throw new AitwsError('CONFIG', `The Docker config file ${file} is not a JSON object.`);
}

/** `https://host:5000/v1/` and `host:5000` name the same registry. */
function registryOfKey(key: string): string {
  const host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0] ?? '';
  return host.toLowerCase();
}

function sameRegistry(key: string, registry: string): boolean {
  const host = registryOfKey(key);
  return host === registry || (DOCKER_HUB.has(host) && DOCKER_HUB.has(registry));
}

function entryFor(section: unknown, registry: string): unknown {
  if (typeof section !== 'object' || section === null) return undefined;
  const found = Object.entries(section).find(([key]) => sameRegistry(key, registry));
  return found?.[1];
}

function lookupIn(config: Record<string, unknown>, registry: string, file: string): CredentialLookup {
  const entry = entryFor(config.auths, registry);
  const auth = typeof entry === 'object' && entry !== null && 'auth' in entry ? entry.auth : undefined;
  if (typeof auth === 'string' && auth !== '') return { credentials: decodeAuth(auth, registry, file) };
  const helper = entryFor(config.credHelpers, registry) ?? config.credsStore;
  if (typeof helper === 'string' && helper !== '')
    return {
      notice:
        `${file} keeps the credentials for ${registry} in the credential helper "${helper}", which aitws does not run. ` +
        'Pass the credentials explicitly (from a secret), or log in with a config that stores them in "auths".',
    };
  return {};
}

function decodeAuth(auth: string, registry: string, file: string): RegistryCredentials {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0)
    throw new AitwsError('CONFIG', `The entry for ${registry} in ${file} is not base64 of "user:password".`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** `${secret:NAME}` exactly, as `credentials=` (chat) and `--credentials` (the command line) take it. */
const SECRET_CREDS = /^\$\{secret:([^}]+)\}$/;

/**
 * Credentials named by a `${secret:NAME}` whose value is `USER:PASSWORD` (skopeo's `--creds`
 * shape; a registry token goes in the password). Only a reference is accepted, never the
 * credentials themselves: they would stay in the channel's history or the shell's.
 */
export function secretCredentials(reference: string, secrets: SecretSource): RegistryCredentials {
  const name = SECRET_CREDS.exec(reference.trim())?.[1];
  if (name === undefined)
    throw new AitwsError('USAGE', 'Registry credentials are given as a secret reference, never as text.', {
      hint: `Write credentials=${SECRET_REF}, with the secret NAME holding USER:PASSWORD (for a token, USER:TOKEN).`,
    });
  const value = isSecretName(name) ? secrets.get(name) : undefined;
  if (value === undefined) throw secretMissing(name, secrets);
  const colon = value.indexOf(':');
  if (colon <= 0)
    throw new AitwsError('CONFIG', `The secret "${name}" is not of the form USER:PASSWORD.`, {
      hint: 'Store the registry user, a colon and the password or token.',
    });
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}
