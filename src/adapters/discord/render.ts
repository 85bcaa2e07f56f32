/**
 * The neutral Reply as a Discord message: markdown content within 2,000 characters, code that
 * does not fit moved to an attached file (`workflow.toml` for TOML), buttons as one action row.
 * No message we send may ping anyone, whatever a user put into a document.
 */
import { escapeMarkdown } from 'discord.js';
import type { Reply, ReplyBlock, ReplyButton } from '../../commands/reply.js';

export const MAX_CONTENT = 2000;
export const EPHEMERAL = 64;
/** User content is full of URLs; previews of them would bury the answer. */
export const SUPPRESS_EMBEDS = 4;

export interface OutgoingFile {
  readonly name: string;
  readonly data: Buffer;
  readonly contentType: string;
}

interface ButtonComponent {
  readonly type: 2;
  readonly style: 1 | 2 | 4;
  readonly label: string;
  readonly custom_id: string;
}

export interface MessageBody {
  readonly content: string;
  readonly flags: number;
  readonly allowed_mentions: { readonly parse: readonly never[] };
  readonly components: readonly { readonly type: 1; readonly components: readonly ButtonComponent[] }[];
  readonly attachments: readonly { readonly id: number; readonly filename: string }[];
}

export interface RenderedMessage {
  readonly body: MessageBody;
  readonly files: readonly OutgoingFile[];
}

const NO_MENTIONS: MessageBody['allowed_mentions'] = { parse: [] };

const FENCE = '```';
const BUTTONS_PER_ROW = 5;
const MAX_ROWS = 5;
const MAX_LABEL = 80;

/** A fence inside code would end the block early; a zero-width space keeps it literal. */
function fenced(code: string, language: string): string {
  const body = code.replace(/\n$/, '').replaceAll(FENCE, '`\u200b``');
  return `${FENCE}${language}\n${body}\n${FENCE}`;
}

function renderBlock(block: ReplyBlock, attached: ReadonlyMap<ReplyBlock, string>): string {
  switch (block.kind) {
    case 'text':
      return escapeMarkdown(block.text);
    case 'code': {
      const file = attached.get(block);
      return file === undefined ? fenced(block.code, block.language ?? '') : `(attached as ${file})`;
    }
    case 'fields':
      return block.fields.map((f) => `**${escapeMarkdown(f.label)}**: ${escapeMarkdown(f.value)}`).join('\n');
    case 'list':
      return block.items.map((item) => `• ${escapeMarkdown(item)}`).join('\n');
  }
}

function renderContent(reply: Reply, attached: ReadonlyMap<ReplyBlock, string>): string {
  const parts = reply.blocks.map((block) => renderBlock(block, attached));
  if (!reply.ok && parts.length > 0) parts[0] = `✖ ${parts[0]}`;
  if (reply.warnings.length > 0) parts.push(reply.warnings.map((w) => `⚠ ${escapeMarkdown(w)}`).join('\n'));
  return parts.join('\n');
}

function codeFileName(language: string | undefined, index: number): string {
  const suffix = index === 0 ? '' : `-${index + 1}`;
  switch (language) {
    case 'toml':
      return `workflow${suffix}.toml`;
    case 'diff':
      return `changes${suffix}.diff`;
    default:
      return `output${suffix}.txt`;
  }
}

function buttonRows(buttons: readonly ReplyButton[]): MessageBody['components'] {
  const rows: { type: 1; components: ButtonComponent[] }[] = [];
  for (const button of buttons.slice(0, BUTTONS_PER_ROW * MAX_ROWS)) {
    let row = rows.at(-1);
    if (row === undefined || row.components.length === BUTTONS_PER_ROW) {
      row = { type: 1, components: [] };
      rows.push(row);
    }
    row.components.push({
      type: 2,
      style: button.style === 'danger' ? 4 : button.style === 'primary' ? 1 : 2,
      label: button.label.slice(0, MAX_LABEL),
      custom_id: button.id,
    });
  }
  return rows;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function renderReply(reply: Reply): RenderedMessage {
  const files: OutgoingFile[] = reply.attachments.map((a) => ({
    name: a.filename,
    data: typeof a.content === 'string' ? Buffer.from(a.content, 'utf8') : Buffer.from(a.content),
    contentType: a.contentType,
  }));
  const attached = new Map<ReplyBlock, string>();
  let content = renderContent(reply, attached);
  if (content.length > MAX_CONTENT) {
    // Code is what makes a reply long (/show, /diff): it goes into files and the words stay, so
    // what is left has no fence a cut could break.
    const codeBlocks = reply.blocks.filter((b) => b.kind === 'code');
    codeBlocks.forEach((block, index) => {
      const name = codeFileName(block.language, index);
      attached.set(block, name);
      files.push({ name, data: Buffer.from(block.code, 'utf8'), contentType: contentTypeOf(name) });
    });
    content = renderContent(reply, attached);
  }
  if (content.length > MAX_CONTENT) {
    const note = '\n(the full reply is attached as reply.md)';
    files.push({ name: 'reply.md', data: Buffer.from(content, 'utf8'), contentType: 'text/markdown' });
    content = `${cut(content, MAX_CONTENT - note.length)}${note}`;
  }
  return {
    body: {
      content: content === '' ? '(no output)' : content,
      flags: SUPPRESS_EMBEDS | (reply.visibility === 'ephemeral' ? EPHEMERAL : 0),
      allowed_mentions: NO_MENTIONS,
      components: buttonRows(reply.buttons),
      attachments: files.map((file, id) => ({ id, filename: file.name })),
    },
    files,
  };
}

function contentTypeOf(name: string): string {
  if (name.endsWith('.toml')) return 'application/toml';
  if (name.endsWith('.diff')) return 'text/x-diff';
  return 'text/plain';
}

/** A short message of our own (duplicates, unsupported interactions), never public. */
export function notice(text: string): MessageBody {
  return {
    content: text,
    flags: EPHEMERAL,
    allowed_mentions: NO_MENTIONS,
    components: [],
    attachments: [],
  };
}

/** The reply's first line as a private note, e.g. what a click did, shown where the click was. */
export function headline(reply: Reply): MessageBody {
  const [first] = reply.blocks;
  const text = first?.kind === 'text' ? escapeMarkdown(first.text) : 'Done.';
  return notice(cut(`✔ ${text}`, MAX_CONTENT));
}
