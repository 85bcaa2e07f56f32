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
 * A proposal applied by a click runs as the person who clicked: they must hold what each of its
 * commands needs, not only /apply's write. Returns the caller for the strongest of them.
 */
export async function authorizeLines(
  gate: Gate,
  invocation: Invocation,
  lines: readonly string[],
  definitions: readonly CommandDefinition[],
  apply: CommandDefinition,
): Promise<Caller> {
  let caller = await authorize(gate, invocation, apply, { name: apply.name, positionals: [], params: [] });
  for (const line of lines) {
    const command = parseCommandLine(normalizeChatText(line));
    const definition = definitions.find((candidate) => candidate.name === command.name);
    if (definition !== undefined)
      caller = await authorize(gate, { ...invocation, text: line }, definition, command);
  }
  return caller;
}
