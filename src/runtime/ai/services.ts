/**
 * Everything AI steps use beyond the provider port, built once in the composition root
 * (src/app-runtime.ts) and handed to the runtime: the provider registry and price table that
 * pre-flight checks against, the stores AI steps keep state in across runs, and the check that a
 * run is affordable before it starts.
 */
import type { AitwsDocument } from '../../document/types.js';
import type { ChannelKey } from '../../session/port.js';
import type { AiPreflightOptions, ProviderRegistry } from './capabilities.js';
import type { PriceTable } from './pricing.js';
import type { AiResponseCache, DriftStore, FeedbackStore, WorkspaceBudget } from './stores.js';

export interface AiServices {
  readonly registry: ProviderRegistry;
  readonly prices: PriceTable;
  readonly cache: AiResponseCache;
  /** How long a cached response lasts when the action does not say (`cache_ttl`). */
  readonly cacheTtlSeconds: number;
  /** Absent when no budget is configured (AITWS_AI_BUDGET_USD): spending is not limited. */
  readonly budget?: WorkspaceBudget;
  readonly drift: DriftStore;
  readonly feedback: FeedbackStore;
  readonly preflight: AiPreflightOptions;
  /** BUDGET_EXHAUSTED when the run's most expensive outcome is more than the workspace has left. */
  assertAffordable(channel: ChannelKey, document: AitwsDocument): Promise<void>;
}
