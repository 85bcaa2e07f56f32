/**
 * Storage cannot be filled or broken from chat. Each test is an attack as a chat user (or a crash,
 * or a skewed clock) would make it, through the real composition root (buildCore) and the real
 * stores: real temp dirs, a real Redis.
 *
 * - 300 named saves stop at the entry cap with an error naming it, on the file store and on Redis;
 * - a save past the byte cap is refused the same way;
 * - /save and /load of a path inside the data dir are refused (the real console binary, too);
 * - a temporary orphaned by a crash is removed; a lock dated an hour ahead is not honoured an hour.
 */
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCore, type Core } from '../../src/app.js';
import type { Reply } from '../../src/commands/reply.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import type { ChannelKey } from '../../src/session/port.js';
import { closeRedisClient, createRedisClient } from '../../src/session/redis-client.js';
import { changeOf, simpleDocument } from '../contracts/session-store.fixtures.js';
import { jsonLines, runCli } from '../support/cli.js';
import { textOf } from '../support/harness.js';
import { SAMPLE_TOML } from '../support/paths.js';
import { deletePrefix, sharedRedis, uniquePrefix } from '../support/redis.js';

const CHANNEL: ChannelKey = { platform: 'console', workspace: 'local', channel: 'attack' };
const actor = { id: 'mallory', name: 'mallory' };

function errorCodeOf(reply: Reply): unknown {
  const data: unknown = reply.data;
  if (typeof data !== 'object' || data === null || !('error' in data)) return undefined;
  const { error } = data;
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

function firstOf(replies: readonly Reply[]): Reply {
  const [first] = replies;
  if (first === undefined) throw new Error('expected at least one reply');
  return first;
}

let base: string;
let workDir: string;
beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'aitws-storage-'));
  workDir = path.join(base, 'work');
  await mkdir(workDir);
  await copyFile(SAMPLE_TOML, path.join(workDir, 'sample.toml'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('the workspace library cannot be filled', () => {
  let redis: { readonly url: string; stop(): Promise<void> };
  const prefixes: string[] = [];
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterAll(async () => {
    const client = createRedisClient(redis.url);
    for (const prefix of prefixes) await deletePrefix(client, prefix);
    await closeRedisClient(client);
    await redis.stop();
  });

  const stores: Record<string, (env: Record<string, string>) => Core> = {
    'the file store': (env) =>
      buildCore({
        config: loadConfig(env),
        logger: silentLogger,
        fileRoot: workDir,
        dataDir: path.join(workDir, '.aitws'),
      }),
    Redis: (env) => {
      const prefix = uniquePrefix('storage');
      prefixes.push(prefix);
      const config = loadConfig({ REDIS_URL: redis.url, AITWS_REDIS_PREFIX: prefix, ...env });
      return buildCore({ config, logger: silentLogger, fileRoot: workDir });
    },
  };

  for (const [name, coreWith] of Object.entries(stores)) {
    describe(name, () => {
      let core: Core;
      const run = (text: string) => core.dispatcher.handle({ text, actor, channel: CHANNEL });
      afterEach(async () => {
        await core.close();
      });

      it('300 saves stop at 100 entries with an error naming the cap and what to do', async () => {
        core = coreWith({});
        expect((await run('/create name="Flood"')).ok).toBe(true);
        const replies: Reply[] = [];
        for (let index = 0; index < 300; index += 1) replies.push(await run(`/save name="flood-${index}"`));
        expect(replies.slice(0, 100).every((reply) => reply.ok)).toBe(true);
        const refused = replies.slice(100);
        expect(refused.every((reply) => !reply.ok && errorCodeOf(reply) === 'LIMIT')).toBe(true);
        const shown = textOf(firstOf(refused));
        expect(shown).toContain('The workspace library is full: it holds at most 100 saved workflows.');
        expect(shown).toContain('Reuse the name of a saved workflow you no longer need (see /saved)');
        expect(shown).toContain('AITWS_LIBRARY_MAX_ENTRIES');
        const listed = await core.sessions.listNamed({ platform: 'console', workspace: 'local' });
        expect(listed).toHaveLength(100);
        // Replacing a saved name (confirmed) is not a new entry.
        expect((await run('/save name="flood-7" force=true')).ok).toBe(true);
      });

      it('a save past the byte cap is refused, and so is one draft larger than the whole cap', async () => {
        core = coreWith({ AITWS_LIBRARY_MAX_BYTES: '12000' });
        expect((await run('/load sample.toml')).ok).toBe(true);
        const replies: Reply[] = [];
        for (let index = 0; index < 10; index += 1) replies.push(await run(`/save name="big-${index}"`));
        // About 3 to 4 KB each, as each store counts it: a few fit, then every further one is refused.
        const landed = replies.filter((reply) => reply.ok).length;
        expect(landed).toBeGreaterThanOrEqual(2);
        expect(landed).toBeLessThanOrEqual(4);
        const refused = replies.slice(landed);
        expect(refused.every((reply) => errorCodeOf(reply) === 'LIMIT')).toBe(true);
        expect(textOf(firstOf(refused))).toContain('it holds at most 11.7 KiB of saved workflows');
        await core.close();

        core = coreWith({ AITWS_LIBRARY_MAX_BYTES: '2000' });
        expect((await run('/load sample.toml')).ok).toBe(true);
        const reply = await run('/save name="too-big"');
        expect(errorCodeOf(reply)).toBe('LIMIT');
        expect(textOf(reply)).toMatch(/This draft takes [\d.]+ KiB in the library, more than the 2 KiB/);
      });
    });
  }
});

describe('the data dir is out of reach of /save PATH and /load PATH', () => {
  let core: Core;
  const run = (text: string) => core.dispatcher.handle({ text, actor, channel: CHANNEL });
  beforeEach(async () => {
    core = buildCore({
      config: loadConfig({}),
      logger: silentLogger,
      fileRoot: workDir,
      dataDir: path.join(workDir, '.aitws'),
    });
    expect((await run('/load sample.toml')).ok).toBe(true);
    expect((await run('/save name="kept"')).ok).toBe(true);
  });
  afterEach(async () => {
    await core.close();
  });

  async function channelFile(): Promise<string> {
    const [dir] = await readdir(path.join(workDir, '.aitws', 'channels'));
    return path.join('.aitws', 'channels', dir ?? 'missing', 'current.json');
  }

  it('refuses to write over or read from the store, directly or through a symlink', async () => {
    const target = await channelFile();
    const before = await readFile(path.join(workDir, target), 'utf8');
    await symlink(path.join(workDir, '.aitws'), path.join(workDir, 'innocent'));
    // /save writes only .toml files, so the store's .json files are refused before the path is
    // looked at; the .toml names below reach the data-dir check itself.
    const tomlInStore = target.replace(/\.json$/, '.toml');
    for (const attempt of [`/save ${target}`, `/save .aitws/library/evil.json`, `/save .aitws`]) {
      const reply = await run(attempt);
      expect(reply.ok, attempt).toBe(false);
    }
    const attempts = [
      `/save ${tomlInStore}`,
      `/save .aitws/library/evil.toml`,
      `/save ./x/../${tomlInStore}`,
      `/save innocent/${tomlInStore.slice('.aitws/'.length)}`,
      `/load ${target}`,
      `/load innocent/${target.slice('.aitws/'.length)}`,
    ];
    for (const attempt of attempts) {
      const reply = await run(attempt);
      expect(reply.ok, attempt).toBe(false);
      expect(errorCodeOf(reply), attempt).toBe('PATH_FORBIDDEN');
      expect(textOf(reply)).toContain('is inside the session store (.aitws); nothing was read or written.');
    }
    await expect(readFile(path.join(workDir, target), 'utf8')).resolves.toBe(before);
    await expect(readdir(path.join(workDir, '.aitws', 'library'))).resolves.not.toContain('evil.json');
    await expect(readdir(path.join(workDir, '.aitws', 'library'))).resolves.not.toContain('evil.toml');
    // The channel and the library still work, and ordinary paths still do.
    expect((await run('/show metadata')).ok).toBe(true);
    expect((await run('/load name="kept"')).ok).toBe(true);
    expect((await run('/save flows/out.toml')).ok).toBe(true);
    expect((await run('/save .aitws-not-the-store.toml')).ok).toBe(true);
  });

  it('names a broken stored file under $AITWS_DATA_DIR in the reply, never by its absolute path', async () => {
    await writeFile(path.join(workDir, await channelFile()), 'not json');
    const reply = await run('/show');
    expect(reply.ok).toBe(false);
    const shown = JSON.stringify(reply);
    expect(shown).toMatch(
      /Stored session data in \$AITWS_DATA_DIR\/channels\/[^ ]+\/current\.json cannot be read/,
    );
    expect(shown).not.toContain(workDir);
    expect(shown).not.toContain(os.tmpdir());
  });

  it('refuses it in the real console, and the channel keeps working', async () => {
    const target = await channelFile();
    const input = `/save ${target.replace(/\.json$/, '.toml')}\n/load ${target}\n/show metadata\n`;
    const result = await runCli(['console', '--json', '--channel', 'attack'], { cwd: workDir, input });
    // Piped, the console exits 1 when any command failed; the session itself went on.
    expect(result.code).toBe(1);
    const [save, load, show] = jsonLines(result.stdout);
    for (const reply of [save, load]) {
      expect(reply).toMatchObject({ ok: false, data: { error: { code: 'PATH_FORBIDDEN' } } });
    }
    expect(show).toMatchObject({ ok: true });
  });
});

describe('a data dir that is the working directory (--data-dir .)', () => {
  it("keeps only the store's own folders off limits", async () => {
    const core = buildCore({
      config: loadConfig({}),
      logger: silentLogger,
      fileRoot: workDir,
      dataDir: workDir,
    });
    try {
      const run = (text: string) => core.dispatcher.handle({ text, actor, channel: CHANNEL });
      expect((await run('/load sample.toml')).ok).toBe(true);
      expect((await run('/save workflow.toml')).ok).toBe(true);
      for (const attempt of ['/save channels/x.toml', '/save library/x.toml', '/load channels']) {
        const reply = await run(attempt);
        expect(errorCodeOf(reply), attempt).toBe('PATH_FORBIDDEN');
        expect(textOf(reply)).toMatch(/is inside the session store \((channels|library)\)/);
      }
    } finally {
      await core.close();
    }
  });
});

describe('crash leftovers and skewed clocks', () => {
  it('removes a temporary orphaned by a crash (older than a minute), and leaves a fresh one', async () => {
    const dataDir = path.join(base, 'data');
    const first = new FileSessionStore({ dataDir });
    await first.write(CHANNEL, 0, changeOf(simpleDocument('one'), 1));
    await first.saveNamed(CHANNEL, { name: 'lib', document: simpleDocument('lib'), at: 't', by: 'x' });
    const dirs = [
      first.channelDir(CHANNEL),
      first.libraryDir(CHANNEL),
      path.dirname(first.libraryDir(CHANNEL)),
    ];
    const old = new Date(Date.now() - 5 * 60_000);
    for (const dir of dirs) {
      await writeFile(path.join(dir, 'current.json.0123456789ab.tmp'), 'x'.repeat(100_000));
      await utimes(path.join(dir, 'current.json.0123456789ab.tmp'), old, old);
      await writeFile(path.join(dir, 'current.json.ba9876543210.tmp'), 'in flight');
    }
    // A restarted process: its first write in each directory sweeps it.
    const second = new FileSessionStore({ dataDir });
    await second.write(CHANNEL, 1, changeOf(simpleDocument('two'), 2));
    await second.saveNamed(CHANNEL, { name: 'lib2', document: simpleDocument('lib'), at: 't', by: 'x' });
    for (const dir of dirs) {
      const names = await readdir(dir);
      expect(names).not.toContain('current.json.0123456789ab.tmp');
      expect(names).toContain('current.json.ba9876543210.tmp');
    }
  });

  it('does not honour a lock dated an hour in the future for an hour', async () => {
    const store = new FileSessionStore({ dataDir: path.join(base, 'data'), lockTimeoutMs: 500 });
    const lock = `${store.channelFile(CHANNEL)}.lock`;
    await mkdir(path.dirname(lock), { recursive: true });
    // Held, as far as anyone can tell, by a live process on this host whose clock runs an hour ahead.
    const owner = {
      pid: process.ppid,
      thread: 0,
      host: os.hostname(),
      token: 'skewed',
      createdAt: Date.now() + 3_600_000,
    };
    await writeFile(lock, JSON.stringify(owner));
    const started = Date.now();
    await expect(store.write(CHANNEL, 0, changeOf(simpleDocument('landed'), 1))).resolves.toEqual({
      ok: true,
      version: 1,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
