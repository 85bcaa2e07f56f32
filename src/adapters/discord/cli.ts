/**
 * `aitws discord commands` prints the application-command payload for review;
 * `aitws discord register [--guild ID]` bulk-overwrites the registered commands with it. Both
 * refuse a payload that breaks Discord's limits, which Discord would reject as a whole.
 */
import { parseArgs } from 'node:util';
import { COMMANDS } from '../../commands/registry.js';
import type { CommandDefinition } from '../../commands/types.js';
import type { Config } from '../../config.js';
import type { Output } from '../../output.js';
import { classifyDiscordError, createDiscordApi, createRest, type DiscordApi, discordOrigin } from './api.js';
import { buildCommandPayload, checkCommandPayload } from './payload.js';

const DISCORD_USAGE = `Usage: aitws discord <commands | register [--guild ID]>

  commands              print the application-command JSON that register would send
  register              overwrite the global commands (Discord may take a while to show changes)
  register --guild ID   overwrite one server's commands (instant; for trying changes out)

register needs DISCORD_TOKEN and DISCORD_APPLICATION_ID; DISCORD_API_URL overrides the REST base.`;

/** A server id: Discord's are snowflakes of 17 to 20 digits today, but the length is Discord's business. */
const SERVER_ID = /^\d+$/;

export interface DiscordCliDeps {
  readonly commands?: readonly CommandDefinition[];
  /** Tests inject an API; by default one is built from the config. */
  readonly api?: DiscordApi;
}

function checked(commands: readonly CommandDefinition[], out: Output): object[] | undefined {
  const payload = buildCommandPayload(commands);
  const problems = checkCommandPayload(payload);
  if (problems.length === 0) return payload;
  out.err('aitws discord: the command payload breaks Discord limits:');
  for (const problem of problems) out.err(`  ${problem}`);
  return undefined;
}

async function register(args: string[], config: Config, out: Output, deps: DiscordCliDeps): Promise<number> {
  const { values } = parseArgs({ args, options: { guild: { type: 'string' } }, allowPositionals: false });
  const guild = values.guild;
  if (guild !== undefined && !SERVER_ID.test(guild)) {
    out.err(`aitws discord register: --guild takes a server id (digits), not "${guild}"`);
    return 2;
  }
  const discord = config.discord;
  if (deps.api === undefined && (discord?.token === undefined || discord.applicationId === undefined)) {
    out.err('aitws discord register: set DISCORD_TOKEN and DISCORD_APPLICATION_ID first.');
    return 2;
  }
  const payload = checked(deps.commands ?? COMMANDS, out);
  if (payload === undefined) return 1;
  const api =
    deps.api ??
    createDiscordApi(createRest({ token: discord?.token, apiUrl: discord?.apiUrl }), {
      applicationId: discord?.applicationId ?? '',
      hasBotToken: true,
    });
  try {
    await api.putCommands(payload, guild);
  } catch (error) {
    const failure = classifyDiscordError(error);
    out.err(
      failure.kind === 'unreachable'
        ? `aitws discord register: could not reach Discord at ${discordOrigin(discord?.apiUrl)} (${failure.reason})`
        : failure.status === 401
          ? `aitws discord register: Discord refused DISCORD_TOKEN (${failure.reason}): check the bot token`
          : `aitws discord register: Discord refused the commands: ${failure.reason}`,
    );
    return 1;
  }
  out.out(
    guild === undefined
      ? `Registered ${payload.length} global commands (clients may take a while to show changes).`
      : `Registered ${payload.length} commands in server ${guild}.`,
  );
  return 0;
}

export async function discordCli(
  args: string[],
  config: Config,
  out: Output,
  deps: DiscordCliDeps = {},
): Promise<number> {
  const [subcommand, ...rest] = args;
  try {
    switch (subcommand) {
      case 'commands': {
        if (rest.length > 0) {
          out.err(DISCORD_USAGE);
          return 2;
        }
        const payload = checked(deps.commands ?? COMMANDS, out);
        if (payload === undefined) return 1;
        out.out(JSON.stringify(payload, null, 2));
        return 0;
      }
      case 'register':
        return await register(rest, config, out, deps);
      case 'help':
      case '--help':
      case '-h':
        out.out(DISCORD_USAGE);
        return 0;
      default:
        out.err(
          subcommand === undefined
            ? DISCORD_USAGE
            : `aitws discord: unknown command "${subcommand}"\n\n${DISCORD_USAGE}`,
        );
        return 2;
    }
  } catch (error) {
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      out.err(`aitws discord: ${error.message}\n\n${DISCORD_USAGE}`);
      return 2;
    }
    throw error;
  }
}
