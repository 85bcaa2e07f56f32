/**
 * Every privileged command × every person without the privilege it needs, on the file store and on
 * Redis. The table comes from the registry (each command's examples, plus the forms that escalate),
 * so a command added later is covered without touching this file. Each refusal names the privilege
 * and who can grant it, changes nothing but the audit trail, and adds exactly one `refused` entry
 * naming the person.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Privilege } from '../../src/access/privileges.js';
import { COMMANDS } from '../../src/commands/registry.js';
import type { CommandDefinition } from '../../src/commands/types.js';
import {
  buttonOf,
  expectRefusal,
  PEOPLE,
  type Person,
  STORE_KINDS,
  textOf,
  useWorlds,
  type World,
} from './world.js';

/** What each person holds in the world (world.ts grants them). */
const PERSONAS: readonly { readonly person: Person; readonly holds: readonly Privilege[] }[] = [
  { person: PEOPLE.viewer, holds: ['read'] },
  { person: PEOPLE.dev, holds: ['read', 'write', 'execute'] },
  { person: PEOPLE.approver1, holds: ['read', 'approve'] },
  { person: PEOPLE.dormant, holds: [] },
];

/**
 * More forms that escalate, beyond the one each escalation declares (`form`, whose placeholder
 * NAME becomes the saved workflow set up below).
 */
const MORE_ESCALATED: Readonly<Record<string, readonly string[]>> = {
  create: ['/create name="Replacement" force=true', '/create force=true name="Replacement" version="2"'],
};

interface Case {
  readonly command: string;
  readonly text: string;
  readonly privilege: Privilege;
  readonly person: Person;
}

function invocations(definition: CommandDefinition): { text: string; privilege: Privilege }[] {
  const { escalation } = definition;
  const escalated =
    escalation === undefined
      ? []
      : [escalation.form.replace(/\b[A-Z]{2,}\b/g, 'baseline'), ...(MORE_ESCALATED[definition.name] ?? [])];
  const plain = definition.examples
    .filter((example) => !escalated.includes(example))
    .map((text) => ({ text, privilege: definition.privilege }));
  return [
    ...plain,
    ...escalated.map((text) => ({ text, privilege: escalation?.privilege ?? definition.privilege })),
  ];
}

const CASES: readonly Case[] = COMMANDS.flatMap((definition) =>
  invocations(definition).flatMap(({ text, privilege }) =>
    PERSONAS.filter(({ holds }) => !holds.includes(privilege)).map(({ person }) => ({
      command: definition.name,
      text,
      privilege,
      person,
    })),
  ),
);

describe('the refusal table', () => {
  it('covers every command in the registry, each escalation included', () => {
    for (const definition of COMMANDS) {
      expect(
        CASES.some((c) => c.command === definition.name),
        definition.name,
      ).toBe(true);
      const { escalation } = definition;
      if (escalation !== undefined)
        expect(CASES.some((c) => c.command === definition.name && c.privilege === escalation.privilege)).toBe(
          true,
        );
    }
    expect(CASES.filter((c) => c.text === '/create force=true').map((c) => c.privilege)).toContain('admin');
    expect(CASES.filter((c) => c.text === '/saved delete baseline').map((c) => c.privilege)).toContain(
      'write',
    );
    // Someone lacks each privilege: the person whose only grant is dormant holds nothing at all.
    for (const privilege of ['read', 'write', 'approve', 'admin'] as const)
      expect(CASES.some((c) => c.privilege === privilege)).toBe(true);
  });
});

describe.each(STORE_KINDS)('on the %s store, a person without the privilege', (kind) => {
  const worlds = useWorlds();
  let world: World;
  let reviewButton: string;

  beforeAll(async () => {
    world = await worlds.open(kind);
    // Something for each command to change if it were let through: a pending review, a saved
    // workflow, history to undo and redo.
    for (const text of ['/add logging level="debug"', '/save name="baseline"', '/undo'])
      expect((await world.say(PEOPLE.dev, text)).ok, text).toBe(true);
    const submitted = await world.say(PEOPLE.dev, '/submit before the refusals');
    expect(submitted.ok, textOf(submitted)).toBe(true);
    reviewButton = buttonOf(submitted, 'Approve');
  });

  it.each(CASES)('$person.name: $text needs $privilege', async ({ text, privilege, person }) => {
    const before = await world.stateOutsideAudit();
    const [newestBefore] = await world.trail(undefined, 1);

    const reply = await world.say(person, text);

    expectRefusal(reply, privilege);
    // Who can grant it: the channel's admin-role holder (granted as a mention, so named by it).
    expect(textOf(reply)).toContain(`@${PEOPLE.owner.id}`);
    expect(await world.stateOutsideAudit()).toEqual(before);
    const [refused, previous] = await world.trail(undefined, 2);
    expect(previous?.id).toBe(newestBefore?.id);
    expect(refused).toMatchObject({
      kind: 'refused',
      actor: { id: person.id, name: person.name },
      detail: `needs ${privilege}`,
    });
    expect(refused?.command.startsWith(text.split(' ', 1)[0] ?? text)).toBe(true);
  });

  it.each(PERSONAS.filter(({ holds }) => !holds.includes('approve')))(
    '$person.name: the Approve button needs approve',
    async ({ person }) => {
      const before = await world.stateOutsideAudit();
      const reply = await world.click(person, reviewButton);
      expectRefusal(reply, 'approve');
      // To the clicker alone; the review message keeps its buttons.
      expect(reply.visibility).toBe('ephemeral');
      expect(reply.clickEffect).not.toBe('replace');
      expect(await world.stateOutsideAudit()).toEqual(before);
      const [refused] = await world.trail(undefined, 1);
      expect(refused).toMatchObject({ kind: 'refused', actor: person, detail: 'needs approve' });
    },
  );
});
