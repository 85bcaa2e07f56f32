/**
 * The parts of the adapter that need discord.js, built on demand. discord.js takes about a second
 * to import, so index.ts loads this module only once Discord is actually configured and used: the
 * console and the other CLI commands never pay for it.
 */
import { createDiscordApi, createRest, type DiscordApi } from './api.js';
import { createGateway, type Gateway } from './gateway.js';
import { createInteractionHandler, type InteractionHandler } from './handler.js';
import type { DiscordAdapterOptions } from './index.js';

function handlerWith(options: DiscordAdapterOptions, api: DiscordApi): InteractionHandler {
  const { core } = options;
  return createInteractionHandler({
    dispatcher: core.dispatcher,
    sessions: core.sessions,
    interactions: core.interactions,
    api,
    logger: options.logger,
    documentBytes: options.documentBytes,
    ...options.tuning,
  });
}

/** HTTP interactions: answers go out in HTTP responses and through REST with the interaction token. */
export function httpInteractionHandler(
  options: DiscordAdapterOptions,
  applicationId: string,
): InteractionHandler {
  const { discord } = options;
  const rest = createRest({ token: discord.token, apiUrl: discord.apiUrl });
  return handlerWith(
    options,
    createDiscordApi(rest, { applicationId, hasBotToken: discord.token !== undefined }),
  );
}

export function gatewayFor(options: DiscordAdapterOptions, applicationId: string, token: string): Gateway {
  return createGateway({
    token,
    applicationId,
    apiUrl: options.discord.apiUrl,
    logger: options.logger,
    handler: (api) => handlerWith(options, api),
  });
}
