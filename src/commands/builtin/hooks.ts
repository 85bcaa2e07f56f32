import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import { channelSecret, type WebhookSettings, webhookUrl } from '../../http/hooks-sign.js';
import { eventEntries } from '../../runtime/events-match.js';
import type { ChannelKey } from '../../session/port.js';
import { privateAnswer } from '../reply.js';
import { runnableVersion } from '../runs/runnable.js';
import type { CommandContext, CommandDefinition } from '../types.js';

function webhooksOf(context: CommandContext): WebhookSettings {
  const webhooks = context.webhooks;
  if (webhooks !== undefined) return webhooks;
  throw new AitwsError('NOT_AVAILABLE', 'Webhooks are off: no webhook secret is configured.', {
    hint: 'Set AITWS_WEBHOOK_SECRET (and AITWS_PUBLIC_URL, where aitws serve is reached) and restart aitws serve.',
  });
}

/**
 * The URL as shown. Replies are masked for credentials, and a long last segment after /hooks/
 * looks like one (redact.ts, webhook-path): its first character is percent-encoded instead, which
 * names the same URL and leaves the reply readable.
 */
export function shownUrl(settings: WebhookSettings, channel: ChannelKey, event: string): string {
  const url = webhookUrl(settings.baseUrl, channel, event);
  return url.replace(/\/([A-Za-z0-9_-])([A-Za-z0-9_-]{19,})$/, (_match, first: string, rest: string) => {
    const code = first.charCodeAt(0).toString(16).toUpperCase();
    return `/%${code}${rest}`;
  });
}

/**
 * A POSIX shell example that signs as the route checks. Its variable names and header spelling
 * stay clear of what reply masking takes for an assignment of a secret (`SIG=…`, `Signature: …`).
 */
export function curlExample(url: string, key: string): string {
  return [
    `HOOK_KEY='${key}'`,
    `URL='${url}'`,
    `BODY='{"key":"value"}'`,
    'TS=$(date +%s)',
    `MAC=$(printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$HOOK_KEY" -r | cut -d' ' -f1)`,
    'SIG_HEADER=X-Aitws-Signature',
    'curl -sS -X POST "$URL" -H "Content-Type: application/json" \\',
    '  -H "X-Aitws-Timestamp: $TS" -H "$SIG_HEADER: v1=$MAC" \\',
    '  -H "X-Aitws-Event-Id: $(openssl rand -hex 8)" --data "$BODY"',
  ].join('\n');
}

/** The runnable version's events; before any is approved, the draft's, with a warning. */
async function shownDocument(
  context: CommandContext,
): Promise<{ document: AitwsDocument; warnings: string[] }> {
  try {
    return { document: (await runnableVersion(context)).document, warnings: [] };
  } catch (error) {
    if (!(error instanceof AitwsError) || error.code !== 'NOT_APPROVED') throw error;
    const draft = (await context.drafts.read(context.invocation.channel)).document;
    if (draft === null) throw error;
    return {
      document: draft,
      warnings: [`${error.message} Until a version is approved the webhook answers 404.`],
    };
  }
}

export const hooksCommand: CommandDefinition = {
  name: 'hooks',
  group: 'runs',
  privilege: 'admin',
  summary: "The webhook URLs that raise this channel's events, and how to sign them",
  usage: '/hooks',
  description:
    "Shows, to you only, one URL per [[events]] entry (POST /hooks/<workspace>/<channel>/<event>) and this channel's signing key. A request is signed with HMAC-SHA256 over \"<timestamp>.<body>\" with that key, sent as X-Aitws-Signature: v1=<hex> with X-Aitws-Timestamp (unix seconds, at most 5 minutes off) and an X-Aitws-Event-Id (a repeated id is answered as a duplicate and starts nothing). The body, a JSON object, is the event's data. The key is derived from the server's AITWS_WEBHOOK_SECRET: rotating that rotates every channel's key.",
  accepts: { params: [], words: 0 },
  examples: ['/hooks'],
  async run(context) {
    const settings = webhooksOf(context);
    const { channel } = context.invocation;
    const { document, warnings } = await shownDocument(context);
    const key = channelSecret(settings.secret, channel);
    const entries = eventEntries(document);
    const items = entries.map((entry) => {
      const type = entry.type === entry.name ? '' : ` (type ${entry.type})`;
      return `${entry.name}${type}: ${shownUrl(settings, channel, entry.name)}`;
    });
    const first = entries[0];
    const blocks = [
      { kind: 'fields' as const, fields: [{ label: 'Signing key (keep it private)', value: key }] },
      ...(items.length === 0 ? [] : [{ kind: 'list' as const, items }]),
      ...(first === undefined
        ? []
        : [
            {
              kind: 'code' as const,
              language: 'text' as const,
              code: curlExample(shownUrl(settings, channel, first.name), key),
            },
          ]),
    ];
    const text =
      entries.length === 0
        ? 'This workflow has no [[events]] entry, so no webhook raises anything yet. Add one: /add events name="Deployed" type="deployed".'
        : `Webhooks for this channel, one per event (POST, JSON body = the event's data):`;
    return privateAnswer(text, {
      blocks,
      warnings,
      data: {
        key,
        hooks: entries.map((entry) => ({
          event: entry.name,
          type: entry.type,
          url: webhookUrl(settings.baseUrl, channel, entry.name),
        })),
      },
    });
  },
};
