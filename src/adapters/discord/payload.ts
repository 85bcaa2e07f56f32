/**
 * The application-command payload, generated from the core registry and the option table with
 * discord.js's builders, and checked against Discord's documented limits before anything is sent:
 * Discord rejects the whole bulk overwrite for one bad description.
 */
import {
  ApplicationIntegrationType,
  InteractionContextType,
  PermissionFlagsBits,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  SlashCommandBuilder,
} from 'discord.js';
import { z } from 'zod';
import type { CommandDefinition } from '../../commands/types.js';
import { type OptionSpec, optionsFor } from './options.js';

export const LIMITS = {
  name: /^[-_\p{L}\p{N}]{1,32}$/u,
  description: 100,
  options: 25,
  choices: 25,
  choiceName: 100,
  choiceValue: 100,
  /** name + description + every option's and choice's name, description and value. */
  commandChars: 4000,
  globalCommands: 100,
  stringLength: 6000,
} as const;

/** Registry text can be longer than Discord allows; cut on a word and say it was cut. */
export function fitDescription(text: string, max: number = LIMITS.description): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine.length <= max) return oneLine;
  const cut = oneLine.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

function addOption(builder: SlashCommandBuilder, spec: OptionSpec): void {
  const description = fitDescription(spec.description);
  const required = spec.required === true;
  switch (spec.kind) {
    case 'string':
      builder.addStringOption((o) => {
        o.setName(spec.name).setDescription(description).setRequired(required);
        if (spec.autocomplete !== undefined) o.setAutocomplete(true);
        if (spec.maxLength !== undefined) o.setMaxLength(spec.maxLength);
        return o;
      });
      return;
    case 'integer':
      builder.addIntegerOption((o) => {
        o.setName(spec.name).setDescription(description).setRequired(required);
        if (spec.minValue !== undefined) o.setMinValue(spec.minValue);
        if (spec.maxValue !== undefined) o.setMaxValue(spec.maxValue);
        return o;
      });
      return;
    case 'boolean':
      builder.addBooleanOption((o) => o.setName(spec.name).setDescription(description).setRequired(required));
      return;
    case 'attachment':
      builder.addAttachmentOption((o) =>
        o.setName(spec.name).setDescription(description).setRequired(required),
      );
      return;
    case 'user':
      builder.addUserOption((o) => o.setName(spec.name).setDescription(description).setRequired(required));
      return;
  }
}

/**
 * Commands that only read (the draft, the library, the help, who holds which role, the review and
 * the audit trail), which anyone in the server may run. Every other command changes something a
 * channel or the whole server shares, so Discord offers it only to members who may already
 * moderate what others post; a command added later is in that group until someone lists it here,
 * so a new way to change things is never open by accident. /approve, /reject, /grant and /revoke
 * stay in it too: Manage Messages is a first gate only, and the bot's own privilege check (the
 * roles granted in the channel) decides who may vote or grant.
 */
export const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set([
  'help',
  'show',
  'validate',
  'saved',
  'history',
  'diff',
  'ask',
  'members',
  'review',
  'audit',
]);

/**
 * Manage Messages: moderators have it as well as admins, and the draft is content that every
 * member of a channel sees changed. Manage Server would leave the commands to admins alone. Either
 * way this is only the default: under Server Settings → Integrations an admin opens any command to
 * more roles, members or channels, or closes it, without registering again.
 */
export const CHANGING_COMMAND_PERMISSIONS = PermissionFlagsBits.ManageMessages;

function buildCommand(command: CommandDefinition): RESTPostAPIChatInputApplicationCommandsJSONBody {
  const builder = new SlashCommandBuilder()
    .setName(command.name)
    .setDescription(fitDescription(command.summary))
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall);
  if (!READ_ONLY_COMMANDS.has(command.name))
    builder.setDefaultMemberPermissions(CHANGING_COMMAND_PERMISSIONS);
  // Discord requires every required option before the optional ones.
  const specs = [...optionsFor(command.name)].sort(
    (a, b) => Number(b.required === true) - Number(a.required === true),
  );
  for (const spec of specs) addOption(builder, spec);
  return builder.toJSON();
}

export function buildCommandPayload(
  commands: readonly CommandDefinition[],
): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return commands.map(buildCommand);
}

const choiceSchema = z.object({ name: z.string(), value: z.union([z.string(), z.number()]) });
interface OptionShape {
  name: string;
  description: string;
  type: number;
  required?: boolean | undefined;
  autocomplete?: boolean | undefined;
  choices?: z.infer<typeof choiceSchema>[] | undefined;
  min_length?: number | undefined;
  max_length?: number | undefined;
  options?: OptionShape[] | undefined;
}
const optionSchema: z.ZodType<OptionShape> = z.lazy(() =>
  z.object({
    name: z.string(),
    description: z.string(),
    type: z.number(),
    required: z.boolean().optional(),
    autocomplete: z.boolean().optional(),
    choices: z.array(choiceSchema).optional(),
    min_length: z.number().optional(),
    max_length: z.number().optional(),
    options: z.array(optionSchema).optional(),
  }),
);
const commandSchema = z.object({
  name: z.string(),
  description: z.string(),
  options: z.array(optionSchema).optional(),
});

/** Option types that may carry choices or autocomplete: string, integer, number. */
const CHOOSABLE = new Set([3, 4, 10]);

function checkName(where: string, name: string, problems: string[]): void {
  if (!LIMITS.name.test(name)) problems.push(`${where}: name "${name}" must match ${LIMITS.name.source}`);
  if (name !== name.toLowerCase()) problems.push(`${where}: name "${name}" must be lower-case`);
}

function checkDescription(where: string, description: string, problems: string[]): void {
  if (description.length < 1 || description.length > LIMITS.description) {
    problems.push(`${where}: description must be 1–${LIMITS.description} characters (${description.length})`);
  }
}

function checkOptions(where: string, options: readonly OptionShape[], problems: string[]): number {
  let chars = 0;
  if (options.length > LIMITS.options)
    problems.push(`${where}: ${options.length} options (max ${LIMITS.options})`);
  const seen = new Set<string>();
  let optionalSeen = false;
  for (const option of options) {
    const at = `${where} ${option.name}`;
    checkName(at, option.name, problems);
    checkDescription(at, option.description, problems);
    if (seen.has(option.name)) problems.push(`${at}: duplicate option name`);
    seen.add(option.name);
    if (option.required === true && optionalSeen)
      problems.push(`${at}: required option after an optional one`);
    if (option.required !== true) optionalSeen = true;
    chars += option.name.length + option.description.length;
    const choices = option.choices ?? [];
    if (choices.length > 0 && option.autocomplete === true) {
      problems.push(`${at}: autocomplete and choices are mutually exclusive`);
    }
    if ((choices.length > 0 || option.autocomplete === true) && !CHOOSABLE.has(option.type)) {
      problems.push(`${at}: only string, integer and number options take choices or autocomplete`);
    }
    if (choices.length > LIMITS.choices)
      problems.push(`${at}: ${choices.length} choices (max ${LIMITS.choices})`);
    for (const choice of choices) {
      if (choice.name.length < 1 || choice.name.length > LIMITS.choiceName) {
        problems.push(`${at}: choice name "${choice.name}" must be 1–${LIMITS.choiceName} characters`);
      }
      if (typeof choice.value === 'string' && choice.value.length > LIMITS.choiceValue) {
        problems.push(`${at}: choice value longer than ${LIMITS.choiceValue} characters`);
      }
      chars += choice.name.length + String(choice.value).length;
    }
    for (const [key, value] of [
      ['min_length', option.min_length],
      ['max_length', option.max_length],
    ] as const) {
      if (value !== undefined && (value < 0 || value > LIMITS.stringLength)) {
        problems.push(`${at}: ${key} must be 0–${LIMITS.stringLength}`);
      }
    }
    if (option.options !== undefined) chars += checkOptions(at, option.options, problems);
  }
  return chars;
}

/** Every way the payload breaks Discord's limits, as readable lines; empty when it is fine. */
export function checkCommandPayload(payload: unknown): string[] {
  const parsed = z.array(commandSchema).safeParse(payload);
  if (!parsed.success) return parsed.error.issues.map((i) => `payload ${i.path.join('.')}: ${i.message}`);
  const problems: string[] = [];
  const commands = parsed.data;
  if (commands.length > LIMITS.globalCommands) {
    problems.push(`${commands.length} commands (max ${LIMITS.globalCommands})`);
  }
  const names = new Set<string>();
  for (const command of commands) {
    const where = `/${command.name}`;
    checkName(where, command.name, problems);
    checkDescription(where, command.description, problems);
    if (names.has(command.name)) problems.push(`${where}: duplicate command name`);
    names.add(command.name);
    const chars =
      command.name.length + command.description.length + checkOptions(where, command.options ?? [], problems);
    if (chars > LIMITS.commandChars)
      problems.push(`${where}: ${chars} characters in total (max ${LIMITS.commandChars})`);
  }
  return problems;
}
