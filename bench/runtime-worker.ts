/** A worker process of the `runtime` bench: REDIS_URL, RUNTIME_PREFIX, CONCURRENCY. Prints `ready`. */
import { benchRuntime } from './runtime-parts.js';

const bench = benchRuntime(process.env.REDIS_URL ?? '', process.env.RUNTIME_PREFIX ?? '');
process.once('SIGTERM', () => {
  void bench.close().finally(() => process.exit(0));
});
await bench.runtime.work(Number(process.env.CONCURRENCY ?? 8));
process.stdout.write('ready\n');
