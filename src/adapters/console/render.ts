/**
 * Console rendering of the neutral reply: plain text, or for a terminal with ANSI colour (TOML
 * highlighted, diffs red and green) and prose wrapped at its width.
 */
import type { Reply, ReplyBlock } from '../../commands/reply.js';
import { inert } from '../../document/inert-text.js';
import { paint } from './ansi.js';
import { highlightDiff, highlightToml } from './highlight.js';
import { wrapText } from './wrap.js';

/** How to draw: colour or not, and the terminal's width (undefined: never wrap, as when piped). */
interface Style {
  readonly colour: boolean;
  readonly width: number | undefined;
}

/** Code is never wrapped: a folded TOML line copied back would be a different document. */
function renderCode(block: Extract<ReplyBlock, { kind: 'code' }>, style: Style): string {
  const code = inert(block.code.replace(/\n$/, ''));
  if (block.language === 'diff') return highlightDiff(code, style.colour);
  if (block.language === 'toml') return highlightToml(code, style.colour);
  return paint(code, 'dim', style.colour);
}

/**
 * Every text from a reply is made inert before our own colours are added: a value may hold an
 * escape sequence (`"\u001b]0;…"`) that would act on the person's terminal.
 */
function renderBlock(block: ReplyBlock, style: Style): string {
  const { colour, width } = style;
  switch (block.kind) {
    case 'text':
      return wrapText(inert(block.text), width);
    case 'code':
      return renderCode(block, style);
    case 'fields':
      return block.fields
        .map((f) => {
          const label = inert(f.label);
          const line = wrapText(`${label}: ${inert(f.value)}`, width, '  ');
          return `${paint(label, 'bold', colour)}${line.slice(label.length)}`;
        })
        .join('\n');
    case 'list':
      return block.items.map((item) => wrapText(`  • ${inert(item)}`, width, '    ')).join('\n');
  }
}

function renderHead(reply: Reply, first: ReplyBlock, style: Style): string {
  if (reply.ok) return renderBlock(first, style);
  // The mark takes two columns, so a wrapped failure lines up under its first word.
  const head = first.kind === 'text' ? wrapText(`✖ ${inert(first.text)}`, style.width, '  ') : undefined;
  return paint(head ?? `✖ ${renderBlock(first, { ...style, colour: false })}`, 'red', style.colour);
}

function renderExtras(reply: Reply, style: Style): string[] {
  const { colour, width } = style;
  const lines = reply.warnings.map((warning) =>
    paint(wrapText(`⚠ ${inert(warning)}`, width, '  '), 'yellow', colour),
  );
  for (const attachment of reply.attachments) {
    if (typeof attachment.content !== 'string') {
      // Bytes are not for a terminal; the command that made them said where it wrote them.
      const size = `${attachment.contentType}, ${attachment.content.byteLength} bytes`;
      lines.push(paint(`── ${inert(attachment.filename)} (${size}) ──`, 'dim', colour));
      continue;
    }
    const content = inert(attachment.content.replace(/\n$/, ''));
    lines.push(
      paint(`── ${inert(attachment.filename)} ──`, 'dim', colour),
      /\.toml$/i.test(attachment.filename) ? highlightToml(content, colour) : content,
    );
  }
  if (reply.buttons.length > 0) lines.push(reply.buttons.map((b) => `[${inert(b.label)}]`).join(' '));
  return lines;
}

/**
 * The reply as the console prints it. `colour` adds ANSI styles; `width` wraps prose (text,
 * lists, fields, warnings) on word boundaries at that many columns.
 */
export function renderForConsole(reply: Reply, colour: boolean, width?: number): string {
  const style: Style = { colour, width };
  const [first, ...rest] = reply.blocks;
  const lines: string[] = [];
  if (first !== undefined) lines.push(renderHead(reply, first, style));
  for (const block of rest) lines.push(renderBlock(block, style));
  lines.push(...renderExtras(reply, style));
  return lines.join('\n');
}
