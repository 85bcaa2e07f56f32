/**
 * A skill in the agentskills.io folder layout (a folder holding `SKILL.md`, whose YAML front
 * matter names the skill and says what it does, beside any scripts and references) becomes one
 * artifact layer: a tar of the folder made the same way every time (paths sorted, times, owners
 * and modes fixed), so packaging the same folder twice gives the same layer digest.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pack } from 'tar-stream';
import { AitwsError } from '../errors.js';
import type { ArtifactFile } from './artifact.js';
import { MEDIA_TYPES } from './types.js';

const MAX_FILES = 1000;
const MAX_BYTES = 16 * 1024 * 1024;
/** agentskills.io: lowercase letters, digits and hyphens, as the folder is named. */
const SKILL_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

interface Entry {
  readonly name: string;
  readonly content: Buffer;
  readonly executable: boolean;
}

async function collect(root: string, relative: string, entries: Entry[], shown: string): Promise<void> {
  const names = (await readdir(path.join(root, relative))).sort();
  for (const name of names) {
    const inside = relative === '' ? name : `${relative}/${name}`;
    const info = await lstat(path.join(root, inside));
    if (info.isSymbolicLink())
      throw new AitwsError(
        'USAGE',
        `The skill ${shown} holds a symbolic link (${inside}); it is not packaged.`,
        {
          hint: 'Replace the link with the file itself.',
        },
      );
    if (info.isDirectory()) await collect(root, inside, entries, shown);
    else if (info.isFile())
      entries.push({
        name: inside,
        content: await readFile(path.join(root, inside)),
        executable: (info.mode & 0o111) !== 0,
      });
    if (entries.length > MAX_FILES)
      throw new AitwsError('LIMIT', `The skill ${shown} holds more than ${MAX_FILES} files.`);
  }
}

/** The `name:` and `description:` of SKILL.md's front matter, checked as agentskills.io asks. */
function checkSkillFile(entries: readonly Entry[], folder: string, shown: string): void {
  const skill = entries.find((entry) => entry.name === 'SKILL.md');
  const hint = 'A skill folder holds SKILL.md starting with ---, name: FOLDER-NAME, description: …, ---.';
  if (skill === undefined)
    throw new AitwsError('USAGE', `${shown} is a folder without SKILL.md, so it is not a skill.`, { hint });
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(skill.content.toString('utf8'))?.[1];
  const field = (key: string): string | undefined =>
    front === undefined ? undefined : new RegExp(`^${key}:\\s*(.+?)\\s*$`, 'm').exec(front)?.[1];
  const name = field('name');
  if (name === undefined || field('description') === undefined)
    throw new AitwsError('USAGE', `${shown}/SKILL.md has no front matter with a name and a description.`, {
      hint,
    });
  if (!SKILL_NAME.test(name) || name !== folder)
    throw new AitwsError(
      'USAGE',
      `${shown}/SKILL.md names the skill "${name.slice(0, 64)}", not its folder "${folder}".`,
      {
        hint: 'The name is lowercase letters, digits and hyphens, and the folder is named after it.',
      },
    );
}

async function tarOf(folder: string, entries: readonly Entry[]): Promise<Uint8Array> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  for (const entry of entries)
    archive.entry(
      {
        name: `${folder}/${entry.name}`,
        size: entry.content.byteLength,
        mode: entry.executable ? 0o755 : 0o644,
        mtime: new Date(0),
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
      },
      entry.content,
    );
  archive.finalize();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

/** `dir` (shown as `shown`) as a skill layer stored under `shown.tar`. */
export async function skillLayer(dir: string, shown: string): Promise<ArtifactFile> {
  const entries: Entry[] = [];
  await collect(dir, '', entries, shown);
  const bytes = entries.reduce((sum, entry) => sum + entry.content.byteLength, 0);
  if (bytes > MAX_BYTES)
    throw new AitwsError('LIMIT', `The skill ${shown} holds more than ${MAX_BYTES / 1024 / 1024} MiB.`);
  const folder = path.basename(path.resolve(dir));
  checkSkillFile(entries, folder, shown);
  return {
    path: `${shown.replace(/\/+$/, '')}.tar`,
    mediaType: MEDIA_TYPES.skill,
    content: await tarOf(folder, entries),
  };
}
