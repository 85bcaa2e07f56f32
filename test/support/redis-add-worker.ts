/**
 * A bot process for the multi-process test: builds the real core from config (REDIS_URL selects
 * the Redis store) and fires `count` concurrent `/add` commands on one channel.
 *
 * `node --import tsx test/support/redis-add-worker.ts <label> <count>` with REDIS_URL and
 * AITWS_REDIS_PREFIX in the environment. Prints `ready` once connected, waits for a line on stdin
 * so that every worker starts at once, then prints `{ "ok": n, "failed": [..], "writes": n }`.
 */
import { buildCore } from '../../src/app.js';
import { renderPlain } from '../../src/commands/reply.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';

export const SHARED_CHANNEL = { platform: 'slack', workspace: 'T1', channel: 'C1' } as const;

const [label = 'p', count = '50'] = process.argv.slice(2);
const core = buildCore({ config: loadConfig(process.env), logger: silentLogger });
// Every compare-and-set attempt is one write; more writes than commands shows the processes
// really collided and the retry loop resolved it, which the replies alone cannot tell.
const sessions = core.sessions;
const write = sessions.write.bind(sessions);
let writes = 0;
sessions.write = (...args) => {
  writes++;
  return write(...args);
};
try {
  while (!(await core.ready())) await new Promise((resolve) => setTimeout(resolve, 20));
  // Started together, the workers' changes really overlap; a worker that started late would
  // find the others done (each runs its own changes to a channel one at a time).
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
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
  process.stdout.write(`${JSON.stringify({ ok: replies.length - failed.length, failed, writes })}\n`);
} finally {
  await core.close();
}
