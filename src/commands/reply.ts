/**
 * The platform-neutral reply. Commands build these; each adapter renders them
 * (Block Kit, Discord embeds/components, plain text / JSON in the console).
 */
export type Visibility = 'channel' | 'ephemeral';

export type ReplyBlock =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'code'; readonly code: string; readonly language?: 'toml' | 'diff' | 'text' }
  | {
      readonly kind: 'fields';
      readonly fields: readonly { readonly label: string; readonly value: string }[];
    }
  | { readonly kind: 'list'; readonly items: readonly string[] };

export interface ReplyButton {
  /** Short opaque id; the state behind it lives in the session store. */
  readonly id: string;
  readonly label: string;
  readonly style?: 'primary' | 'danger';
}

export interface ReplyAttachment {
  readonly filename: string;
  readonly contentType: string;
  /** Text (UTF-8 when sent), or bytes for a picture (/graph's PNG). */
  readonly content: string | Uint8Array;
}

export interface Reply {
  readonly ok: boolean;
  readonly visibility: Visibility;
  readonly blocks: readonly ReplyBlock[];
  readonly warnings: readonly string[];
  readonly buttons: readonly ReplyButton[];
  readonly attachments: readonly ReplyAttachment[];
  /** Machine-readable result (console --json `data`). */
  readonly data?: unknown;
  /**
   * Open this form instead of showing the reply; only sent when the invocation said the adapter
   * can (see Invocation.supportsDocumentForm). The blocks say what the form is for.
   */
  readonly form?: ReplyForm;
  /**
   * The command this answers, as others in the channel may see it (a "who did what" line): secrets
   * masked from the parsed values, or only the command's name when the line did not parse. Set by
   * the dispatcher; adapters show this, never the text as typed.
   */
  readonly echo?: string;
  /**
   * How a reply to a button click is shown, when the core decides it (a review's vote buttons):
   * `replace`: it replaces the message the button was on, buttons included (none left: the buttons
   * go), and nothing else is posted; `private`: only the clicker sees it and the message stays.
   * Unset: the adapter's usual rule for a confirmed or cancelled choice.
   */
  readonly clickEffect?: 'replace' | 'private';
}

/** `document`: a form to paste an aiTWS document into, submitted as /load with that content. */
export type ReplyForm = 'document';

export interface ReplyInit {
  visibility?: Visibility;
  blocks?: readonly ReplyBlock[];
  warnings?: readonly string[];
  buttons?: readonly ReplyButton[];
  attachments?: readonly ReplyAttachment[];
  data?: unknown;
  form?: ReplyForm;
}

/** A reply whose first block is `text`, then `init.blocks`. */
function build(ok: boolean, defaultVisibility: Visibility, text: string, init: ReplyInit): Reply {
  const blocks: ReplyBlock[] = [{ kind: 'text', text }, ...(init.blocks ?? [])];
  const visibility = init.visibility ?? defaultVisibility;
  const warnings = init.warnings ?? [];
  const buttons = init.buttons ?? [];
  const attachments = init.attachments ?? [];
  const reply: Reply =
    init.data === undefined
      ? { ok, visibility, blocks, warnings, buttons, attachments }
      : { ok, visibility, blocks, warnings, buttons, attachments, data: init.data };
  return init.form === undefined ? reply : { ...reply, form: init.form };
}

/** A change or result the channel should see. */
export function success(text: string, init: ReplyInit = {}): Reply {
  return build(true, 'channel', text, init);
}

/** Help, listings and other answers only the person who asked needs. */
export function privateAnswer(text: string, init: ReplyInit = {}): Reply {
  return build(true, 'ephemeral', text, init);
}

export function failure(text: string, init: ReplyInit = {}): Reply {
  return build(false, 'ephemeral', text, init);
}

/** Plain-text rendering shared by the console and by platform fallbacks (notification text). */
export function renderPlain(reply: Reply): string {
  const parts: string[] = [];
  for (const block of reply.blocks) {
    switch (block.kind) {
      case 'text':
        parts.push(block.text);
        break;
      case 'code':
        parts.push(block.code.replace(/\n$/, ''));
        break;
      case 'fields':
        parts.push(block.fields.map((f) => `${f.label}: ${f.value}`).join('\n'));
        break;
      case 'list':
        parts.push(block.items.map((item) => `  • ${item}`).join('\n'));
        break;
    }
  }
  if (reply.warnings.length > 0) {
    parts.push(`Warnings:\n${reply.warnings.map((w) => `  ⚠ ${w}`).join('\n')}`);
  }
  for (const attachment of reply.attachments) {
    parts.push(`[attachment ${attachment.filename}, ${Buffer.byteLength(attachment.content)} bytes]`);
  }
  if (reply.buttons.length > 0) {
    parts.push(reply.buttons.map((b) => `[${b.label}]`).join(' '));
  }
  return parts.join('\n');
}
