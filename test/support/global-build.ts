/**
 * Vitest global setup: check the programs the suite needs, then compile once so end-to-end tests
 * run the real `bin/aitws.js` with plain node, exactly as a user does after `npm install`.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { missingRedisPrerequisite } from './redis.js';
import { registryBinary, skopeoBinary } from './registry.js';

/**
 * Vitest prints an error thrown here with its stack and a serialised copy, which buries the one
 * thing the reader must do; print that line alone instead, before anything has been started or
 * written.
 */
function stop(line: string): never {
  console.error(line);
  process.exit(1);
}

export default function setup(): void {
  const missing = missingRedisPrerequisite();
  if (missing !== undefined) stop(missing);
  for (const find of [registryBinary, skopeoBinary]) {
    try {
      find();
    } catch (error) {
      stop(error instanceof Error ? error.message : String(error));
    }
  }

  const root = path.resolve(import.meta.dirname, '../..');
  // The package's own build script, as `npm start` runs it: incremental, so an up-to-date dist/
  // costs a fraction of a second, and any step added to the script applies to tests too.
  // npm_execpath is set under `npm test`; with `npx vitest` npm is found on PATH.
  const npm = process.env.npm_execpath;
  const [command, args] =
    npm !== undefined && /\.[cm]?js$/.test(npm)
      ? [process.execPath, [npm, 'run', '--silent', 'build']]
      : ['npm', ['run', '--silent', 'build']];
  try {
    execFileSync(command, args, { cwd: root, stdio: 'inherit' });
  } catch {
    stop('The build failed (see the compiler output above), so no test was run.');
  }
}
