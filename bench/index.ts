/** `npm run bench`: every benchmark the issues ask for, one after another, in one process. */
import { benchAi } from './ai.js';
import { benchAssistant } from './assistant.js';
import { benchConsoleAdd, benchDocument } from './core.js';
import { benchDiscord } from './discord.js';
import { benchGraph } from './graph.js';
import { benchOci } from './oci.js';
import { benchPages } from './pages.js';
import { benchRedisAdd } from './redis.js';
import { benchRuntime } from './runtime.js';
import { benchSlack } from './slack.js';

const benches: Record<string, () => Promise<void>> = {
  document: benchDocument,
  'console-add': benchConsoleAdd,
  'redis-add': benchRedisAdd,
  slack: benchSlack,
  'discord-http': benchDiscord,
  assistant: benchAssistant,
  runtime: benchRuntime,
  ai: benchAi,
  oci: benchOci,
  graph: benchGraph,
  pages: benchPages,
};

const only = process.argv.slice(2);
for (const [name, run] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n## ${name}`);
  await run();
}
