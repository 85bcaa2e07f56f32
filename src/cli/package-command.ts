/**
 * `aitws package FILE --ref HOST/REPO:TAG --key KEYFILE [--output oci-layout:DIR[:TAG]] …`: a
 * workflow file as a signed OCI artifact with a signed SBOM and provenance (src/oci/package.ts),
 * pushed to the registry or written as an OCI image layout.
 *
 * `created` is `--created`, else `SOURCE_DATE_EPOCH`, else 1970-01-01T00:00:00Z: never the clock,
 * so packaging the same file twice gives the same digest.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { SECRET_REF } from '../document/sections-setup.js';
import { AitwsError } from '../errors.js';
import { isRfc3339 } from '../oci/annotations.js';
import type { ArtifactFile } from '../oci/artifact.js';
import { readPrivateKey } from '../oci/keys.js';
import { buildPackage, defaultCreated } from '../oci/package.js';
import { type PublishedLine, pushPackage, writePackageLayout } from '../oci/package-publish.js';
import { parseReference } from '../oci/reference.js';
import { RegistryClient } from '../oci/registry-client.js';
import { skillLayer } from '../oci/skill-folder.js';
import { MEDIA_TYPES } from '../oci/types.js';
import { parseLayoutReference } from '../oci/verify-source.js';
import type { Output } from '../output.js';
import { readTextFile } from '../text-file.js';
import { EXIT_OK, EXIT_UNREADABLE } from './document-files.js';
import { type Environment, stdio } from './subcommand.js';
import { credentialsFor, guarded } from './verify-command.js';

export const PACKAGE_USAGE = `  package FILE --ref HOST/REPO:TAG --key KEYFILE [--output oci-layout:DIR] [--plain-http]
          [--credentials '${SECRET_REF}']
          [--source URL] [--revision REV] [--license SPDX] [--created RFC3339] [--file PATH]...
                                  sign and push a workflow as an OCI artifact with SBOM and
                                  provenance (or write an OCI layout); created defaults to
                                  SOURCE_DATE_EPOCH, else 1970-01-01T00:00:00Z (reproducible)`;

const OPTIONS = {
  ref: { type: 'string' },
  key: { type: 'string' },
  output: { type: 'string' },
  'plain-http': { type: 'boolean', default: false },
  credentials: { type: 'string' },
  source: { type: 'string' },
  revision: { type: 'string' },
  license: { type: 'string' },
  created: { type: 'string' },
  file: { type: 'string', multiple: true },
} as const;

/** By extension: .tar is a skill (an agentskills.io folder, tarred), .js/.mjs a plugin, else a prompt. */
function mediaTypeOf(file: string): string {
  if (file.endsWith('.tar')) return MEDIA_TYPES.skill;
  if (file.endsWith('.js') || file.endsWith('.mjs')) return MEDIA_TYPES.plugin;
  return MEDIA_TYPES.promptFile;
}

async function isFolder(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory();
  } catch {
    return false; // Reported by the read that follows, with the file's name.
  }
}

/**
 * Files named relative to the workflow file's folder, and stored under that relative path; a
 * folder is a skill (agentskills.io layout), stored as a reproducible tar.
 */
async function readFiles(workflowFile: string, paths: readonly string[]): Promise<ArtifactFile[]> {
  const base = path.dirname(workflowFile);
  const files: ArtifactFile[] = [];
  for (const relative of paths) {
    const shown = relative.split(path.sep).join('/');
    if (await isFolder(path.join(base, relative))) {
      files.push(await skillLayer(path.join(base, relative), shown));
      continue;
    }
    let content: Uint8Array;
    try {
      content = new Uint8Array(await readFile(path.join(base, relative)));
    } catch (error) {
      throw new AitwsError('FILE_NOT_FOUND', `The file ${shown} (beside ${workflowFile}) cannot be read.`, {
        cause: error,
      });
    }
    files.push({ path: shown, mediaType: mediaTypeOf(shown), content });
  }
  return files;
}

function createdOf(given: string | undefined, env: Environment): string {
  if (given === undefined) return defaultCreated(env);
  if (!isRfc3339(given))
    throw new AitwsError('USAGE', `--created "${given.slice(0, 40)}" is not an RFC 3339 time.`, {
      hint: 'Write e.g. 2026-01-31T12:00:00Z.',
    });
  return given;
}

export async function packageCommand(
  args: readonly string[],
  env: Environment,
  io: Output = stdio,
): Promise<number> {
  return guarded('package', io, async () => {
    const { values, positionals } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
    const [file] = positionals;
    if (
      positionals.length !== 1 ||
      file === undefined ||
      values.ref === undefined ||
      values.key === undefined
    ) {
      io.err(
        `aitws package: give one workflow file, --ref and --key, e.g. aitws package ai.toml --ref localhost:5000/team/wf:1.0 --key aitws.key\n\n${PACKAGE_USAGE}`,
      );
      return EXIT_UNREADABLE;
    }
    const reference = parseReference(values.ref);
    const layout = values.output === undefined ? undefined : parseLayoutReference(values.output);
    if (values.output !== undefined && layout === undefined)
      throw new AitwsError('USAGE', `--output "${values.output.slice(0, 120)}" is not oci-layout:DIR.`);
    const tag = layout?.tag ?? reference.tag;
    if (tag === undefined)
      throw new AitwsError('USAGE', '--ref needs a tag, e.g. localhost:5000/team/wf:1.0.');
    const limits = loadConfig(env, ['limits', 'log']).limits;
    const pkg = buildPackage({
      text: await readTextFile(file, limits.documentBytes),
      name: `${reference.registry}/${reference.repository}`,
      privateKey: await readPrivateKey(values.key),
      created: createdOf(values.created, env),
      files: await readFiles(file, values.file ?? []),
      limits,
      ...(values.source === undefined ? {} : { source: values.source }),
      ...(values.revision === undefined ? {} : { revision: values.revision }),
      ...(values.license === undefined ? {} : { licenses: values.license }),
    });
    let lines: PublishedLine[];
    if (layout !== undefined) lines = await writePackageLayout(layout.dir, tag, pkg);
    else {
      const client = new RegistryClient({
        plainHttp: values['plain-http'],
        credentials: credentialsFor(reference.registry, values.credentials, env),
      });
      lines = await pushPackage(client, { ...reference, tag }, pkg);
    }
    io.out(`digest ${pkg.digest}`);
    const verb = layout === undefined ? 'pushed' : 'wrote';
    for (const line of lines) io.out(`${verb} ${line.label} ${line.where} ${line.digest}`);
    return EXIT_OK;
  });
}
