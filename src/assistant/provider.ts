/**
 * The model provider port: only what the assistant uses of a Messages API. The Anthropic
 * implementation is provider-anthropic.ts; tests run it against a fake Messages API on loopback.
 * A provider throws only AitwsError (codes RATE_LIMITED, BUDGET_EXHAUSTED, ASSISTANT_UNAVAILABLE),
 * after its own retries, so callers never see SDK error classes.
 */

export interface SystemBlock {
  readonly text: string;
  /** Marks the prompt prefix up to and including this block for the provider's prompt cache. */
  readonly cache?: boolean;
}

export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the tool's input object. */
  readonly inputSchema: { readonly type: 'object'; readonly [keyword: string]: unknown };
}

export interface ModelRequest {
  readonly system: readonly SystemBlock[];
  readonly tools: readonly ToolSpec[];
  /** One user turn: the assistant answers single questions, it keeps no conversation. */
  readonly userText: string;
  readonly maxTokens: number;
  /**
   * Turns after the first user turn, in order (an AI step's repair: the rejected answer as the
   * assistant's turn, then what was wrong as the user's).
   */
  readonly followUps?: readonly { readonly assistant: string; readonly user: string }[];
  readonly temperature?: number;
  readonly topP?: number;
  readonly stopSequences?: readonly string[];
  /** Aborts the request (a cancelled or timed-out workflow step). */
  readonly signal?: AbortSignal;
}

export type ModelContent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'tool_use'; readonly id: string; readonly name: string; readonly input: unknown };

/** Why the model stopped; anything this code does not act on is 'other'. */
export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'refusal' | 'other';

export interface TokenUsage {
  /** Input tokens neither written to nor read from the prompt cache. */
  readonly inputTokens: number;
  readonly cacheWriteTokens: number;
  readonly cacheReadTokens: number;
  readonly outputTokens: number;
}

export interface ModelResponse {
  readonly model: string;
  /** Text and tool calls in order; thinking and other block kinds are left out. */
  readonly content: readonly ModelContent[];
  readonly stopReason: StopReason;
  readonly usage: TokenUsage;
}

export interface ModelProvider {
  readonly model: string;
  complete(request: ModelRequest): Promise<ModelResponse>;
}
