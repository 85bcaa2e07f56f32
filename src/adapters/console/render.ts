/** Console rendering of the neutral reply: plain text, optionally with ANSI colour for a TTY. */
import type { Reply, ReplyBlock } from '../../commands/reply.js';

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

function renderBlock(block: ReplyBlock, colour: boolean): string {
  switch (block.kind) {
    case 'text':
      return block.text;
    case 'code':
      return paint(block.code.replace(/\n$/, ''), block.language === 'diff' ? 'cyan' : 'dim', colour);
    case 'fields':
      return block.fields.map((f) => `${paint(f.label, 'bold', colour)}: ${f.value}`).join('\n');
    case 'list':
      return block.items.map((item) => `  • ${item}`).join('\n');
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
  for (const warning of reply.warnings) lines.push(paint(`⚠ ${warning}`, 'yellow', colour));
  for (const attachment of reply.attachments) {
    lines.push(paint(`── ${attachment.filename} ──`, 'dim', colour), attachment.content.replace(/\n$/, ''));
  }
  if (reply.buttons.length > 0) lines.push(reply.buttons.map((b) => `[${b.label}]`).join(' '));
  return lines.join('\n');
}
