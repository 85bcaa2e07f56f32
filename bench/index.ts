/** `npm run bench`: every benchmark the issues ask for, one after another, in one process. */
import { benchConsoleAdd, benchDocument } from './core.js';
import { benchRedisAdd } from './redis.js';

const benches: Record<string, () => Promise<void>> = {
  document: benchDocument,
  'console-add': benchConsoleAdd,
  'redis-add': benchRedisAdd,
};

const only = process.argv.slice(2);
for (const [name, run] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n## ${name}`);
  await run();
}
