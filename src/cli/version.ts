/** The version `aitws --version` prints: the package's own, read from its package.json. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const PackageJson = z.object({ name: z.string(), version: z.string() });

/** Walks up from this file (src/cli or dist/src/cli) to the package root. */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const parsed = PackageJson.safeParse(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')));
      if (parsed.success && parsed.data.name === 'aitws') return parsed.data.version;
    } catch {
      // No package.json here: keep walking up.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
