/**
 * The Git client against a real `git daemon` on loopback: a commit lands in the bare repository
 * with its message and content, an unchanged file makes no commit, a read sees someone else's
 * commit, and the remotes that must not be reached are refused before git runs, with no secret in
 * any message.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import { checkRepositoryPath, commitFile, readFileAtHead } from '../../src/gitops/git-sync.js';
import { checkRemote, maskUrl, maskValues } from '../../src/gitops/git-url.js';
import { type GitDaemon, startGitDaemon } from '../support/git-daemon.js';

let daemon: GitDaemon;

beforeAll(async () => {
  daemon = await startGitDaemon();
});

afterAll(async () => {
  await daemon?.stop();
});

async function caught(promise: Promise<unknown>): Promise<AitwsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AitwsError) return error;
    throw error;
  }
  throw new Error('expected an AitwsError');
}

describe('commitFile and readFileAtHead over git://127.0.0.1', () => {
  it('creates the branch in an empty repository, then commits on top of it', async () => {
    const repository = await daemon.createRepository('first');
    const target = { repository, branch: 'main', path: 'workflows/triage.toml' };
    const one = await commitFile(target, 'a = 1\n', 'aitws: Triage v1');
    expect(one.changed).toBe(true);
    expect((await daemon.gitIn('first', ['log', '--format=%s', '-1', 'main'])).trim()).toBe(
      'aitws: Triage v1',
    );
    expect(await daemon.gitIn('first', ['show', 'main:workflows/triage.toml'])).toBe('a = 1\n');
    expect((await daemon.gitIn('first', ['log', '--format=%an <%ae>', '-1', 'main'])).trim()).toBe(
      'aitws <aitws@localhost>',
    );

    const two = await commitFile(target, 'a = 2\n', 'aitws: Triage v2');
    expect(two.changed).toBe(true);
    expect((await daemon.gitIn('first', ['rev-parse', 'main'])).trim()).toBe(two.commit);
    expect((await daemon.gitIn('first', ['log', '--format=%s', 'main'])).trim().split('\n')).toEqual([
      'aitws: Triage v2',
      'aitws: Triage v1',
    ]);
  });

  it('makes no commit when the file already holds the content', async () => {
    const repository = await daemon.createRepository('same');
    const target = { repository, branch: 'main', path: 'workflow.toml' };
    const first = await commitFile(target, 'x = 1\n', 'one');
    const again = await commitFile(target, 'x = 1\n', 'two');
    expect(again).toEqual({ commit: first.commit, changed: false });
    expect((await daemon.gitIn('same', ['rev-list', '--count', 'main'])).trim()).toBe('1');
  });

  it("reads the file at the branch head, someone else's commit included", async () => {
    const repository = await daemon.createRepository('read');
    const target = { repository, branch: 'main', path: 'workflow.toml' };
    await commitFile(target, 'x = 1\n', 'one');
    await daemon.commitAsOther('read', 'main', 'workflow.toml', 'x = 42\n');
    const head = await readFileAtHead(target);
    expect(head.text).toBe('x = 42\n');
    expect(head.commit).toBe((await daemon.gitIn('read', ['rev-parse', 'main'])).trim());
  });

  it('says FILE_NOT_FOUND for a missing branch or file', async () => {
    const repository = await daemon.createRepository('missing');
    expect((await caught(readFileAtHead({ repository, branch: 'main', path: 'w.toml' }))).code).toBe(
      'FILE_NOT_FOUND',
    );
    await commitFile({ repository, branch: 'main', path: 'w.toml' }, 'x = 1\n', 'one');
    const error = await caught(readFileAtHead({ repository, branch: 'main', path: 'other.toml' }));
    expect(error.code).toBe('FILE_NOT_FOUND');
    expect(error.message).toContain('other.toml');
  });

  it('reports an unreachable repository without the credentials', async () => {
    const error = await caught(
      readFileAtHead({
        repository: `http://bob:hunter2-secret@127.0.0.1:${daemon.port}/nothing.git`,
        branch: 'main',
        path: 'w.toml',
      }),
    );
    expect(error.code).toBe('NOT_AVAILABLE');
    expect(JSON.stringify([error.message, error.hint, error.details])).not.toContain('hunter2');
    const token = await caught(
      commitFile(
        {
          repository: `http://127.0.0.1:${daemon.port}/x.git`,
          token: 'tok-123456',
          branch: 'main',
          path: 'w',
        },
        'x',
        'm',
      ),
    );
    expect(JSON.stringify([token.message, token.hint])).not.toContain('tok-123456');
  });
});

describe('credentials over http://127.0.0.1', () => {
  it('sends them as a Basic header, never in the URL, and keeps them out of the error', async () => {
    const seen: { url: string; authorization: string | undefined }[] = [];
    const server = createServer((request, response) => {
      seen.push({ url: request.url ?? '', authorization: request.headers.authorization });
      response.writeHead(403).end('no');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const error = await caught(
        readFileAtHead({
          repository: `http://ann:pa%3Ass-9x@127.0.0.1:${port}/r.git`,
          branch: 'main',
          path: 'w',
        }),
      );
      expect(error.code).toBe('NOT_AVAILABLE');
      expect(JSON.stringify([error.message, error.hint])).not.toMatch(/pa:ss-9x|pa%3Ass-9x/);
    } finally {
      server.close();
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]?.url).toBe('/r.git/info/refs?service=git-upload-pack');
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('ann:pa:ss-9x').toString('base64')}`);
  });
});

describe('which remotes are allowed', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-remote-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['git:// off loopback', 'git://example.com/repo.git'],
    ['http:// off loopback', 'http://10.0.0.5/repo.git'],
    ['ssh', 'ssh://git@example.com/repo.git'],
    ['ext::', 'ext::sh -c touch% /tmp/pwned'],
    ['scp-style', 'git@github.com:example/workflow.git'],
    ['file:// without an allowed dir', 'file:///tmp/repo.git'],
  ])('refuses %s', async (_label, url) => {
    const error = await caught(commitFile({ repository: url, branch: 'main', path: 'w.toml' }, 'x', 'm'));
    expect(error.code).toBe('CONFIG');
  });

  it('refuses a git:// host off loopback before connecting, and masks its credentials', () => {
    expect(() => checkRemote('git://user:s3cret-pass@example.com/r.git', undefined)).toThrow(/loopback/);
    try {
      checkRemote('ftp://user:s3cret-pass@example.com/r.git', undefined);
    } catch (error) {
      expect(String(error)).not.toContain('s3cret-pass');
    }
  });

  it('allows file:// only under the allowed directory', async () => {
    expect(checkRemote(`file://${dir}/r.git`, undefined, { allowedFileDir: dir }).url).toBe(
      `file://${dir}/r.git`,
    );
    const outside = await caught(
      commitFile({ repository: 'file:///etc/r.git', branch: 'main', path: 'w' }, 'x', 'm', {
        allowedFileDir: dir,
      }),
    );
    expect(outside.code).toBe('PATH_FORBIDDEN');
  });

  it('takes credentials out of the URL git is given', () => {
    const remote = checkRemote('https://ann:p%40ss@git.example.com/team/wf.git', undefined);
    expect(remote).toEqual({
      url: 'https://git.example.com/team/wf.git',
      protocol: 'https',
      username: 'ann',
      password: 'p@ss',
    });
    expect(checkRemote('https://git.example.com/wf.git', 'tok')).toMatchObject({
      username: 'x-access-token',
      password: 'tok',
    });
    expect(maskUrl('https://ann:p@ss@git.example.com/wf.git')).not.toContain('ann');
    expect(maskValues('fatal: p@ss and cCBzcw== leaked', ['p@ss', 'cCBzcw=='])).toBe(
      'fatal: **** and **** leaked',
    );
  });

  it.each(['../x', '/etc/passwd', '.git/config', 'a/../../b', 'dir/', ''])('refuses the path %j', (file) => {
    expect(() => checkRepositoryPath(file)).toThrow(AitwsError);
  });

  it.each([['main; rm'], ['-delete'], ['a..b'], ['x.lock']])('refuses the branch %j', async (branch) => {
    const repository = await daemon.createRepository(`branch-${Math.random().toString(36).slice(2)}`);
    const error = await caught(commitFile({ repository, branch, path: 'w.toml' }, 'x', 'm'));
    expect(error.code).toBe('CONFIG');
  });
});
