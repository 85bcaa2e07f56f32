/**
 * The Lua scripts behind the Redis stores, kept as files in ./lua (each documents its KEYS, ARGV
 * and reply). Each store call is exactly one script, so a session is never half-written and every
 * touched key shares one hash tag (see redis-keys.ts) for Cluster.
 *
 * A line `--- @include "includes/NAME"` is replaced by ./lua/includes/NAME.lua when the script is
 * loaded (one level, as bullmq does), so Redis receives one self-contained script. Every session
 * script includes `now`: it reads the server clock and returns it, so the store can keep an
 * estimate of the Redis clock and fence late writes (see `deadline` in write.lua).
 *
 * The files are read once, at module load; the build copies them next to the compiled JavaScript
 * (scripts/copy-assets.mjs), which finds them relative to its own URL.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha1: string;
  readonly keys: number;
}

const LUA_DIR = new URL('./lua/', import.meta.url);
const INCLUDE = /^--- @include "([\w/-]+)"$/gm;

function readLua(name: string): string {
  return readFileSync(new URL(`${name}.lua`, LUA_DIR), 'utf8');
}

function expandIncludes(name: string, source: string): string {
  const expanded = source.replace(INCLUDE, (_line, include: string) => readLua(include).trimEnd());
  // An include that includes would reach Redis as a bare comment and fail at run time instead.
  if (expanded.search(INCLUDE) !== -1)
    throw new Error(`Lua script "${name}": includes cannot include others`);
  return expanded;
}

/** Reads ./lua/NAME.lua; scripts are sent by SHA1 (EVALSHA), so each carries its hash. */
export function loadScript(name: string, keys: number): LuaScript {
  const lua = expandIncludes(name, readLua(name));
  return { name, lua, keys, sha1: createHash('sha1').update(lua).digest('hex') };
}

/** KEYS: session, history. Applies one versioned change (or reports conflict | late). */
export const WRITE = loadScript('write', 2);
/** KEYS: session, history. The current version and entry. */
export const READ = loadScript('read', 2);
/** KEYS: session, history. Retained entries, newest first. */
export const HISTORY = loadScript('history', 2);
/** KEYS: session, history. One version's entry. */
export const HISTORY_ENTRY = loadScript('history-entry', 2);
/** KEYS: saved, savedIndex. A document saved under a name in a workspace library. */
export const SAVE_NAMED = loadScript('save-named', 2);
export const DELETE_NAMED = loadScript('delete-named', 2);
/** KEYS: access. A channel's access record, by compare-and-set on its revision. */
export const ACCESS_WRITE = loadScript('access-write', 1);
