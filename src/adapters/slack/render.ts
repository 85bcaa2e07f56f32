/**
 * The neutral Reply as a Block Kit message, within Slack's limits: at most 50 blocks, 3,000
 * characters of text a section. Code too long for a section and every attachment become file
 * uploads; the message then carries a short note instead.
 */
import type { types as SlackTypes } from '@slack/bolt';
import type { Reply, ReplyBlock, ReplyButton } from '../../commands/reply.js';
import {
  codeBlock,
  escapeInChunks,
  escapeText,
  SECTION_TEXT_LIMIT,
  slackCommandWording,
  truncateEscaped,
} from './mrkdwn.js';

export type Block = SlackTypes.KnownBlock;

export const MAX_BLOCKS = 50;
/** Slack allows 25 elements in an actions block; a reply never offers that many. */
const MAX_BUTTONS = 25;
const BUTTON_LABEL_LIMIT = 75;
/** Notification text (push, screen readers): a summary, not the whole reply. */
const FALLBACK_LIMIT = 300;
const CONTEXT_LIMIT = 300;

export interface Upload {
  readonly filename: string;
  readonly title: string;
  readonly content: string | Uint8Array;
}

export interface RenderedMessage {
  /** Escaped plain summary for notifications. */
  readonly text: string;
  /** The summary posted with an uploaded file: the text, and the byline when there is one. */
  readonly comment: string;
  readonly blocks: readonly Block[];
  readonly uploads: readonly Upload[];
}

export interface RenderOptions {
  /** Registry command names, so help reads `/aitws add` (see slackCommandWording). */
  readonly commandNames: readonly string[];
  readonly slashCommand: string;
  /** Who did it and what they typed, shown under a message the whole channel sees. */
  readonly byline?: string;
  readonly sectionLimit?: number;
}

const CODE_FILENAMES: Record<string, string> = {
  toml: 'workflow.toml',
  diff: 'changes.diff',
  text: 'output.txt',
};

/**
 * verbatim: Slack would otherwise turn bare URLs, #channel names and some @mentions in the text
 * into links and pings; only our own `<…>` markup (and there is none in escaped text) is parsed.
 */
function mrkdwn(text: string): SlackTypes.MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

function section(text: string): Block {
  return { type: 'section', text: mrkdwn(text) };
}

function button(reply: ReplyButton): SlackTypes.Button {
  const label = reply.label.length > BUTTON_LABEL_LIMIT ? `${reply.label.slice(0, 74)}…` : reply.label;
  return {
    type: 'button',
    // The id is all a click brings back; what it does is stored, so it still works after a restart.
    action_id: reply.id,
    value: reply.id,
    text: { type: 'plain_text', text: label, emoji: true },
    ...(reply.style === undefined ? {} : { style: reply.style }),
  };
}

interface Builder {
  readonly sections: string[];
  readonly uploads: Upload[];
}

function wording(text: string, options: RenderOptions): string {
  return slackCommandWording(text, options.commandNames, options.slashCommand);
}

function addText(builder: Builder, text: string, limit: number): void {
  builder.sections.push(...escapeInChunks(text, limit));
}

function addBlock(builder: Builder, block: ReplyBlock, options: RenderOptions, limit: number): void {
  switch (block.kind) {
    case 'text':
      addText(builder, wording(block.text, options), limit);
      return;
    case 'list':
      addText(builder, block.items.map((item) => `• ${wording(item, options)}`).join('\n'), limit);
      return;
    case 'fields':
      // Field labels are ours; bold them after escaping, values stay plain.
      for (const chunk of escapeInChunks(
        block.fields.map((f) => `${f.label}: ${wording(f.value, options)}`).join('\n'),
        limit,
      )) {
        builder.sections.push(chunk.replace(/^([^:\n]{1,80}):/gm, '*$1:*'));
      }
      return;
    case 'code': {
      const fenced = codeBlock(block.code);
      if (fenced.length <= limit) {
        builder.sections.push(fenced);
        return;
      }
      const filename = uniqueName(builder.uploads, CODE_FILENAMES[block.language ?? 'text'] ?? 'output.txt');
      builder.uploads.push({ filename, title: filename, content: block.code });
      const bytes = Buffer.byteLength(block.code);
      builder.sections.push(
        `Too long for a message: attached as \`${escapeText(filename)}\` (${bytes} bytes).`,
      );
      return;
    }
  }
}

function uniqueName(uploads: readonly Upload[], filename: string): string {
  if (!uploads.some((u) => u.filename === filename)) return filename;
  const dot = filename.lastIndexOf('.');
  for (let n = 2; ; n++) {
    const candidate = `${filename.slice(0, dot)}-${n}${filename.slice(dot)}`;
    if (!uploads.some((u) => u.filename === candidate)) return candidate;
  }
}

function fallbackText(reply: Reply, options: RenderOptions): string {
  const first = reply.blocks.find((b) => b.kind === 'text');
  const plain = first?.kind === 'text' ? wording(first.text, options) : reply.ok ? 'Done.' : 'Failed.';
  return truncateEscaped(escapeText(plain.replace(/\s+/g, ' ').trim()), FALLBACK_LIMIT);
}

export function renderReply(reply: Reply, options: RenderOptions): RenderedMessage {
  const limit = options.sectionLimit ?? SECTION_TEXT_LIMIT;
  const builder: Builder = { sections: [], uploads: [] };
  for (const block of reply.blocks) addBlock(builder, block, options, limit);
  if (reply.warnings.length > 0) {
    const lines = reply.warnings.map((w) => `⚠ ${wording(w, options)}`);
    addText(builder, `Warnings:\n${lines.join('\n')}`, limit);
  }
  for (const attachment of reply.attachments) {
    const filename = uniqueName(builder.uploads, attachment.filename);
    builder.uploads.push({ filename, title: filename, content: attachment.content });
  }
  const trailer: Block[] = [];
  const byline =
    options.byline === undefined ? undefined : truncateEscaped(escapeText(options.byline), CONTEXT_LIMIT);
  if (byline !== undefined) trailer.push({ type: 'context', elements: [mrkdwn(byline)] });
  if (reply.buttons.length > 0) {
    trailer.push({ type: 'actions', elements: reply.buttons.slice(0, MAX_BUTTONS).map(button) });
  }
  const room = MAX_BLOCKS - trailer.length;
  let sections = builder.sections.map(section);
  if (sections.length > room) {
    const dropped = sections.length - (room - 1);
    sections = [
      ...sections.slice(0, room - 1),
      section(`…${dropped} more part${dropped === 1 ? '' : 's'} did not fit in one Slack message.`),
    ];
  }
  const text = fallbackText(reply, options);
  return {
    text,
    comment: byline === undefined ? text : `${text}\n${byline}`,
    blocks: [...sections, ...trailer],
    uploads: builder.uploads,
  };
}

/** A one-line message in the same shape, for what the adapter itself has to say. */
export function renderNotice(text: string): RenderedMessage {
  const summary = truncateEscaped(escapeText(text), FALLBACK_LIMIT);
  return { text: summary, comment: summary, blocks: [section(escapeText(text))], uploads: [] };
}
