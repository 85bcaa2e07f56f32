import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/registry.js';
import { createHarness, type Harness, textOf } from '../support/harness.js';
import { CLI_EXAMPLES, SAMPLE_TOML } from '../support/paths.js';

let h: Harness;

beforeEach(async () => {
  h = await createHarness();
  await copyFile(SAMPLE_TOML, path.join(h.workDir, 'ai.toml'));
});

afterEach(async () => {
  await h.cleanup();
});

async function ok(command: string) {
  const reply = await h.run(command);
  expect(reply.ok, `${command}\n${textOf(reply)}`).toBe(true);
  return reply;
}

async function draft(): Promise<Record<string, unknown>> {
  const record = await h.store.read(h.channel);
  expect(record.document).not.toBeNull();
  return record.document as Record<string, unknown>;
}

describe('the spec examples', () => {
  it('runs every line of cli-examples.txt and /show lists what was added', async () => {
    // Blank lines and the `#` origin line are skipped, as the console skips them.
    const lines = (await readFile(CLI_EXAMPLES, 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    expect(lines.at(-1)).toBe('/show');
    let shown = '';
    for (const line of lines) shown = textOf(await ok(line));
    for (const name of [
      'DataScientist',
      'SecondaryRepo',
      'NoSQLDatabase',
      'ModelErrorTrigger',
      'CPUUsageMonitor',
      'FixBug123',
    ]) {
      expect(shown).toContain(name);
    }
    expect(shown).toContain('mongodb://user:****@example.com:27017/dbname');
    expect(shown).not.toContain('password');
  });
});

describe('/create', () => {
  it('refuses to replace a draft unless force=true, and /undo brings it back', async () => {
    await ok('/create name="First"');
    expect((await h.run('/create name="Second"')).ok).toBe(false);
    await ok('/create name="Second" force=true');
    expect(await draft()).toMatchObject({ metadata: { name: 'Second' } });
    await ok('/undo');
    expect(await draft()).toMatchObject({ metadata: { name: 'First' } });
  });
});

describe('/add and /remove follow the section table', () => {
  beforeEach(async () => {
    await ok('/load ai.toml');
  });

  it('sets and merges fields of a table section', async () => {
    await ok('/add logging level="debug" retention="30 days"');
    expect((await draft()).logging).toEqual({
      level: 'debug',
      destination: 'CloudWatch',
      retention: '30 days',
    });
  });

  it('upserts list entries by key, field by field', async () => {
    const added = await ok('/add roles name="Auditor" privileges=["read"]');
    expect(added.data).toMatchObject({ action: 'added', target: 'roles[Auditor]' });
    const updated = await ok('/add roles name="Developer" description="Writes code"');
    expect(updated.data).toMatchObject({ action: 'updated', fields: ['description'] });
    expect((await draft()).roles).toContainEqual({
      name: 'Developer',
      privileges: ['read', 'write', 'execute'],
      description: 'Writes code',
    });
  });

  it('keys authorization entries by role', async () => {
    await ok('/add authorization role="Developer" allowed_actions=["read"]');
    const entries = (await draft()).authorization as { role: string }[];
    expect(entries.filter((e) => e.role === 'Developer')).toHaveLength(1);
  });

  it('adds and removes nested stage actions', async () => {
    await ok('/add stages.actions stage="Execution" name="Train" type="ai.invoke"');
    const stages = (await draft()).stages as { name: string; actions: { name: string }[] }[];
    expect(stages.find((s) => s.name === 'Execution')?.actions.map((a) => a.name)).toEqual([
      'ExecuteAlgorithm',
      'Train',
    ]);
    await ok('/remove stages.actions stage="Execution" name="Train"');
    const after = (await draft()).stages as { name: string; actions: { name: string }[] }[];
    expect(after.find((s) => s.name === 'Execution')?.actions.map((a) => a.name)).toEqual([
      'ExecuteAlgorithm',
    ]);
  });

  it('removes a table, a field, a list and an entry', async () => {
    await ok('/remove logging level');
    expect((await draft()).logging).toEqual({ destination: 'CloudWatch' });
    await ok('/remove logging');
    expect(await draft()).not.toHaveProperty('logging');
    await ok('/remove roles name="Developer"');
    expect((await draft()).roles).toEqual([{ name: 'Administrator', privileges: ['all'] }]);
    // The last entry takes the list with it: no `roles = []` left behind.
    await ok('/remove roles Administrator');
    expect(await draft()).not.toHaveProperty('roles');
    await ok('/remove dependencies');
    expect(await draft()).not.toHaveProperty('dependencies');
  });

  it('reports only the warnings a change introduces', async () => {
    const reply = await ok(
      '/add repositories name="Mirror" url="https://example.com/m.git" access_role="Ghost"',
    );
    expect(reply.warnings).toHaveLength(1);
    expect(reply.warnings[0]).toMatch(/repositories\[Mirror\]\.access_role/);
  });

  it('accepts extension sections starting with x_', async () => {
    await ok('/add x_team owner="platform"');
    expect((await draft()).x_team).toEqual({ owner: 'platform' });
  });
});

describe('/load, /save, /show, /validate', () => {
  it('keeps every value of the sample through /load then /save', async () => {
    await ok('/load ai.toml');
    await ok('/save out.toml');
    const original = parse(await readFile(SAMPLE_TOML, 'utf8'));
    const saved = parse(await readFile(path.join(h.workDir, 'out.toml'), 'utf8'));
    expect(saved).toEqual(original);
    expect(await readFile(path.join(h.workDir, 'out.toml'), 'utf8')).toContain('postgres://user:password@');
  });

  it('masks credentials in /show but not in the saved file', async () => {
    await ok('/load ai.toml');
    const shown = textOf(await ok('/show external_services'));
    expect(shown).toContain('postgres://user:****@example.com:5432/dbname');
    expect(shown).not.toContain(':password@');
  });

  it('validates the sample with exactly the three dangling references, besides its unknown action types', async () => {
    await ok('/load ai.toml');
    const reply = await ok('/validate');
    const dangling = reply.warnings.filter((warning) => !/\.type: /.test(warning));
    expect(dangling).toHaveLength(3);
    expect(
      reply.warnings.filter((warning) => /\.type: .* is not a supported value/.test(warning)),
    ).toHaveLength(8);
    expect(reply.warnings.join('\n')).toMatch(/ErrorHandling/);
    expect(reply.warnings.join('\n')).toMatch(/Senior Developer/);
    expect(reply.warnings.join('\n')).toMatch(/TaskA.*TaskB/);
    const strict = await h.run('/validate strict=true');
    expect(strict.ok).toBe(false);
  });

  it('shares drafts through the workspace library', async () => {
    await ok('/load ai.toml');
    await ok('/save name="baseline"');
    expect(textOf(await ok('/saved'))).toContain('baseline');
    const otherChannel = { ...h.channel, channel: 'other' };
    const reply = await h.dispatcher.handle({
      text: '/load name="baseline"',
      actor: { id: 'bob', name: 'bob' },
      channel: otherChannel,
    });
    expect(reply.ok).toBe(true);
    expect((await h.store.read(otherChannel)).document).toEqual(await draft());
    const elsewhere = await h.dispatcher.handle({
      text: '/load name="baseline"',
      actor: { id: 'eve', name: 'eve' },
      channel: { ...h.channel, workspace: 'another-team' },
    });
    expect(elsewhere.ok).toBe(false);
  });
});

describe('/undo, /history, /diff', () => {
  it('steps back through changes, skipping undone ones', async () => {
    await ok('/create name="W"'); // v1
    await ok('/add roles name="A"'); // v2
    await ok('/add roles name="B"'); // v3
    await ok('/undo'); // v4 = v2
    expect(((await draft()).roles as { name: string }[]).map((r) => r.name)).toEqual(['A']);
    await ok('/undo'); // v5 = v1
    expect(await draft()).not.toHaveProperty('roles');
    await ok('/undo'); // v6 = nothing
    expect((await h.store.read(h.channel)).document).toBeNull();
    expect((await h.run('/undo')).ok).toBe(false);
  });

  it('lists history newest first and diffs versions', async () => {
    await ok('/create name="W"');
    await ok('/add roles name="A" privileges=["read"]');
    const history = await ok('/history');
    expect(textOf(history)).toMatch(/v2 · .* · alice · \/add roles name="A"/);
    const diff = textOf(await ok('/diff'));
    expect(diff).toContain('+[[roles]]');
    expect(diff).toContain('+name = "A"');
    expect(textOf(await ok('/diff 2 2'))).toMatch(/No differences/);
    expect((await h.run('/diff 9')).ok).toBe(false);
  });
});

describe('/help', () => {
  it('is generated from the registry', async () => {
    const index = textOf(await ok('/help'));
    for (const command of COMMANDS) expect(index).toContain(command.usage);
  });

  it('explains a command, a section and a nested list', async () => {
    expect(textOf(await ok('/help add'))).toContain('/add roles name="DataScientist"');
    const roles = textOf(await ok('/help roles'));
    expect(roles).toMatch(/privileges/);
    expect(roles).toMatch(/\/add roles /);
    expect(textOf(await ok('/help stages.actions'))).toMatch(/stage=/);
  });

  it('suggests the nearest topic', async () => {
    const reply = await h.run('/help rols');
    expect(reply.ok).toBe(false);
    expect(textOf(reply)).toMatch(/Did you mean \/help roles/);
  });
});
