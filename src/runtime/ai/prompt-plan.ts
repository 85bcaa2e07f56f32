/**
 * The prompt plan of an AI step (issue #17, point 3): system text, formatting rules, ordered
 * context blocks with their provenance, and the user text (its template already rendered by the
 * caller). `max_context_tokens` bounds the context with `trim = "recency" | "salience"`; trimming
 * is deterministic and every dropped or cut block is logged.
 *
 * Context goes into the user turn, not the system prompt: it is per-run data (inputs, earlier
 * outputs, files, tool results) that may carry untrusted text, and keeping the system prompt to
 * the step's fixed instructions keeps it identical across runs (a stable prefix for the
 * provider's prompt cache).
 */

import type { ModelRequest, SystemBlock } from '../../assistant/provider.js';
import { AitwsError } from '../../errors.js';

export type ProvenanceKind = 'input' | 'step' | 'file' | 'tool';

export interface ContextBlock {
  /** Unique within a plan: the trimming log names blocks by it. */
  readonly id: string;
  readonly text: string;
  /** Where the text came from: an input name, a step id, a repository path, a tool call. */
  readonly provenance: { readonly kind: ProvenanceKind; readonly ref: string };
  /** Higher is kept longer under `trim = "salience"`; a block without one counts as 0. */
  readonly salience?: number;
}

export type TrimStrategy = 'recency' | 'salience';

export interface PromptPlan {
  readonly system: string;
  /** Rules appended to the system prompt, one per line. */
  readonly formatting?: readonly string[];
  readonly context: readonly ContextBlock[];
  readonly user: string;
  readonly max_context_tokens?: number;
  /** Recency when not given. */
  readonly trim?: TrimStrategy;
}

/** What is sent, after trimming; the envelope records exactly this. */
export interface PromptInput {
  readonly system: string;
  readonly formatting: readonly string[];
  readonly context: readonly ContextBlock[];
  readonly user: string;
}

export interface TrimEntry {
  readonly block: string;
  readonly action: 'dropped' | 'truncated';
  readonly tokens_before: number;
  readonly tokens_after: number;
}

export interface PlannedPrompt {
  readonly input: PromptInput;
  /** Estimated tokens of the kept context blocks as rendered. */
  readonly context_tokens: number;
  readonly trimmed: readonly TrimEntry[];
  readonly truncations: number;
}

/** Appended on its own line where a block was cut, so the model knows the text is incomplete. */
export const TRUNCATION_MARKER = '[… truncated]';

/**
 * An estimate, not the provider's tokenizer: ceil(UTF-8 bytes / 4). It is deterministic and
 * host-independent, which trimming needs; real token counts differ by model (English prose runs
 * about 4 bytes a token, code and non-Latin text fewer), so budgets should leave headroom.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

/** Validates the plan, trims its context to `max_context_tokens` and returns what will be sent. */
export function planPrompt(plan: PromptPlan): PlannedPrompt {
  checkBlocks(plan.context);
  const { blocks, log } =
    plan.max_context_tokens === undefined
      ? { blocks: plan.context, log: [] }
      : trimContext(plan.context, checkBudget(plan.max_context_tokens), plan.trim ?? 'recency');
  return {
    input: { system: plan.system, formatting: plan.formatting ?? [], context: blocks, user: plan.user },
    context_tokens: blocks.reduce((sum, block) => sum + blockTokens(block), 0),
    trimmed: log,
    truncations: log.length,
  };
}

/**
 * Drops whole blocks, least wanted first, until the rest fits: under recency the earliest in
 * declared order, under salience the lowest salience (ties: earliest declared). When a single
 * block is left and still too large it is cut at a code point boundary with a marker; if not even
 * its header fits, it is dropped too. Kept blocks stay in declared order.
 */
export function trimContext(
  blocks: readonly ContextBlock[],
  maxTokens: number,
  strategy: TrimStrategy,
): { blocks: readonly ContextBlock[]; log: readonly TrimEntry[] } {
  const tokens = blocks.map(blockTokens);
  let total = tokens.reduce((sum, count) => sum + count, 0);
  const kept = new Map(blocks.map((block, index) => [index, block]));
  const log: TrimEntry[] = [];
  for (const index of dropOrder(blocks, strategy)) {
    if (total <= maxTokens) break;
    const block = blocks[index] as ContextBlock;
    const before = tokens[index] ?? 0;
    const cut = kept.size === 1 ? truncateBlock(block, maxTokens) : undefined;
    if (cut === undefined) {
      kept.delete(index);
      log.push({ block: block.id, action: 'dropped', tokens_before: before, tokens_after: 0 });
      total -= before;
    } else {
      kept.set(index, cut);
      const after = blockTokens(cut);
      log.push({ block: block.id, action: 'truncated', tokens_before: before, tokens_after: after });
      total = after;
    }
  }
  const order = [...kept.keys()].sort((a, b) => a - b);
  return { blocks: order.map((index) => kept.get(index) as ContextBlock), log };
}

/** The provider request: system text and formatting rules as system blocks, context then user text in the one user turn. */
export function renderRequest(input: PromptInput, maxTokens: number): ModelRequest {
  const system: SystemBlock[] = [];
  if (input.system !== '') system.push({ text: input.system });
  if (input.formatting.length > 0) system.push({ text: input.formatting.join('\n') });
  const parts = input.context.map(renderBlock);
  parts.push(input.user);
  return { system, tools: [], userText: parts.join('\n\n'), maxTokens };
}

/**
 * A block as the model sees it. Attribute values are JSON strings so quotes in an id or a path
 * cannot end the attribute early.
 */
export function renderBlock(block: ContextBlock): string {
  const source = `${block.provenance.kind}:${block.provenance.ref}`;
  return `<context id=${JSON.stringify(block.id)} source=${JSON.stringify(source)}>\n${block.text}\n</context>`;
}

function blockTokens(block: ContextBlock): number {
  return estimateTokens(renderBlock(block));
}

function dropOrder(blocks: readonly ContextBlock[], strategy: TrimStrategy): number[] {
  const indexes = blocks.map((_block, index) => index);
  if (strategy === 'recency') return indexes;
  const salience = (index: number): number => blocks[index]?.salience ?? 0;
  // Array.prototype.sort is stable, so equal salience keeps declared order.
  return indexes.sort((a, b) => salience(a) - salience(b));
}

/** The longest code point prefix whose rendered block, marker included, fits `maxTokens`. */
function truncateBlock(block: ContextBlock, maxTokens: number): ContextBlock | undefined {
  const frame = renderBlock({ ...block, text: `\n${TRUNCATION_MARKER}` });
  const room = maxTokens * 4 - Buffer.byteLength(frame, 'utf8');
  if (room < 0) return undefined;
  let used = 0;
  let end = 0;
  for (const char of block.text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (used + size > room) break;
    used += size;
    end += char.length;
  }
  return { ...block, text: `${block.text.slice(0, end)}\n${TRUNCATION_MARKER}` };
}

function checkBlocks(blocks: readonly ContextBlock[]): void {
  const seen = new Set<string>();
  for (const block of blocks) {
    if (seen.has(block.id)) {
      throw new AitwsError('VALIDATION', `Prompt plan: two context blocks are named "${block.id}".`, {
        hint: 'Give every context block its own id; the trimming log refers to blocks by id.',
      });
    }
    seen.add(block.id);
    if (block.salience !== undefined && !Number.isFinite(block.salience)) {
      throw new AitwsError(
        'VALIDATION',
        `Prompt plan: context block "${block.id}" has salience ${block.salience}.`,
        {
          hint: 'Salience must be a finite number; higher is kept longer.',
        },
      );
    }
  }
}

function checkBudget(maxTokens: number): number {
  if (Number.isSafeInteger(maxTokens) && maxTokens > 0) return maxTokens;
  throw new AitwsError('VALIDATION', `max_context_tokens must be a positive whole number, got ${maxTokens}.`);
}
