/**
 * `aitws run FILE|REF [--input k=v ...] [--wait] [--key PUB] [--policy FILE] [--plain-http]`: runs a
 * workflow without a chat, through the same runtime as the console (embedded on the data dir) or
 * the workers (REDIS_URL). A REF (registry reference or `oci-layout:DIR[:TAG]`) is verified first,
 * exactly as `aitws verify` does, and only its verified TOML runs.
 *
 * Exit: 0 succeeded (or queued, with REDIS_URL and no --wait), 1 failed, cancelled, timed out or
 * not verified, 2 usage or refused before running (pre-flight), 3 waiting on people (embedded: an
 * approval, an event or a long delay; the console on the same data dir goes on with it).
 */
import { stat } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { contentHash } from '../access/content-hash.js';
import { buildRuntime, type RuntimeSetup } from '../app-runtime.js';
import { type ConfigPart, loadConfig } from '../config.js';
import { parseDocument } from '../document/index.js';
import { inert } from '../document/inert-text.js';
import { SECRET_REF } from '../document/sections-setup.js';
import { isTable } from '../document/tree.js';
import type { AitwsDocument, Limits } from '../document/types.js';
import { AitwsError } from '../errors.js';
import { createLogger } from '../logging.js';
import { LAYOUT_PREFIX } from '../oci/verify-source.js';
import type { Output } from '../output.js';
import { plannedActionCount } from '../runtime/plan.js';
import type { JsonObject, RunRecord } from '../runtime/run-store.js';
import type { ChannelKey } from '../session/port.js';
import { describeParseError, EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, readText } from './document-files.js';
import { parseInputs } from './run-inputs.js';
import { CliRunChat, followRun, outcomeLine } from './run-progress.js';
import { type Environment, stdio } from './subcommand.js';
import { guarded, verifyAndReport } from './verify-command.js';

export const RUN_USAGE = `  run FILE|REF [--input k=v ...] [--wait] [--key PUB] [--policy FILE] [--plain-http]
          [--credentials '${SECRET_REF}']
          [--user NAME] [--data-dir DIR]
                                  run a workflow file, or a verified artifact (REF needs --key),
                                  without a chat; exit 0 succeeded, 1 failed, 2 refused,
                                  3 waiting on people (/approve RUN in the console)`;

/** A run waits for something this process cannot give it (an approver, an event, a long delay). */
export const EXIT_WAITING = 3;

const PARTS: readonly ConfigPart[] = ['storage', 'limits', 'log', 'assistant', 'runtime'];

/** The names the console accepts for --user (src/cli/console-command.ts), so /grant can name them. */
const USER_NAME = /^[\p{L}\p{N}_.-]{1,64}$/u;

const OPTIONS = {
  input: { type: 'string', multiple: true },
  wait: { type: 'boolean', default: false },
  key: { type: 'string' },
  policy: { type: 'string' },
  'plain-http': { type: 'boolean', default: false },
  credentials: { type: 'string' },
  user: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

interface Workflow {
  readonly document: AitwsDocument;
  readonly name: string;
  /** What ran, for the first line: the file, or the reference and its digest. */
  readonly from: string;
}

function workflowName(document: AitwsDocument): string {
  const name = isTable(document.metadata) ? document.metadata.name : undefined;
  return typeof name === 'string' && name !== '' ? name : 'workflow';
}

/**
 * The console's channel `cli:NAME` in its `local` workspace, so `npm start -- --channel cli:NAME`
 * on the same data dir lists these runs (/jobs) and can approve them (/approve RUN).
 */
export function runChannel(name: string): ChannelKey {
  return { platform: 'console', workspace: 'local', channel: `cli:${name.slice(0, 80)}` };
}

async function isFile(target: string): Promise<boolean> {
  if (target.startsWith(LAYOUT_PREFIX)) return false;
  try {
    return (await stat(target)).isFile();
  } catch {
    return false;
  }
}

function parsed(label: string, text: string, limits: Limits, io: Output): AitwsDocument | undefined {
  try {
    return parseDocument(text, limits);
  } catch (error) {
    describeParseError(label, error, io);
    return undefined;
  }
}

async function fromFile(file: string, limits: Limits, io: Output): Promise<Workflow | number> {
  const text = await readText(file, limits, io);
  const document = text === undefined ? undefined : parsed(file, text, limits, io);
  if (document === undefined) return EXIT_UNREADABLE;
  return { document, name: workflowName(document), from: inert(file) };
}

async function fromReference(
  ref: string,
  values: Values,
  env: Environment,
  io: Output,
  limits: Limits,
): Promise<Workflow | number> {
  if (values.key === undefined) {
    io.err(`aitws run: ${inert(ref)} is not a file, so it is an artifact: give --key PUB to verify it.`);
    return EXIT_UNREADABLE;
  }
  const request = {
    ref,
    key: values.key,
    plainHttp: values['plain-http'],
    ...(values.credentials === undefined ? {} : { credentials: values.credentials }),
  };
  const result = await verifyAndReport(
    values.policy === undefined ? request : { ...request, policy: values.policy },
    env,
    io,
  );
  if (!result.ok || result.toml === undefined) {
    io.err(`aitws run: ${inert(ref)} did not verify; nothing was run.`);
    return EXIT_INVALID;
  }
  const from = `${inert(ref)} (${result.digest ?? 'verified'})`;
  io.out(`Verified ${from}.`);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(result.toml);
  const document = parsed(ref, text, limits, io);
  if (document === undefined) return EXIT_UNREADABLE;
  return { document, name: workflowName(document), from };
}

function shellWord(text: string): string {
  return /^[\w.:/-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Embedded, a waiting run goes on in the console (or `aitws serve`) on the same data dir. */
function waitingLines(run: RunRecord, dataDir: string | undefined): string[] {
  const console = `npm start -- --channel ${shellWord(run.channel.channel)}${
    dataDir === undefined ? '' : ` --data-dir ${shellWord(dataDir)}`
  }`;
  const waiting = run.waitingFor;
  if (waiting?.kind === 'approval')
    return [
      `Run ${run.id} waits for an approval (${inert(waiting.key)}).`,
      `To decide, open the console on this data dir: ${console}`,
      `then type /approve ${run.id} (or /reject ${run.id} REASON); approvers need the step's role (/grant).`,
    ];
  if (waiting?.kind === 'event')
    return [
      `Run ${run.id} waits for the event ${inert(waiting.key)}.`,
      `Send it from the console on this data dir (${console}) with /emit, or through aitws serve.`,
    ];
  return [
    `Run ${run.id} waits${waiting?.until === undefined ? '' : ` until ${waiting.until}`}.`,
    `The console on this data dir (${console}) or aitws serve goes on with it; /status ${run.id} follows it.`,
  ];
}

interface Launch {
  readonly workflow: Workflow;
  readonly inputs: JsonObject;
  readonly user: string;
  readonly wait: boolean;
  readonly dataDir: string | undefined;
}

async function start(runs: RuntimeSetup, launch: Launch, io: Output): Promise<RunRecord | number> {
  const { document, name } = launch.workflow;
  try {
    return await runs.runtime.start({
      channel: runChannel(name),
      document,
      workflow: { name, version: 0, hash: contentHash(document) },
      inputs: launch.inputs,
      startedBy: { id: launch.user, name: launch.user },
    });
  } catch (error) {
    if (!(error instanceof AitwsError) || error.code !== 'PREFLIGHT') throw error;
    io.err(`aitws run: ${error.message}`);
    for (const detail of error.details) io.err(`  ${inert(detail)}`);
    io.err(
      `  Fix the workflow, then try again; aitws validate --strict ${launch.workflow.from} shows document problems.`,
    );
    return EXIT_UNREADABLE;
  }
}

async function startAndFollow(runs: RuntimeSetup, launch: Launch, io: Output): Promise<number> {
  const embedded = runs.kind === 'file';
  // Embedded, nobody else works on the run: this process does, so it always waits for it.
  if (embedded) await runs.work();
  const run = await start(runs, launch, io);
  if (typeof run === 'number') return run;
  io.out(`Run ${run.id} queued: ${inert(launch.workflow.name)} from ${launch.workflow.from}.`);
  if (!embedded && !launch.wait) {
    io.out(`A worker (aitws worker on this REDIS_URL) runs it; aitws run --wait follows a run to its end.`);
    return EXIT_OK;
  }
  if (!embedded) io.out('Following it while a worker (aitws worker on this REDIS_URL) runs it.');
  const store = runs.runtime.store;
  const last = await followRun(store, run.id, io, embedded ? { settled: () => runs.settled() } : {});
  if (last.state === 'waiting') {
    for (const line of waitingLines(last, launch.dataDir)) io.out(line);
    return EXIT_WAITING;
  }
  io.out(await outcomeLine(store, last, plannedActionCount(last.document)));
  return last.state === 'succeeded' ? EXIT_OK : EXIT_INVALID;
}

export async function runCommand(
  args: readonly string[],
  env: Environment,
  io: Output = stdio,
): Promise<number> {
  return guarded('run', io, async () => {
    const { values, positionals } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
    const [target] = positionals;
    if (positionals.length !== 1 || target === undefined) {
      io.err(
        `aitws run: give one workflow file or artifact reference, e.g. aitws run ai.toml\n\n${RUN_USAGE}`,
      );
      return EXIT_UNREADABLE;
    }
    const user = values.user ?? os.userInfo().username;
    if (!USER_NAME.test(user))
      throw new AitwsError('USAGE', `--user "${inert(user.slice(0, 64))}" is not a user name.`, {
        hint: 'Use letters, digits, ".", "_" and "-" (as the console does).',
      });
    const inputs = parseInputs(values.input ?? []);
    const config = loadConfig(env, PARTS);
    const file = await isFile(target);
    if (file && values.key !== undefined)
      throw new AitwsError('USAGE', `${inert(target)} is a file: --key verifies artifacts, not files.`, {
        hint: 'Run the file without --key, or package it (aitws package) and run the artifact.',
      });
    const workflow = file
      ? await fromFile(target, config.limits, io)
      : await fromReference(target, values, env, io, config.limits);
    if (typeof workflow === 'number') return workflow;
    const logger = createLogger({ level: config.logLevel ?? 'warn' });
    const dataDir = values['data-dir'];
    const runs = await buildRuntime({ config, logger, ...(dataDir === undefined ? {} : { dataDir }) });
    runs.chat.register('console', new CliRunChat(io));
    try {
      return await startAndFollow(runs, { workflow, inputs, user, wait: values.wait, dataDir }, io);
    } finally {
      await runs.close();
    }
  });
}
