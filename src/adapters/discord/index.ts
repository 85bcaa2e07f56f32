/**
 * The Discord adapter: application commands over the gateway (DISCORD_TOKEN) or over signed HTTP
 * interactions at POST /discord/interactions (DISCORD_PUBLIC_KEY). It only translates: Discord
 * interactions in, the core's neutral replies out. Nothing outside this folder imports discord.js,
 * and this entry file does not either (see wiring.ts), so merely listing the platform costs nothing.
 */
import type { Dispatcher } from '../../commands/dispatch.js';
import type { DiscordConfig } from '../../config.js';
import type { Logger } from '../../logging.js';
import type { InteractionStore } from '../../session/interaction-port.js';
import type { SessionStore } from '../../session/port.js';
import type { PlatformAdapter, PlatformFactory } from '../platform.js';
import type { Gateway } from './gateway.js';
import type { HandlerOptions } from './handler.js';
import { interactionsRoute } from './http.js';
import { publicKeyFromHex } from './verify.js';

export { INTERACTIONS_PATH } from './http.js';

export interface DiscordAdapterOptions {
  readonly discord: DiscordConfig;
  readonly core: {
    readonly dispatcher: Dispatcher;
    readonly sessions: SessionStore;
    readonly interactions: InteractionStore;
  };
  readonly logger: Logger;
  readonly documentBytes: number;
  /** Tests shorten Discord's timings; production keeps the defaults. */
  readonly tuning?: Pick<HandlerOptions, 'deferAfterMs' | 'now' | 'fetch' | 'tokenTtlMs'>;
  /** HTTP mode: the signature clock, for tests. */
  readonly nowSeconds?: () => number;
}

export interface DiscordAdapter extends PlatformAdapter {
  /** After start(): the mode, and the bot and application it serves, for the start-up line. */
  connectedAs(): string;
}

export function createDiscordAdapter(options: DiscordAdapterOptions): DiscordAdapter {
  const { discord, logger } = options;
  const applicationId = discord.applicationId;
  if (applicationId === undefined) throw new Error('Discord needs DISCORD_APPLICATION_ID');

  // With an interactions endpoint configured, Discord stops sending interactions over the gateway.
  if (discord.publicKey !== undefined) {
    // Bad keys fail here, at start-up, not at the first request.
    const publicKey = publicKeyFromHex(discord.publicKey);
    const handler = import('./wiring.js').then((m) => m.httpInteractionHandler(options, applicationId));
    // A load failure surfaces in start() and in each request, not as an unhandled rejection.
    handler.catch(() => undefined);
    const route = interactionsRoute({
      publicKey,
      handler,
      logger,
      ...(options.nowSeconds === undefined ? {} : { nowSeconds: options.nowSeconds }),
    });
    const token = discord.token;
    return {
      name: 'discord (HTTP interactions)',
      routes: [route],
      async start() {
        await handler;
        // Without a token the bot still answers; only posting after the 15-minute window needs one.
        if (token !== undefined) {
          const { checkBotToken } = await import('./api.js');
          await checkBotToken({ token, apiUrl: discord.apiUrl });
        }
      },
      connectedAs: () =>
        `Discord (HTTP interactions at POST ${route.path}) for application ${applicationId}${token === undefined ? ', without DISCORD_TOKEN' : ''}`,
      stop: async () => {},
    };
  }
  const token = discord.token;
  if (token === undefined) throw new Error('Discord needs DISCORD_TOKEN or DISCORD_PUBLIC_KEY');
  let gateway: Gateway | undefined;
  return {
    name: 'discord (gateway)',
    routes: [],
    async start() {
      const { gatewayFor } = await import('./wiring.js');
      gateway = gatewayFor(options, applicationId, token);
      await gateway.start();
    },
    connectedAs: () => gateway?.connectedAs() ?? 'Discord (gateway)',
    async stop() {
      await gateway?.stop();
    },
  };
}

export const discordPlatform: PlatformFactory = ({ config, core, logger }) => {
  if (config.discord === undefined) return undefined;
  return createDiscordAdapter({
    discord: config.discord,
    core,
    logger,
    documentBytes: config.limits.documentBytes,
  });
};
