/**
 * The assistant service behind /ask: checks the question and the limits, builds the grounded
 * request, calls the model and reads its answer. It changes nothing: a proposal comes back as
 * data, and the command layer validates it and asks people whether to apply it.
 */

import type { AitwsDocument } from '../document/types.js';
import type { Logger } from '../logging.js';
import type { InteractionStore } from '../session/interaction-port.js';
import { type ChannelKey, channelId } from '../session/port.js';
import {
  type AssistantLimits,
  checkQuestion,
  checkRates,
  DEFAULT_ASSISTANT_LIMITS,
  reserveBudget,
} from './guard.js';
import { searchReference } from './offline.js';
import { buildRequest, estimateTokens } from './prompt.js';
import { type Interpretation, interpret } from './proposal.js';
import type { ModelProvider, TokenUsage } from './provider.js';
import { buildReference, type CommandHelp, type ReferenceEntry } from './reference.js';

/** Room for an answer or a proposal of the maximum size, plus whatever thinking the model does first. */
export const DEFAULT_MAX_TOKENS = 4096;

export interface AskRequest {
  readonly question: string;
  readonly channel: ChannelKey;
  readonly actorId: string;
  readonly document: AitwsDocument | null;
  readonly version: number;
  /** The command registry, for the reference. */
  readonly commands: readonly CommandHelp[];
}

export type AskResult =
  | { readonly kind: 'offline'; readonly matches: readonly ReferenceEntry[] }
  | (Interpretation & { readonly usage: TokenUsage; readonly model: string });

export interface Assistant {
  /** False without an API key: /ask then searches the reference instead of asking a model. */
  readonly online: boolean;
  ask(request: AskRequest): Promise<AskResult>;
}

export interface AssistantOptions {
  readonly provider: ModelProvider | undefined;
  /** Where the rate-limit and budget counters live: shared by every process using the same store. */
  readonly interactions: InteractionStore;
  readonly limits?: Partial<AssistantLimits>;
  readonly maxTokens?: number;
  readonly now?: () => Date;
  readonly logger?: Logger;
}

export function createAssistant(options: AssistantOptions): Assistant {
  const { provider, interactions, logger } = options;
  const limits: AssistantLimits = { ...DEFAULT_ASSISTANT_LIMITS, ...options.limits };
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const now = options.now ?? (() => new Date());

  async function ask(request: AskRequest): Promise<AskResult> {
    checkQuestion(request.question, limits);
    const reference = buildReference(request.commands);
    if (provider === undefined)
      return { kind: 'offline', matches: searchReference(reference, request.question) };
    await checkRates(interactions, request.channel, request.actorId, limits);
    const modelRequest = buildRequest(request, reference, maxTokens);
    const reservation = await reserveBudget(
      interactions,
      request.channel,
      estimateTokens(modelRequest),
      limits,
      now(),
    );
    let response: Awaited<ReturnType<ModelProvider['complete']>>;
    try {
      response = await provider.complete(modelRequest);
    } catch (error) {
      await reservation.release().catch((releaseError: unknown) => {
        logger?.warn({ err: releaseError }, 'could not release an assistant budget reservation');
      });
      throw error;
    }
    await reservation.settle(response.usage);
    logger?.info(
      { channel: channelId(request.channel), model: response.model, usage: response.usage },
      'assistant answered',
    );
    return { ...interpret(response), usage: response.usage, model: response.model };
  }

  return { online: provider !== undefined, ask };
}
