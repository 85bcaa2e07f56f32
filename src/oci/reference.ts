/**
 * Artifact references: `host[:port]/repo[/more]:tag`, `host[:port]/repo@sha256:<hex>`, or both
 * (`…:tag@sha256:…`, where the digest decides what is pulled). Unlike docker, a name without a
 * registry host (`library/ubuntu`) is refused: what is pushed, signed and verified must say which
 * registry it lives in, never depend on a default. Nor is a missing tag read as `latest`.
 */
import { AitwsError } from '../errors.js';
import { isDigest } from './digest.js';
import type { Reference } from './types.js';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const HOST = new RegExp(`^(?:\\[[0-9A-Fa-f:.]+\\]|${LABEL}(?:\\.${LABEL})*)(?::(\\d{1,5}))?$`);
/** The distribution spec's path component. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_REPOSITORY = 255;
const EXAMPLE = 'e.g. localhost:5000/team/workflow:1.0 or ghcr.io/org/workflow@sha256:…';

/** Loopback registries are the only ones spoken to over plain HTTP without being told to. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[')
    ? registry.slice(0, registry.indexOf(']') + 1)
    : registry.split(':')[0];
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

function invalid(text: string, why: string, hint = `Write the reference in full, ${EXAMPLE}.`): AitwsError {
  // The reference is shown cut short: it is user input and may be long.
  const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
  return new AitwsError('USAGE', `"${shown}" is not an artifact reference: ${why}.`, { hint });
}

function parseRegistry(text: string, registry: string): string {
  const match = HOST.exec(registry);
  if (match === null) throw invalid(text, `"${registry}" is not a registry host`);
  const port = match[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
    throw invalid(text, `port ${port} is out of range`);
  // Docker's rule for "is the first component a host": a dot, a port, or localhost.
  const looksLikeHost = /[.:[]/.test(registry) || registry.toLowerCase() === 'localhost';
  if (!looksLikeHost)
    throw invalid(
      text,
      'it names no registry host',
      `aitws needs the registry spelled out (no Docker Hub default), ${EXAMPLE}.`,
    );
  return registry.toLowerCase();
}

function parseRepository(text: string, repository: string): string {
  if (repository.length > MAX_REPOSITORY)
    throw invalid(text, `the repository name is longer than ${MAX_REPOSITORY} characters`);
  for (const component of repository.split('/')) {
    if (!COMPONENT.test(component))
      throw invalid(
        text,
        component === ''
          ? 'the repository has an empty path component'
          : `"${component}" is not a valid repository path component (lowercase letters, digits, and . _ - between them)`,
      );
  }
  return repository;
}

export function parseReference(text: string): Reference {
  if (text.trim() !== text || /\s/.test(text) || text === '')
    throw invalid(text, 'it is empty or has spaces');
  if (text.includes('://')) throw invalid(text, 'it has a URL scheme', `Leave out the scheme, ${EXAMPLE}.`);
  const at = text.indexOf('@');
  const name = at === -1 ? text : text.slice(0, at);
  const digest = at === -1 ? undefined : text.slice(at + 1);
  if (digest !== undefined && !isDigest(digest))
    throw invalid(text, `"${digest}" is not a sha256 digest (sha256: and 64 lowercase hex digits)`);
  const slash = name.indexOf('/');
  if (slash === -1) throw invalid(text, 'it has no registry host and repository');
  const registry = parseRegistry(text, name.slice(0, slash));
  const rest = name.slice(slash + 1);
  const colon = rest.lastIndexOf(':');
  const tag = colon === -1 ? undefined : rest.slice(colon + 1);
  const repository = parseRepository(text, colon === -1 ? rest : rest.slice(0, colon));
  if (tag !== undefined && !TAG.test(tag))
    throw invalid(
      text,
      `"${tag}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`,
    );
  if (tag === undefined && digest === undefined)
    throw invalid(text, 'it has neither a tag nor a digest', `Add :TAG or @sha256:…, ${EXAMPLE}.`);
  return {
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

export function formatReference(reference: Reference): string {
  const tag = reference.tag === undefined ? '' : `:${reference.tag}`;
  const digest = reference.digest === undefined ? '' : `@${reference.digest}`;
  return `${reference.registry}/${reference.repository}${tag}${digest}`;
}

/** What the registry resolves: the digest when there is one (it pins the content), else the tag. */
export function manifestKey(reference: Reference): string {
  const key = reference.digest ?? reference.tag;
  if (key === undefined)
    throw new AitwsError('USAGE', `${formatReference(reference)} has neither a tag nor a digest.`);
  return key;
}
