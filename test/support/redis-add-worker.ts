/**
 * A bot process for the multi-process test: builds the real core from config (REDIS_URL selects
 * the Redis store) and fires `count` concurrent `/add` commands on one channel.
 *
 * `node --import tsx test/support/redis-add-worker.ts <label> <count>` with REDIS_URL and
 * AITWS_REDIS_PREFIX in the environment; prints `{ "ok": n, "failed": [..] }`.
 */
import { buildCore } from '../../src/app.js';
import { renderPlain } from '../../src/commands/reply.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';

export const SHARED_CHANNEL = { platform: 'slack', workspace: 'T1', channel: 'C1' } as const;

const [label = 'p', count = '50'] = process.argv.slice(2);
const core = buildCore({ config: loadConfig(process.env), logger: silentLogger });
try {
  const replies = await Promise.all(
    Array.from({ length: Number(count) }, (_, index) =>
      core.dispatcher.handle({
        text: `/add roles name="${label}-${index}" privileges=["read"]`,
        actor: { id: label, name: label },
        channel: SHARED_CHANNEL,
      }),
    ),
  );
  const failed = replies.filter((reply) => !reply.ok).map(renderPlain);
  process.stdout.write(`${JSON.stringify({ ok: replies.length - failed.length, failed })}\n`);
} finally {
  await core.close();
}
