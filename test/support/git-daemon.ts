/**
 * A real Git server for tests: `git daemon` on a free loopback port serving bare repositories from
 * a temp dir, receive-pack enabled so pushes work. Killed by stop(), or when the test process exits.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { closedPort } from './ports.js';

const run = promisify(execFile);
const SETPRIV = '/usr/bin/setpriv';
const PDEATHSIG = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'SIGKILL'] : [];
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
};

export interface GitDaemon {
  readonly port: number;
  readonly base: string;
  /** `git://127.0.0.1:PORT/NAME.git` of a new empty bare repository. */
  createRepository(name: string): Promise<string>;
  /** git --git-dir=<bare repo> ARGS, its stdout. */
  gitIn(name: string, args: readonly string[]): Promise<string>;
  /** Commits `content` as `file` on `branch` as someone else would, through a clone. */
  commitAsOther(name: string, branch: string, file: string, content: string): Promise<void>;
  stop(): Promise<void>;
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`git daemon exited with ${child.exitCode}`);
    if (await accepting(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('git daemon did not start');
}

export async function startGitDaemon(): Promise<GitDaemon> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'aitws-gitd-'));
  const port = await closedPort();
  const args = [
    'git',
    'daemon',
    '--reuseaddr',
    `--base-path=${base}`,
    '--export-all',
    '--enable=receive-pack',
    `--port=${port}`,
    '--listen=127.0.0.1',
    base,
  ];
  const [program = 'git', ...rest] = [...PDEATHSIG, ...args];
  const child = spawn(program, rest, { stdio: 'ignore', env: GIT_ENV });
  running.add(child);
  await waitFor(port, child);
  const git = async (args: readonly string[], cwd = base): Promise<string> =>
    (await run('git', [...args], { cwd, env: GIT_ENV })).stdout;
  return {
    port,
    base,
    async createRepository(name) {
      await git(['init', '-q', '--bare', '--initial-branch=main', path.join(base, `${name}.git`)]);
      return `git://127.0.0.1:${port}/${name}.git`;
    },
    gitIn: (name, args) => git([`--git-dir=${path.join(base, `${name}.git`)}`, ...args]),
    async commitAsOther(name, branch, file, content) {
      const work = await mkdtemp(path.join(os.tmpdir(), 'aitws-other-'));
      try {
        await git(['clone', '-q', '--branch', branch, path.join(base, `${name}.git`), work]);
        await writeFile(path.join(work, file), content);
        await git(['add', '--', file], work);
        await git(
          ['-c', 'user.name=Other', '-c', 'user.email=o@x', 'commit', '-q', '-m', 'edit by hand'],
          work,
        );
        await git(['push', '-q', 'origin', `HEAD:refs/heads/${branch}`], work);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    async stop() {
      running.delete(child);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}
