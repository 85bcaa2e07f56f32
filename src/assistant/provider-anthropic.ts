/**
 * ModelProvider on Anthropic's Messages API through @anthropic-ai/sdk. Everything the client
 * needs comes from our config (read once): the key, the base URL (ANTHROPIC_BASE_URL, as the SDK
 * would read it) and the model, so the SDK never looks at the environment itself for them.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Logger } from '../logging.js';
import type { ModelContent, ModelProvider, ModelRequest, ModelResponse, StopReason } from './provider.js';
import { DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicy } from './provider-retry.js';

/** The current Sonnet: fast, and strong enough to map plain requests onto our command language. */
export const DEFAULT_MODEL = 'claude-sonnet-5-5';
export const DEFAULT_BASE_URL = 'https://api.anthropic.com';
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface AnthropicProviderOptions {
  readonly apiKey: string;
  readonly baseUrl?: string | undefined;
  readonly model?: string | undefined;
  /** Per attempt. */
  readonly timeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly logger?: Logger;
  /** Injected by tests so backoff does not slow them down. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const STOP_REASONS: ReadonlySet<string> = new Set(['end_turn', 'tool_use', 'max_tokens', 'refusal']);

function stopReasonOf(reason: string | null): StopReason {
  return reason !== null && STOP_REASONS.has(reason) ? (reason as StopReason) : 'other';
}

function contentOf(message: Anthropic.Messages.Message): ModelContent[] {
  const content: ModelContent[] = [];
  for (const block of message.content) {
    if (block.type === 'text') content.push({ type: 'text', text: block.text });
    else if (block.type === 'tool_use')
      content.push({ type: 'tool_use', id: block.id, name: block.name, input: block.input });
  }
  return content;
}

function toParams(request: ModelRequest, model: string): Anthropic.Messages.MessageCreateParamsNonStreaming {
  return {
    model,
    max_tokens: request.maxTokens,
    system: request.system.map((block) => ({
      type: 'text' as const,
      text: block.text,
      ...(block.cache === true ? { cache_control: { type: 'ephemeral' as const } } : {}),
    })),
    tools: request.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: { ...tool.inputSchema, type: 'object' as const },
    })),
    messages: [
      { role: 'user', content: request.userText },
      ...(request.followUps ?? []).flatMap((turn) => [
        { role: 'assistant' as const, content: turn.assistant },
        { role: 'user' as const, content: turn.user },
      ]),
    ],
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.stopSequences === undefined || request.stopSequences.length === 0
      ? {}
      : { stop_sequences: [...request.stopSequences] }),
  };
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createAnthropicProvider(options: AnthropicProviderOptions): ModelProvider {
  const model = options.model ?? DEFAULT_MODEL;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const sleep = options.sleep ?? defaultSleep;
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseUrl ?? DEFAULT_BASE_URL,
    timeout: timeoutMs,
    maxRetries: 0,
    // The SDK would log to the console; our failures are logged (masked) by the caller.
    logLevel: 'off',
  });

  async function complete(request: ModelRequest): Promise<ModelResponse> {
    const params = toParams(request, model);
    for (let attempt = 0; ; attempt++) {
      try {
        const message = await client.messages.create(
          params,
          request.signal === undefined ? {} : { signal: request.signal },
        );
        return {
          model: message.model,
          content: contentOf(message),
          stopReason: stopReasonOf(message.stop_reason),
          usage: {
            inputTokens: message.usage.input_tokens,
            cacheWriteTokens: message.usage.cache_creation_input_tokens ?? 0,
            cacheReadTokens: message.usage.cache_read_input_tokens ?? 0,
            outputTokens: message.usage.output_tokens,
          },
        };
      } catch (error) {
        // The caller's cancel or timeout, not a provider failure: nothing to retry or log.
        if (request.signal?.aborted === true) throw request.signal.reason;
        const decision = decideRetry(error, attempt, policy, timeoutMs);
        if (!decision.retry) {
          options.logger?.warn(
            { attempts: attempt + 1, code: decision.error.code, err: error },
            'model call failed',
          );
          throw decision.error;
        }
        options.logger?.warn(
          { attempt: attempt + 1, delayMs: decision.delayMs, err: error },
          'model call failed; retrying',
        );
        await sleep(decision.delayMs);
      }
    }
  }

  return { model, complete };
}
