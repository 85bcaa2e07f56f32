/** Console rendering of the neutral reply: plain text, optionally with ANSI colour for a TTY. */
import type { Reply, ReplyBlock } from '../../commands/reply.js';
import { inert } from '../../document/inert-text.js';

const ANSI = {
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
  reset: '\u001b[0m',
};

function paint(text: string, colour: keyof typeof ANSI, enabled: boolean): string {
  return enabled ? `${ANSI[colour]}${text}${ANSI.reset}` : text;
}

/**
 * Every text from a reply is made inert before our own colours are added: a value may hold an
 * escape sequence (`"\u001b]0;…"`) that would act on the person's terminal.
 */
function renderBlock(block: ReplyBlock, colour: boolean): string {
  switch (block.kind) {
    case 'text':
      return inert(block.text);
    case 'code':
      return paint(inert(block.code.replace(/\n$/, '')), block.language === 'diff' ? 'cyan' : 'dim', colour);
    case 'fields':
      return block.fields
        .map((f) => `${paint(inert(f.label), 'bold', colour)}: ${inert(f.value)}`)
        .join('\n');
    case 'list':
      return block.items.map((item) => `  • ${inert(item)}`).join('\n');
  }
}

export function renderForConsole(reply: Reply, colour: boolean): string {
  const [first, ...rest] = reply.blocks;
  const lines: string[] = [];
  if (first !== undefined) {
    const head = renderBlock(first, colour);
    lines.push(reply.ok ? head : paint(`✖ ${head}`, 'red', colour));
  }
  for (const block of rest) lines.push(renderBlock(block, colour));
  for (const warning of reply.warnings) lines.push(paint(`⚠ ${inert(warning)}`, 'yellow', colour));
  for (const attachment of reply.attachments) {
    lines.push(
      paint(`── ${inert(attachment.filename)} ──`, 'dim', colour),
      inert(attachment.content.replace(/\n$/, '')),
    );
  }
  if (reply.buttons.length > 0) lines.push(reply.buttons.map((b) => `[${inert(b.label)}]`).join(' '));
  return lines.join('\n');
}
