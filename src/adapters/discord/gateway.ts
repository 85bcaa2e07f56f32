/**
 * Gateway mode: one discord.js Client per process, with no intents at all (interactions arrive
 * regardless, and no privileged intent is needed). discord.js discovers the gateway URL through
 * REST `/gateway/bot`, heartbeats, reconnects and resumes by itself; this file only turns each
 * INTERACTION_CREATE dispatch into a call of the shared handler, answered through REST callbacks.
 */
import { Client, Events, GatewayDispatchEvents, Options } from 'discord.js';
import { z } from 'zod';
import { AitwsError } from '../../errors.js';
import type { Logger } from '../../logging.js';
import { within } from '../../timing.js';
import {
  createDiscordApi,
  DEFAULT_API_URL,
  type DiscordApi,
  discordAgent,
  discordStartError,
} from './api.js';
import type { Transport } from './deliver.js';
import type { InteractionHandler } from './handler.js';

const STOP_GRACE_MS = 10_000;
const idsSchema = z.object({ id: z.string(), token: z.string() });

function callbackTransport(raw: unknown, api: DiscordApi): Transport {
  const ids = idsSchema.safeParse(raw);
  return {
    initialFiles: true,
    async initial(body, files) {
      if (!ids.success) throw new Error('interaction without id or token');
      await api.callback(ids.data.id, ids.data.token, body, files);
    },
    // The first delivery answers; a replay (on a resumed session, say) stays silent.
    async duplicate() {},
  };
}

export interface GatewayOptions {
  readonly token: string;
  readonly applicationId: string;
  readonly apiUrl: string | undefined;
  readonly logger: Logger;
  /** The handler is built once the client (and so its REST instance) exists. */
  readonly handler: (api: DiscordApi) => InteractionHandler;
}

export interface Gateway {
  /** Resolves once Discord's READY has arrived; a refused token or an unreachable Discord throws, once. */
  start(): Promise<void>;
  /** After start(): the bot user and its application, for the start-up line. */
  connectedAs(): string;
  stop(): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { logger } = options;
  const client = new Client({
    intents: [],
    rest: { api: options.apiUrl ?? DEFAULT_API_URL, agent: discordAgent() },
    // Every person who runs a command lands in the user cache; keep it bounded.
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, UserManager: 1000 }),
  });
  const api = createDiscordApi(client.rest, { applicationId: options.applicationId, hasBotToken: true });
  const handler = options.handler(api);
  const pending = new Set<Promise<void>>();
  let connectedAs = 'Discord (gateway)';

  client.ws.on(GatewayDispatchEvents.InteractionCreate, (data: unknown) => {
    const work = handler.handle(data, callbackTransport(data, api));
    pending.add(work);
    void work.finally(() => pending.delete(work));
  });
  client.on(Events.Error, (error) => logger.error({ err: error }, 'Discord gateway error'));
  client.on(Events.ShardError, (error, shard) => logger.warn({ err: error, shard }, 'Discord shard error'));
  client.on(Events.ShardResume, (shard, replayed) =>
    logger.info({ shard, replayed }, 'Discord gateway session resumed'),
  );
  client.on(Events.ShardReconnecting, (shard) => logger.info({ shard }, 'Discord gateway reconnecting'));
  client.on(Events.ShardDisconnect, (event, shard) =>
    logger.error({ shard, code: event.code }, 'Discord gateway closed for good; check the token and intents'),
  );
  client.on(Events.Debug, (message) => logger.debug({}, message));

  return {
    async start() {
      try {
        // login() resolves on READY and has already destroyed the client when it throws.
        await client.login(options.token);
      } catch (error) {
        throw discordStartError(error, options.apiUrl);
      }
      const application = client.application?.id;
      if (application !== undefined && application !== options.applicationId) {
        await client.destroy();
        // Follow-ups and registration address the configured application: every answer would fail.
        throw new AitwsError(
          'CONFIG',
          `DISCORD_TOKEN is the bot of application ${application}, but DISCORD_APPLICATION_ID is ${options.applicationId}: take both from the same application`,
        );
      }
      connectedAs = `Discord (gateway) as ${client.user?.tag ?? 'unknown'}, application ${application ?? options.applicationId}`;
    },
    connectedAs: () => connectedAs,
    async stop() {
      // Answers in flight finish first (their interaction tokens outlive the connection), within reason.
      await within(Promise.allSettled([...pending]), STOP_GRACE_MS, undefined);
      await client.destroy();
    },
  };
}
