/**
 * The AI half of the runtime's composition root: the provider registry (Anthropic, with the
 * compliance the operator declared), prices, and the stores AI steps keep beyond a run (response
 * cache, workspace budget, drift, feedback) on the same backend as the runs: Redis, or files under
 * the data dir.
 */
import path from 'node:path';
import type { ModelProvider } from './assistant/provider.js';
import type { Config } from './config.js';
import { anthropicProvider, ProviderRegistry } from './runtime/ai/capabilities.js';
import { FileFeedbackStore } from './runtime/ai/feedback-store-file.js';
import { RedisFeedbackStore } from './runtime/ai/feedback-store-redis.js';
import { DEFAULT_AI_MAX_TOKENS } from './runtime/ai/invoke-params.js';
import { checkRunBudget, estimateRunCost } from './runtime/ai/run-budget.js';
import type { AiServices } from './runtime/ai/services.js';
import { FileAiResponseCache, FileDriftStore, FileWorkspaceBudget } from './runtime/ai/store-file.js';
import { RedisAiResponseCache, RedisDriftStore, RedisWorkspaceBudget } from './runtime/ai/store-redis.js';
import { closeRedisClient, createRedisClient, type RedisClient } from './session/redis-client.js';

export interface AiSetup {
  readonly services: AiServices;
  close(): Promise<void>;
}

export function buildAiServices(
  config: Config,
  dataDir: string,
  providerFor: (model?: string) => ModelProvider | undefined,
): AiSetup {
  const ai = config.runtime.ai;
  const registry = new ProviderRegistry([
    anthropicProvider({
      ...(config.anthropic.model === undefined ? {} : { defaultModel: config.anthropic.model }),
      connect: providerFor,
      allows: [...ai.allows],
      regions: [...ai.regions],
    }),
  ]);
  const client =
    config.redisUrl === undefined
      ? undefined
      : createRedisClient(config.redisUrl, {
          commandTimeoutMs: config.redisTimeoutMs,
          connectionName: 'aitws-ai',
        });
  const stores =
    client === undefined ? fileStores(config, path.resolve(dataDir)) : redisStores(config, client);
  const preflight = { registry, prices: ai.prices, maxTokensCap: ai.maxTokensCap };
  const services: AiServices = {
    registry,
    prices: ai.prices,
    cacheTtlSeconds: ai.cacheTtlSeconds,
    ...stores,
    preflight,
    assertAffordable: async (channel, document) => {
      if (stores.budget === undefined) return;
      const estimate = estimateRunCost(document, {
        prices: ai.prices,
        registry,
        maxTokensCap: ai.maxTokensCap,
        defaultMaxTokens: DEFAULT_AI_MAX_TOKENS,
      });
      if (estimate.total > 0) await checkRunBudget(stores.budget, channel.workspace, estimate);
    },
  };
  return {
    services,
    close: async () => {
      if (client !== undefined) await closeRedisClient(client);
    },
  };
}

type Stores = Pick<AiServices, 'cache' | 'budget' | 'drift' | 'feedback'>;

function fileStores(config: Config, dataDir: string): Stores {
  const limit = config.runtime.ai.budgetUsd;
  return {
    cache: new FileAiResponseCache({ dataDir }),
    drift: new FileDriftStore({ dataDir }),
    feedback: new FileFeedbackStore({ dataDir }),
    ...(limit === undefined ? {} : { budget: new FileWorkspaceBudget({ dataDir, limit }) }),
  };
}

function redisStores(config: Config, client: RedisClient): Stores {
  const options = { prefix: config.redisPrefix, commandTimeoutMs: config.redisTimeoutMs };
  const limit = config.runtime.ai.budgetUsd;
  return {
    cache: new RedisAiResponseCache(client, options),
    drift: new RedisDriftStore(client, options),
    feedback: new RedisFeedbackStore(client, options),
    ...(limit === undefined ? {} : { budget: new RedisWorkspaceBudget(client, { ...options, limit }) }),
  };
}
