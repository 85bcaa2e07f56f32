/**
 * A workflow's `[version_control]` as a Git target: `system = "git"`, `repository` (or its older
 * name `url`), `branch` (default main), `path` (default workflow.toml), and `${secret:…}` references
 * in the repository's user part or in `token` resolved from the secret source, never stored.
 */
import { SECRET_REF } from '../document/sections-setup.js';
import { isTable } from '../document/tree.js';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import {
  isSecretName,
  resolveSecretReferences,
  type SecretSource,
  secretMissing,
} from '../runtime/secrets.js';
import type { GitTarget } from './git-sync.js';

export const DEFAULT_BRANCH = 'main';
export const DEFAULT_PATH = 'workflow.toml';

/** Where the target came from, for replies: never the resolved credentials. */
export interface VersionControl {
  readonly target: GitTarget;
  /** The repository as the document writes it (references, not values). */
  readonly shown: string;
}

function text(table: Record<string, unknown>, key: string): string | undefined {
  const value = table[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

const HINT =
  'Add it, e.g. /add version_control system="git" repository="https://github.com/team/workflows.git" branch="main" path="triage.toml"';

export function versionControlOf(document: AitwsDocument, secrets: SecretSource): VersionControl {
  const section = document.version_control;
  if (!isTable(section))
    throw new AitwsError('CONFIG', 'The workflow has no [version_control] section.', { hint: HINT });
  const system = text(section, 'system') ?? 'git';
  if (system.toLowerCase() !== 'git')
    throw new AitwsError(
      'CONFIG',
      `[version_control] system is ${JSON.stringify(system)}; only "git" is supported.`,
      {
        hint: 'Set system = "git".',
      },
    );
  const repository = text(section, 'repository') ?? text(section, 'url');
  if (repository === undefined)
    throw new AitwsError('CONFIG', '[version_control] names no repository.', { hint: HINT });
  const token = text(section, 'token');
  return {
    shown: repository,
    target: {
      repository: resolveRepository(repository, secrets),
      branch: text(section, 'branch') ?? DEFAULT_BRANCH,
      path: text(section, 'path') ?? DEFAULT_PATH,
      ...(token === undefined ? {} : { token: resolveSecretReferences(token, secrets) }),
    },
  };
}

const REFERENCE = /\$\{secret:([^}]*)\}/g;

/**
 * References only in the user part, each value URL-encoded there: a secret in the host or path
 * would be sent to whatever server the URL names, credentials or not.
 */
function resolveRepository(url: string, secrets: SecretSource): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/@]*@)?(.*)$/is.exec(url);
  const rest = match?.[3] ?? url;
  if (/\$\{secret:/.test(rest))
    throw new AitwsError('CONFIG', 'A secret may appear only in the user part of the repository URL.', {
      hint: `Write it as https://USER:${SECRET_REF}@host/path, or put the token in [version_control] token.`,
    });
  const userinfo = (match?.[2] ?? '').replace(REFERENCE, (_reference, name: string) => {
    const value = isSecretName(name) ? secrets.get(name) : undefined;
    if (value === undefined) throw secretMissing(name, secrets);
    return encodeURIComponent(value);
  });
  return `${match?.[1] ?? ''}${userinfo}${rest}`;
}
