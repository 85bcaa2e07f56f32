/**
 * A small Git client over the `git` binary for the GitOps handoff (issue #18): commit one file to a
 * branch, and read one file at a branch's head. Each operation works in its own temporary
 * directory, fetches only the branch head (depth 1) and removes the directory afterwards, so no
 * clone lingers and two channels never share one.
 *
 * git runs without a shell, with a timeout, without the user's or the system's Git configuration,
 * with prompts off and only the remote's protocol allowed. Its messages are masked before they go
 * into an error: they can echo a URL, and a URL can hold a token.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cutForMessage } from '../document/redact.js';
import { AitwsError } from '../errors.js';
import { checkRemote, maskValues, type Remote, type RemoteOptions } from './git-url.js';

export interface GitTarget {
  /** The repository URL, `${secret:…}` references already resolved. */
  readonly repository: string;
  readonly branch: string;
  /** The file in the repository, relative to its root. */
  readonly path: string;
  /** A token sent as the password (resolved), when the URL carries none. */
  readonly token?: string;
}

export interface GitOptions extends RemoteOptions {
  /** Per git command; default 30 s. */
  readonly timeoutMs?: number;
  /** Default `git` on PATH. */
  readonly gitBinary?: string;
}

export interface CommitResult {
  /** The commit at the branch head afterwards. */
  readonly commit: string;
  /** False when the file already held this content: nothing was committed. */
  readonly changed: boolean;
}

export interface FileAtHead {
  readonly text: string;
  readonly commit: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** A workflow file is bounded by the document limit; this only stops a runaway output. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const AUTHOR = ['-c', 'user.name=aitws', '-c', 'user.email=aitws@localhost'];

/** One operation: the remote, its temp dir, and how git is run there. */
interface Session {
  readonly remote: Remote;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly options: GitOptions;
  readonly secrets: readonly string[];
}

function checkBranch(branch: string): void {
  const bad =
    !/^[A-Za-z0-9._/-]{1,200}$/.test(branch) ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.lock') ||
    branch.includes('..') ||
    branch.includes('//');
  if (bad)
    throw new AitwsError(
      'CONFIG',
      `${JSON.stringify(cutForMessage(branch))} is not a branch name Git accepts.`,
      {
        hint: 'Use a name such as main or workflows/triage.',
      },
    );
}

/** A relative path inside the work tree, never into .git. */
export function checkRepositoryPath(file: string): string {
  const normal = path.posix.normalize(file);
  const parts = normal.split('/');
  const bad =
    file === '' ||
    file.includes('\\') ||
    file.includes('\0') ||
    path.posix.isAbsolute(normal) ||
    parts.some((part) => part === '..' || part === '.' || part.toLowerCase() === '.git') ||
    normal.endsWith('/');
  if (bad)
    throw new AitwsError(
      'CONFIG',
      `${JSON.stringify(cutForMessage(file))} is not a file path in a repository.`,
      {
        hint: 'Give a relative path such as workflow.toml or workflows/triage.toml.',
      },
    );
  return normal;
}

function environment(remote: Remote, dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'true',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: remote.protocol,
  };
  if (remote.password === undefined) return env;
  const basic = Buffer.from(`${remote.username ?? ''}:${remote.password}`).toString('base64');
  // Configuration through the environment (Git ≥ 2.31): the header is never in argv.
  return {
    ...env,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}

async function open(target: GitTarget, options: GitOptions): Promise<Session> {
  const remote = checkRemote(target.repository, target.token, options);
  checkBranch(target.branch);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-git-'));
  const secrets = [remote.password, remote.username, target.token].filter(
    (value): value is string => value !== undefined,
  );
  if (remote.password !== undefined)
    secrets.push(Buffer.from(`${remote.username ?? ''}:${remote.password}`).toString('base64'));
  return { remote, dir, env: environment(remote, dir), options, secrets };
}

interface GitOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function git(session: Session, args: readonly string[]): Promise<GitOutput> {
  const timeout = session.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = execFile(
      session.options.gitBinary ?? 'git',
      [...args],
      { cwd: session.dir, env: session.env, timeout, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ code: 0, stdout, stderr });
        if (error.killed === true || error.signal === 'SIGTERM')
          return reject(
            new AitwsError('TIMED_OUT', `git ${args[0] ?? ''} took longer than ${timeout} ms.`, {
              retryable: true,
              hint: 'The repository may be slow or unreachable; try again later.',
            }),
          );
        if (typeof error.code === 'number') return resolve({ code: error.code, stdout, stderr });
        reject(
          new AitwsError('NOT_AVAILABLE', 'git cannot be run on this machine.', { hint: 'Install git.' }),
        );
      },
    );
    child.stdin?.end();
  });
}

function failure(session: Session, what: string, output: GitOutput): AitwsError {
  const lines = output.stderr.split('\n').filter((line) => line.trim() !== '');
  const said = maskValues(lines.slice(-2).join(' ').trim(), session.secrets);
  const conflict = /\[rejected\]|non-fast-forward|fetch first/.test(output.stderr);
  if (conflict)
    return new AitwsError('CONFLICT', `The branch moved while ${what}.`, {
      retryable: true,
      hint: 'Someone pushed meanwhile; try again.',
    });
  return new AitwsError('NOT_AVAILABLE', `git failed while ${what}: ${cutForMessage(said, 300)}`, {
    retryable: true,
    hint: 'Check the repository URL, the branch and the credentials.',
  });
}

async function must(session: Session, what: string, args: readonly string[]): Promise<GitOutput> {
  const output = await git(session, args);
  if (output.code !== 0) throw failure(session, what, output);
  return output;
}

/** Whether the branch exists on the remote (an empty repository has none). */
async function branchExists(session: Session, branch: string): Promise<boolean> {
  const out = await must(session, 'listing the branches', [
    'ls-remote',
    '--heads',
    '--',
    session.remote.url,
    `refs/heads/${branch}`,
  ]);
  return out.stdout.trim() !== '';
}

/** Fetches the branch head into FETCH_HEAD; false when the branch does not exist. */
async function fetchHead(session: Session, branch: string): Promise<boolean> {
  await must(session, 'preparing a work directory', ['init', '-q', '.']);
  if (!(await branchExists(session, branch))) return false;
  await must(session, 'fetching the branch', [
    'fetch',
    '-q',
    '--depth',
    '1',
    '--no-tags',
    '--',
    session.remote.url,
    `refs/heads/${branch}`,
  ]);
  return true;
}

async function withSession<T>(
  target: GitTarget,
  options: GitOptions,
  work: (session: Session) => Promise<T>,
): Promise<T> {
  const session = await open(target, options);
  try {
    return await work(session);
  } finally {
    await rm(session.dir, { recursive: true, force: true });
  }
}

/** Commits `content` as the target file on the branch (creating the branch when absent) and pushes. */
export function commitFile(
  target: GitTarget,
  content: string,
  message: string,
  options: GitOptions = {},
): Promise<CommitResult> {
  const file = checkRepositoryPath(target.path);
  return withSession(target, options, async (session) => {
    const exists = await fetchHead(session, target.branch);
    if (exists) await must(session, 'checking out the branch', ['checkout', '-q', '--detach', 'FETCH_HEAD']);
    await must(session, 'preparing the branch', ['checkout', '-q', '-B', 'aitws-push']);
    await writeInTree(session.dir, file, content);
    await must(session, 'staging the file', ['add', '--', file]);
    const staged = await git(session, ['diff', '--cached', '--quiet']);
    if (exists && staged.code === 0)
      return {
        commit: (await must(session, 'reading the head', ['rev-parse', 'HEAD'])).stdout.trim(),
        changed: false,
      };
    await must(session, 'committing', [...AUTHOR, 'commit', '-q', '--no-verify', '-m', message]);
    await must(session, 'pushing', [
      'push',
      '-q',
      '--',
      session.remote.url,
      `HEAD:refs/heads/${target.branch}`,
    ]);
    return {
      commit: (await must(session, 'reading the head', ['rev-parse', 'HEAD'])).stdout.trim(),
      changed: true,
    };
  });
}

async function writeInTree(dir: string, file: string, content: string): Promise<void> {
  const full = path.join(dir, ...file.split('/'));
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, content, 'utf8');
}

/** The target file at the branch head; FILE_NOT_FOUND when the branch or the file is not there. */
export function readFileAtHead(target: GitTarget, options: GitOptions = {}): Promise<FileAtHead> {
  const file = checkRepositoryPath(target.path);
  return withSession(target, options, async (session) => {
    if (!(await fetchHead(session, target.branch)))
      throw new AitwsError('FILE_NOT_FOUND', `The repository has no branch ${target.branch}.`, {
        hint: '/push commits the approved version there first.',
      });
    const shown = await git(session, ['show', `FETCH_HEAD:${file}`]);
    if (shown.code !== 0)
      throw new AitwsError('FILE_NOT_FOUND', `${file} is not on branch ${target.branch} of the repository.`, {
        hint: 'Check [version_control] path, or /push a version there first.',
      });
    const commit = (await must(session, 'reading the head', ['rev-parse', 'FETCH_HEAD'])).stdout.trim();
    return { text: shown.stdout, commit };
  });
}
