/**
 * The sections that decide who may do what ([[roles]], [[authorization]], [change_management]) are
 * the channel admins' once anyone holds a grant: a person with write cannot give their own role
 * everything, turn on self-approval, or leave the admins' grants dormant, by any path that changes
 * the draft (/add, /remove, /load, /undo, /restore, /create force=true). On both stores.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentText, expectRefusal, PEOPLE, STORE_KINDS, textOf, useWorlds } from './world.js';

const ESCALATIONS = [
  '/add authorization role="Developer" allowed_actions=["*"]',
  '/add roles name="Developer" privileges=["all"]',
  '/remove roles name="Administrator"',
  '/add change_management allow_self_approval=true',
  '/remove change_management',
];

describe.each(STORE_KINDS)('on the %s store', (kind) => {
  const worlds = useWorlds();

  it.each(ESCALATIONS)('refuses %s by a developer, changing nothing, on the record', async (line) => {
    const world = await worlds.open(kind);
    const before = await world.stateOutsideAudit();
    const refused = await world.say(PEOPLE.dev, line);
    expectRefusal(refused, 'admin');
    expect(textOf(refused)).toContain('Changing roles, authorization or change_management');
    expect(await world.stateOutsideAudit()).toEqual(before);
    const [last] = await world.trail(undefined, 1);
    expect(last).toMatchObject({ kind: 'refused', actor: { id: PEOPLE.dev.id } });
    expect(last?.detail).toContain('needs admin');
  });

  it('lets the developer change everything else, and the channel admin change the roles', async () => {
    const world = await worlds.open(kind);
    expect((await world.say(PEOPLE.dev, '/add logging level="debug"')).ok).toBe(true);
    const added = await world.say(PEOPLE.owner, '/add roles name="Developer" privileges=["read", "write"]');
    expect(added.ok, textOf(added)).toBe(true);
  });

  it('refuses the same change through /load, /undo and /restore', async () => {
    const world = await worlds.open(kind);
    const widened = documentText().replace(/allowed_actions = \[[^\]]*\]/g, 'allowed_actions = ["*"]');
    await writeFile(path.join(world.harness.workDir, 'widened.toml'), widened);
    expectRefusal(await world.say(PEOPLE.dev, '/load widened.toml'), 'admin');

    expect((await world.say(PEOPLE.owner, '/add change_management required_approvals=3')).ok).toBe(true);
    const version = (await world.draft()).version;
    expectRefusal(await world.say(PEOPLE.dev, '/undo'), 'admin');
    expectRefusal(await world.say(PEOPLE.dev, `/restore ${version - 1}`), 'admin');
    expect((await world.draft()).version).toBe(version);
  });

  it('leaves a channel without grants open to set up', async () => {
    const world = await worlds.open(kind, { populated: false });
    expect((await world.say(PEOPLE.stranger, '/create name="Fresh"')).ok).toBe(true);
    const added = await world.say(PEOPLE.stranger, '/add roles name="Lead" privileges=["all"]');
    expect(added.ok, textOf(added)).toBe(true);
  });
});
