/**
 * `npm run build`, after tsc: copies the files tsc does not emit (the Redis Lua scripts, the font pictures are drawn with) next to
 * the compiled JavaScript, which reads them relative to its own URL.
 */
import { cpSync, rmSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const ASSET_DIRS = ['src/session/lua', 'src/graph/fonts'];

for (const dir of ASSET_DIRS) {
  const target = new URL(`dist/${dir}/`, root);
  // Replaced whole, so a script deleted from src does not live on in dist.
  rmSync(target, { recursive: true, force: true });
  cpSync(new URL(`${dir}/`, root), target, { recursive: true });
}
