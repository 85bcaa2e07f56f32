/**
 * The first hour of a new user, through the real `bin/aitws.js` console (piped, --json): nothing
 * is overwritten by surprise, arguments mean what they say, versions can be restored and redone,
 * and the document rules hold. Each record is what the console printed for one typed line.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-everyday-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the lines in one console and returns one record per line. */
async function session(...lines: string[]): Promise<Record<string, unknown>[]> {
  const result = await runCli(['console', '--json', '--exit-zero'], {
    cwd: dir,
    input: `${lines.join('\n')}\n`,
  });
  expect(result.stderr).toBe('');
  const records = jsonLines(result.stdout);
  expect(records).toHaveLength(lines.length);
  return records;
}

const text = (record: Record<string, unknown> | undefined): string => String(record?.text ?? '');
function versionsOf(record: Record<string, unknown> | undefined): { change: string }[] {
  const data = record?.data as { versions?: { change: string }[] } | undefined;
  return data?.versions ?? [];
}
const warnings = (record: Record<string, unknown> | undefined): string =>
  (Array.isArray(record?.warnings) ? record.warnings : []).join('\n');

describe('nothing is overwritten by surprise', () => {
  it('writes only .toml files, and replaces one only with force=true', async () => {
    await writeFile(path.join(dir, 'notes.md'), 'my notes');
    await writeFile(path.join(dir, 'flow.toml'), '# mine');
    const [, md, json, kept, forced] = await session(
      '/create name="Flow"',
      '/save notes.md',
      '/save package.json',
      '/save flow.toml',
      '/save flow.toml force=true',
    );
    expect(md).toMatchObject({ ok: false });
    expect(text(md)).toContain('Only .toml files can be saved, and "notes.md" is not one.');
    expect(text(md)).toContain('Try /save notes.toml');
    expect(json).toMatchObject({ ok: false });
    expect(text(kept)).toContain('"flow.toml" already exists; it was left as it is.');
    expect(text(kept)).toContain('Replace it with /save flow.toml force=true');
    expect(forced).toMatchObject({ ok: true });
    expect(await readFile(path.join(dir, 'notes.md'), 'utf8')).toBe('my notes');
    expect(await readFile(path.join(dir, 'flow.toml'), 'utf8')).toContain('name = "Flow"');
  });

  it('asks before replacing a library entry, and deletes one naming who saved it', async () => {
    const records = await session(
      '/create name="Base"',
      '/save name="baseline"',
      '/save name="baseline"',
      '/save name="baseline" force=true',
      '/saved delete baseline',
      '/saved',
    );
    expect(records.map((record) => record.ok)).toEqual([true, true, false, true, true, true]);
    expect(text(records[2])).toMatch(/"baseline" is already in the workspace library \(saved by .+, \d{4}-/);
    expect(text(records[4])).toMatch(/Deleted "baseline" from the workspace library \(saved by .+, \d{4}-/);
    expect(text(records[5])).toContain('Nothing is saved in this workspace yet.');
  });
});

describe('arguments mean what they say', () => {
  it('rejects what a command does not take, with its usage', async () => {
    const [, undo, create, named, validateWord] = await session(
      '/create name="A"',
      '/undo 24',
      '/create My workflow',
      '/create name=My workflow force=true',
      '/validate sloppy',
    );
    expect(text(undo)).toContain('Unexpected "24": /undo takes no words.');
    expect(text(undo)).toContain('Usage: /undo');
    expect(text(create)).toContain('Did you mean /create name="My workflow"?');
    expect(text(named)).toContain('A value with spaces needs quotes: name="My workflow".');
    expect(text(validateWord)).toContain('"sloppy" is not a way to validate.');
  });

  it('accepts the forms people type: /history 5, /validate strict, /show roles NAME, /show stages.actions', async () => {
    const lines = ['/create name="Forms"'];
    for (let index = 0; index < 7; index += 1) lines.push(`/add roles name="R${index}" privileges=["read"]`);
    lines.push(
      '/add stages name="Build" order=1',
      '/add stages.actions stage="Build" name="Fit" type="ai.invoke"',
      '/add authorization role="Ghost" allowed_actions=["read"]',
      '/history 5',
      '/validate strict',
      '/show roles R3',
      '/show stages.actions',
    );
    const records = await session(...lines);
    const [history, strict, entry, actions] = records.slice(-4);
    expect(versionsOf(history)).toHaveLength(5);
    expect(strict).toMatchObject({ ok: false });
    expect(text(strict)).toContain('unknown role "Ghost"');
    expect(text(entry)).toContain('name = "R3"');
    expect(text(entry)).not.toContain('R4');
    expect(text(actions)).toMatch(
      /\[\[stages\]\]\nname = "Build"\n[\s\S]*\[\[stages\.actions\]\]\nname = "Fit"/,
    );
  });
});

describe('versions', () => {
  it('restores, redoes, says when nothing changed, and names the version in history', async () => {
    const records = await session(
      '/create name="V"',
      '/add logging level="info"',
      '/add logging level="debug"',
      '/add logging level="debug"',
      '/undo',
      '/redo',
      '/restore 2',
      '/history 3',
    );
    expect(text(records[3])).toBe('No change: logging already has those values · still v3');
    expect(text(records[4])).toBe('Undid v3 (back to v2) · now v4');
    expect(text(records[5])).toBe('Redid v3 · now v5');
    expect(text(records[6])).toBe('Restored v2 · now v6');
    const changes = versionsOf(records[7]).map((v) => v.change);
    expect(changes).toEqual([
      '/restore 2 · back to v2',
      '/redo · v3 again',
      '/undo · reverts v3, back to v2',
    ]);
  });
});

describe('document rules', () => {
  it('keeps metadata, drops an emptied list, says how to fix a type, and warns about unknown action types', async () => {
    const records = await session(
      '/create name="Rules"',
      '/remove metadata',
      '/add stages name="Only" order=1',
      '/remove stages name="Only"',
      '/show',
      '/add metadata version=2',
      '/add stages name="S" order=1',
      '/add stages.actions stage="S" name="A" type="foo.bar"',
    );
    expect(text(records[1])).toContain('metadata cannot be removed: a workflow needs a name.');
    expect(text(records[4])).not.toContain('stages');
    expect(text(records[5])).toContain('metadata.version: got 2; write version="2"');
    expect(warnings(records[7])).toContain('"foo.bar" is not a supported value (expected one of ai.invoke,');
  });
});
