/**
 * The privilege check every command passes through, typed or clicked: the registry says what a
 * command needs, the access service says what the person holds in the channel.
 */
import type { Privilege } from '../access/privileges.js';
import type { AccessControl, Caller } from '../access/service.js';
import type { Drafts } from '../session/drafts.js';
import { normalizeChatText, parseCommandLine } from './grammar/index.js';
import { historyLine } from './history-line.js';
import type { ChannelFacts, CommandDefinition, Invocation, ParsedCommand } from './types.js';

export function requiredPrivilege(
  definition: CommandDefinition,
  command: ParsedCommand,
  facts: ChannelFacts,
): Privilege {
  const escalation = definition.escalation;
  return escalation?.applies(command, facts) === true ? escalation.privilege : definition.privilege;
}

/** For /help: "write", or "write; admin for /create force=true once …". */
export function describePrivilege(definition: CommandDefinition): string {
  const escalation = definition.escalation;
  if (escalation === undefined) return definition.privilege;
  const condition = escalation.condition === undefined ? '' : ` ${escalation.condition}`;
  return `${definition.privilege}; ${escalation.privilege} for ${escalation.form}${condition}`;
}

export interface Gate {
  readonly access: AccessControl;
  readonly drafts: Drafts;
}

/** The caller, or a FORBIDDEN error (with an audit entry) when they lack what the command needs. */
export function authorize(
  gate: Gate,
  invocation: Invocation,
  definition: CommandDefinition,
  command: ParsedCommand,
): Promise<Caller> {
  return gate.access.authorize(
    {
      channel: invocation.channel,
      person: invocation.actor,
      command: historyLine(invocation.text, command),
    },
    (record) => requiredPrivilege(definition, command, { hasGrants: record.grants.length > 0 }),
    async () => (await gate.drafts.read(invocation.channel)).document,
  );
}

/**
 * What a button or a proposal will run, checked before anything is decided: the person who clicks
 * (or types /apply) must hold what each command needs, or the click is refused and the button
 * stays for someone who may.
 */
export async function demandLines(
  gate: Gate,
  invocation: Invocation,
  caller: Caller,
  lines: readonly string[],
  definitions: readonly CommandDefinition[],
): Promise<void> {
  const facts = { hasGrants: caller.record.grants.length > 0 };
  for (const line of lines) {
    const command = parseCommandLine(normalizeChatText(line));
    const definition = definitions.find((candidate) => candidate.name === command.name);
    if (definition === undefined) continue;
    await gate.access.demand(
      { channel: invocation.channel, person: invocation.actor, command: historyLine(line, command) },
      requiredPrivilege(definition, command, facts),
      caller,
      async () => (await gate.drafts.read(invocation.channel)).document,
    );
  }
}
