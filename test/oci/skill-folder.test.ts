/**
 * A skill folder (agentskills.io layout) as one layer: the same folder always gives the same tar
 * (sorted, fixed times and owners), a folder that is not a skill is refused with how to make it
 * one, and `aitws package --file FOLDER` stores it as a skill layer the SBOM lists.
 */
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import { sha256Digest } from '../../src/oci/digest.js';
import { skillLayer } from '../../src/oci/skill-folder.js';
import { MEDIA_TYPES } from '../../src/oci/types.js';

let dir: string;

const SKILL =
  '---\nname: triage-helper\ndescription: Sorts tickets by urgency.\n---\n\nUse scripts/sort.py.\n';

async function skillFolder(name: string, skillText = SKILL): Promise<string> {
  const root = path.join(dir, name, 'triage-helper');
  await mkdir(path.join(root, 'scripts'), { recursive: true });
  await writeFile(path.join(root, 'SKILL.md'), skillText);
  await writeFile(path.join(root, 'scripts', 'sort.py'), 'print("sorted")\n');
  await chmod(path.join(root, 'scripts', 'sort.py'), 0o775);
  await writeFile(path.join(root, 'references.md'), '# References\n');
  return root;
}

interface TarEntry {
  readonly name: string;
  readonly mode: number | undefined;
  readonly mtime: number | undefined;
  readonly uid: number | undefined;
  readonly text: string;
}

async function entriesOf(bytes: Uint8Array): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const reader = extract();
  reader.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      entries.push({
        name: header.name,
        mode: header.mode,
        mtime: header.mtime?.getTime(),
        uid: header.uid,
        text: Buffer.concat(chunks).toString('utf8'),
      });
      next();
    });
  });
  const finished = new Promise<void>((resolve, reject) => {
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  Readable.from([Buffer.from(bytes)]).pipe(reader);
  await finished;
  return entries;
}

async function refusal(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AitwsError)) throw new Error(`expected an AitwsError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-skill-'));
});
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('skill folders', () => {
  it('tars the folder sorted, with fixed times, owners and modes, the same way every time', async () => {
    const first = await skillFolder('one');
    const second = await skillFolder('two');
    await utimes(path.join(second, 'SKILL.md'), new Date('2020-01-01'), new Date('2020-01-01'));
    const a = await skillLayer(first, 'skills/triage-helper');
    const b = await skillLayer(second, 'skills/triage-helper/');
    expect(a.path).toBe('skills/triage-helper.tar');
    expect(b.path).toBe('skills/triage-helper.tar');
    expect(a.mediaType).toBe(MEDIA_TYPES.skill);
    expect(sha256Digest(a.content)).toBe(sha256Digest(b.content));
    const entries = await entriesOf(a.content);
    expect(entries.map((entry) => entry.name)).toEqual([
      'triage-helper/SKILL.md',
      'triage-helper/references.md',
      'triage-helper/scripts/sort.py',
    ]);
    expect(entries.map((entry) => entry.mode)).toEqual([0o644, 0o644, 0o755]);
    expect(entries.every((entry) => entry.mtime === 0 && entry.uid === 0)).toBe(true);
    expect(entries[0]?.text).toBe(SKILL);
  });

  it('refuses a folder without SKILL.md, without front matter, or named otherwise', async () => {
    const plain = path.join(dir, 'plain', 'notes');
    await mkdir(plain, { recursive: true });
    await writeFile(path.join(plain, 'README.md'), 'hi');
    expect((await refusal(skillLayer(plain, 'notes'))).message).toContain('without SKILL.md');
    const bare = await skillFolder('bare', 'Just text, no front matter.\n');
    expect((await refusal(skillLayer(bare, 'triage-helper'))).message).toContain('no front matter');
    const other = await skillFolder('other', SKILL.replace('triage-helper', 'something-else'));
    const misnamed = await refusal(skillLayer(other, 'triage-helper'));
    expect(misnamed.message).toContain('names the skill "something-else", not its folder "triage-helper"');
  });

  it('refuses a symbolic link inside the folder instead of following it', async () => {
    const linked = await skillFolder('linked');
    await symlink('/etc/passwd', path.join(linked, 'passwd'));
    const error = await refusal(skillLayer(linked, 'triage-helper'));
    expect(error.message).toContain('symbolic link (passwd)');
  });
});
