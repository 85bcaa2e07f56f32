/**
 * `npm start`'s pre-step: runs `npm run build` only when something the build reads changed since
 * the last build, so starting the console costs no compiler start-up (about half a second) when
 * nothing changed. tsc -b would come to the same answer, but only after loading TypeScript.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const STAMP = path.join(root, 'dist/.tsbuildinfo');
/** What tsconfig.build.json compiles, the configs themselves, and the assets the build copies. */
const INPUTS = [
  'src',
  'bench',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'scripts/copy-assets.mjs',
];

function modifiedMs(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestMs(file) {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  // A directory's own time changes when an entry is added or removed.
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(file)) newest = Math.max(newest, newestMs(path.join(file, entry)));
  return newest;
}

const built = modifiedMs(STAMP);
const stale = built === undefined || INPUTS.some((input) => newestMs(path.join(root, input)) > built);
if (stale) {
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  // tsc leaves its build info alone when it finds nothing to do (a change to package.json, say):
  // mark the check as done, or every start would run the build again.
  const now = new Date();
  utimesSync(STAMP, now, now);
}
