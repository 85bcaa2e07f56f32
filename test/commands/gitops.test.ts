/**
 * /push and /pull through a real dispatcher (memory stores, the console's confined files for
 * /load) and a real `git daemon` on loopback: the approved version lands in the bare repository
 * with its approvers in the message, someone else's commit comes back as a new version with its
 * diff and voids the review under way, and secrets and foreign hosts stay out.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfinedFiles } from '../../src/adapters/console/files.js';
import { createDispatcher, type Dispatcher } from '../../src/commands/dispatch.js';
import type { Reply } from '../../src/commands/reply.js';
import { stringifyDocument } from '../../src/document/index.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { silentLogger } from '../../src/logging.js';
import { environmentSecrets } from '../../src/runtime/secrets.js';
import { MemoryAccessStore } from '../../src/session/access-memory.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { ChannelKey } from '../../src/session/port.js';
import { documentText, errorCodeOf, GRANTS, PEOPLE, textOf } from '../access/world.js';
import { type GitDaemon, startGitDaemon } from '../support/git-daemon.js';

const CHANNEL: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'CGIT' };
const SECRET = 'hunter2-very-secret';
const secrets = () => environmentSecrets({ AITWS_SECRET_GIT_PASSWORD: SECRET });

let daemon: GitDaemon;
let dir: string;

beforeAll(async () => {
  daemon = await startGitDaemon();
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-gitops-'));
});

afterAll(async () => {
  await daemon?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

/** The session store behind each dispatcher, to read the draft as stored. */
const stores = new WeakMap<Dispatcher, MemorySessionStore>();

function draftOf(d: Dispatcher) {
  const store = stores.get(d);
  if (store === undefined) throw new Error('no store');
  return store.read(CHANNEL);
}

function dispatcher(): Dispatcher {
  const sessions = new MemorySessionStore();
  const d = createDispatcher({
    sessions,
    interactions: new MemoryInteractionStore(),
    accessStore: new MemoryAccessStore(),
    accessPolicy: { admins: new Set([`slack:${PEOPLE.admin.id}`]), defaultPrivileges: ['read', 'write'] },
    files: createConfinedFiles(dir, DEFAULT_LIMITS.documentBytes),
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
    secrets: secrets(),
  });
  stores.set(d, sessions);
  return d;
}

const say = (d: Dispatcher, person: Person, text: string): Promise<Reply> =>
  d.handle({ text, actor: person, channel: CHANNEL });

async function ok(d: Dispatcher, person: Person, text: string): Promise<Reply> {
  const reply = await say(d, person, text);
  expect(reply.ok, `${text}: ${textOf(reply)}`).toBe(true);
  return reply;
}

let files = 0;

/** The access world's document (review required) with a [version_control] section, loaded and granted. */
async function channel(versionControl: string): Promise<Dispatcher> {
  const d = dispatcher();
  files += 1;
  const file = `gitops-${files}.toml`;
  await writeFile(path.join(dir, file), `${documentText()}\n[version_control]\n${versionControl}\n`);
  await ok(d, PEOPLE.admin, `/load ${file}`);
  for (const [person, role] of GRANTS) await ok(d, PEOPLE.admin, `/grant <@${person.id}> ${role}`);
  return d;
}

/** The reply to the deciding approval: where the commit on approval says what it did. */
async function approved(d: Dispatcher): Promise<Reply> {
  await ok(d, PEOPLE.dev, '/submit for git');
  await ok(d, PEOPLE.approver1, '/approve');
  return ok(d, PEOPLE.approver2, '/approve');
}

function gitSection(repository: string, file = 'workflows/access.toml', onApproval = true): string {
  const section = `system = "git"\nrepository = "${repository}"\nbranch = "main"\npath = "${file}"`;
  return onApproval ? section : `${section}\ncommit_on_approval = false`;
}

describe('/push', () => {
  it('commits the approved version with its version, hash and approvers in the message', async () => {
    const repository = await daemon.createRepository('push');
    const d = await channel(gitSection(repository, 'workflows/access.toml', false));
    await approved(d);
    expect(await daemon.gitIn('push', ['branch', '--list'])).toBe('');
    const reply = await ok(d, PEOPLE.dev, '/push');
    const data = reply.data as { version: number; hash: string; commit: string; changed: boolean };
    expect(data.changed).toBe(true);
    expect(data.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const subject = (await daemon.gitIn('push', ['log', '--format=%s', '-1', 'main'])).trim();
    expect(subject).toBe(`aitws: Access scenarios v${data.version} ${data.hash} approved by Ann, Abe`);
    expect((await daemon.gitIn('push', ['rev-parse', 'main'])).trim()).toBe(data.commit);
    const draft = await draftOf(d);
    expect(draft.document).not.toBeNull();
    const committed = await daemon.gitIn('push', ['show', 'main:workflows/access.toml']);
    expect(committed).toBe(stringifyDocument(draft.document ?? {}));

    const again = await ok(d, PEOPLE.dev, '/push');
    expect((again.data as { changed: boolean }).changed).toBe(false);
    expect((await daemon.gitIn('push', ['rev-list', '--count', 'main'])).trim()).toBe('1');
    const audit = textOf(await ok(d, PEOPLE.admin, '/audit'));
    expect(audit).toContain(`commit ${data.commit.slice(0, 12)} to workflows/access.toml on main`);
  });

  it('commits by itself when a review approves, and says so under the approval', async () => {
    const repository = await daemon.createRepository('on-approval');
    const d = await channel(gitSection(repository));
    const decided = await approved(d);
    const head = (await daemon.gitIn('on-approval', ['rev-parse', 'main'])).trim();
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(textOf(decided)).toContain(`Committed v`);
    expect(textOf(decided)).toContain(`workflows/access.toml on main of ${repository}: ${head.slice(0, 12)}`);
    const subject = (await daemon.gitIn('on-approval', ['log', '--format=%s', '-1', 'main'])).trim();
    expect(subject).toMatch(/^aitws: Access scenarios v\d+ sha256:[0-9a-f]{64} approved by Ann, Abe$/);
    const again = await ok(d, PEOPLE.dev, '/push');
    expect((again.data as { changed: boolean }).changed).toBe(false);
  });

  it('keeps the approval when the commit on approval fails, and says why without the secret', async () => {
    const url = `http://aitws:\${secret:git_password}@127.0.0.1:${daemon.port}/none.git`;
    const d = await channel(gitSection(url));
    const decided = await approved(d);
    expect(textOf(decided)).toContain('Approved by Ann and Abe');
    expect(textOf(decided)).toContain('Not committed to Git:');
    expect(textOf(decided)).toContain('/push tries again');
    expect(JSON.stringify(decided)).not.toContain(SECRET);
    const run = await ok(d, PEOPLE.dev, '/review');
    expect(textOf(run)).toContain('approved');
  });

  it('pushes nothing before an approval, and only with execute', async () => {
    const repository = await daemon.createRepository('unapproved');
    const d = await channel(gitSection(repository, 'workflows/access.toml', false));
    expect(errorCodeOf(await say(d, PEOPLE.dev, '/push'))).toBe('NOT_APPROVED');
    await approved(d);
    expect(errorCodeOf(await say(d, PEOPLE.viewer, '/push'))).toBe('FORBIDDEN');
    expect(await daemon.gitIn('unapproved', ['branch', '--list'])).toBe('');
  });

  it('refuses a git:// host off loopback', async () => {
    const d = await channel(gitSection('git://git.example.com/team/wf.git'));
    await approved(d);
    const reply = await say(d, PEOPLE.dev, '/push');
    expect(errorCodeOf(reply)).toBe('CONFIG');
    expect(textOf(reply)).toContain('loopback');
  });

  it('masks a secret of the repository URL in what it says when git fails', async () => {
    const url = `http://aitws:\${secret:git_password}@127.0.0.1:${daemon.port}/none.git`;
    const d = await channel(gitSection(url));
    await approved(d);
    const reply = await say(d, PEOPLE.dev, '/push');
    expect(reply.ok).toBe(false);
    expect(errorCodeOf(reply)).toBe('NOT_AVAILABLE');
    expect(JSON.stringify(reply)).not.toContain(SECRET);
  });

  it('refuses a secret outside the user part of the URL', async () => {
    const url = `https://git.example.com/\${secret:git_password}.git`;
    const d = await channel(gitSection(url));
    await approved(d);
    const reply = await say(d, PEOPLE.dev, '/push');
    expect(errorCodeOf(reply)).toBe('CONFIG');
    expect(JSON.stringify(reply)).not.toContain(SECRET);
  });
});

describe('/pull', () => {
  it("shows someone else's commit as a diff and loads it as a new version that voids the review", async () => {
    const repository = await daemon.createRepository('pull');
    const d = await channel(gitSection(repository, 'access.toml'));
    await approved(d);
    await ok(d, PEOPLE.dev, '/push');
    const before = await draftOf(d);
    const edited = (await daemon.gitIn('pull', ['show', 'main:access.toml'])).replace(
      'version = "1.0.0"',
      'version = "1.1.0"',
    );
    expect(edited).toContain('1.1.0');
    await daemon.commitAsOther('pull', 'main', 'access.toml', edited);
    // A review under way on the current version, which the pull must void.
    await ok(d, PEOPLE.admin, '/add metadata description="under review"');
    await ok(d, PEOPLE.dev, '/submit with a description');

    expect(errorCodeOf(await say(d, PEOPLE.viewer, '/pull'))).toBe('FORBIDDEN');
    const reply = await ok(d, PEOPLE.dev, '/pull');
    const text = textOf(reply);
    expect(text).toContain('-version = "1.0.0"');
    expect(text).toContain('+version = "1.1.0"');
    const after = await draftOf(d);
    expect(after.version).toBe(before.version + 2);
    expect(after.document?.metadata).toMatchObject({ version: '1.1.0' });
    const vote = await say(d, PEOPLE.approver1, '/approve');
    expect(errorCodeOf(vote)).toBe('REVIEW_CLOSED');
    expect(text).toContain('voids the pending review');

    const unchanged = await ok(d, PEOPLE.dev, '/pull');
    expect(textOf(unchanged)).toContain('No change');
    expect((await draftOf(d)).version).toBe(after.version);
  });

  it('refuses a repository file with errors and leaves the draft as it was', async () => {
    const repository = await daemon.createRepository('broken');
    const d = await channel(gitSection(repository, 'w.toml'));
    await approved(d);
    await ok(d, PEOPLE.dev, '/push');
    await daemon.commitAsOther('broken', 'main', 'w.toml', '[metadata\nname = 1\n');
    const version = (await draftOf(d)).version;
    const reply = await say(d, PEOPLE.dev, '/pull');
    expect(reply.ok).toBe(false);
    expect((await draftOf(d)).version).toBe(version);
  });
});
