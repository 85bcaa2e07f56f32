/** Chat replies never carry a credential, whatever a command put in them. */
import { maskSecrets } from '../document/redact.js';
import type { Reply, ReplyAttachment, ReplyBlock } from './reply.js';

/** `block` with secrets masked; the same object when it holds none (the usual case, and no copy). */
function maskBlock(block: ReplyBlock): ReplyBlock {
  switch (block.kind) {
    case 'text': {
      const text = maskSecrets(block.text);
      return text === block.text ? block : { ...block, text };
    }
    case 'code': {
      const code = maskSecrets(block.code);
      return code === block.code ? block : { ...block, code };
    }
    case 'fields': {
      const fields = block.fields.map((f) => ({ label: maskSecrets(f.label), value: maskSecrets(f.value) }));
      const same = fields.every(
        (f, i) => f.label === block.fields[i]?.label && f.value === block.fields[i]?.value,
      );
      return same ? block : { ...block, fields };
    }
    case 'list': {
      const items = block.items.map(maskSecrets);
      return items.every((item, i) => item === block.items[i]) ? block : { ...block, items };
    }
  }
}

function maskAttachment(attachment: ReplyAttachment): ReplyAttachment {
  // Bytes (a picture) cannot be masked after the fact: whoever draws one masks its text first.
  if (typeof attachment.content !== 'string') return attachment;
  const content = maskSecrets(attachment.content);
  return content === attachment.content ? attachment : { ...attachment, content };
}

/** `items` mapped, or the same array when `mask` changed none of them. */
function maskAll<T>(items: readonly T[], mask: (item: T) => T): readonly T[] {
  const masked = items.map(mask);
  return masked.every((item, i) => item === items[i]) ? items : masked;
}

/** `reply` with every secret masked; the same object when it holds none. */
export function maskReply(reply: Reply): Reply {
  const blocks = maskAll(reply.blocks, maskBlock);
  const warnings = maskAll(reply.warnings, maskSecrets);
  const attachments = maskAll(reply.attachments, maskAttachment);
  if (blocks === reply.blocks && warnings === reply.warnings && attachments === reply.attachments)
    return reply;
  return { ...reply, blocks, warnings, attachments };
}
