/**
 * `aitws graph FILE [-o out.png|out.svg] [--run RUN --data-dir DIR]`: the workflow as a picture
 * (src/graph). With --run, each step is coloured by its state in that run (read from the data
 * directory's run store); without FILE, the run's own document is drawn.
 * Exit 0 drawn (problems, if any, are drawn and listed on stderr), 1 the file is not a workflow
 * (TOML syntax, limits) or the run is unknown, 2 usage or an unreadable file.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { inert } from '../document/inert-text.js';
import { parseDocument } from '../document/toml.js';
import type { AitwsDocument, Limits } from '../document/types.js';
import type { GraphOptions, NodeState } from '../graph/index.js';
import type { Output } from '../output.js';
import type { RunRecord } from '../runtime/run-store.js';
import { FileRunStore } from '../runtime/run-store-file.js';
import {
  describeParseError,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_UNREADABLE,
  readText,
  shownPath,
} from './document-files.js';
import { type Environment, stdio } from './subcommand.js';

export const GRAPH_USAGE = `  graph FILE [-o OUT.png|OUT.svg] [--run RUN [--data-dir DIR]]
                                  draw the workflow (default workflow.png); --run colours each
                                  step by its state in that run; exit 0 drawn, 1 invalid, 2 usage`;

const DEFAULT_OUT = 'workflow.png';

type Asked =
  | {
      readonly file: string | undefined;
      readonly out: string;
      readonly format: 'png' | 'svg';
      readonly run: string | undefined;
      readonly dataDir: string | undefined;
    }
  | { readonly problem: string };

function ask(args: readonly string[]): Asked {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { out: { type: 'string', short: 'o' }, run: { type: 'string' }, 'data-dir': { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length > 1) return { problem: 'give one workflow file' };
  const [file] = positionals;
  if (file === undefined && values.run === undefined)
    return { problem: 'give a workflow file, e.g. aitws graph ai.toml -o ai.png' };
  if (values['data-dir'] !== undefined && values.run === undefined)
    return { problem: '--data-dir goes with --run' };
  const out = values.out ?? DEFAULT_OUT;
  const extension = path.extname(out).toLowerCase();
  if (extension !== '.png' && extension !== '.svg')
    return { problem: `-o must end in .png or .svg (got ${JSON.stringify(inert(out))})` };
  return {
    file,
    out,
    format: extension === '.png' ? 'png' : 'svg',
    run: values.run,
    dataDir: values['data-dir'],
  };
}

/** The run's record and the states of its steps, or undefined (said on `output`) when unknown. */
async function readRun(
  id: string,
  dataDir: string,
  output: Output,
): Promise<{ run: RunRecord; states: ReadonlyMap<string, NodeState> } | undefined> {
  const store = new FileRunStore({ dataDir: path.resolve(dataDir) });
  try {
    // An id that could never be a run (a path, say) is unknown, not a storage error.
    const run = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await store.read(id) : null;
    if (run === null) {
      output.err(
        `aitws graph: there is no run ${JSON.stringify(inert(id.slice(0, 64)))} in ${shownPath(dataDir)}.`,
      );
      return undefined;
    }
    const { nodeStatesOf } = await import('../graph/index.js');
    return { run, states: nodeStatesOf(run, await store.steps(id)) };
  } finally {
    await store.close();
  }
}

async function readWorkflow(file: string, limits: Limits, output: Output): Promise<AitwsDocument | number> {
  const text = await readText(file, limits, output);
  if (text === undefined) return EXIT_UNREADABLE;
  try {
    return parseDocument(text, limits);
  } catch (error) {
    describeParseError(file, error, output);
    return EXIT_INVALID;
  }
}

/** `output` is for tests that run the command in-process; the CLI prints to stdout and stderr. */
export async function graphCommand(
  args: readonly string[],
  env: Environment,
  output: Output = stdio,
): Promise<number> {
  const asked = ask(args);
  if ('problem' in asked) {
    output.err(`aitws graph: ${asked.problem}\n\n${GRAPH_USAGE}`);
    return EXIT_UNREADABLE;
  }
  const config = loadConfig(env, ['limits', 'storage']);
  let document: AitwsDocument | undefined;
  let options: GraphOptions = {};
  if (asked.run !== undefined) {
    const found = await readRun(asked.run, asked.dataDir ?? config.dataDir, output);
    if (found === undefined) return EXIT_INVALID;
    const { run, states } = found;
    options = { states, title: `${run.workflow.name} · run ${run.id} (${run.state})` };
    document = run.document;
  }
  if (asked.file !== undefined) {
    const read = await readWorkflow(asked.file, config.limits, output);
    if (typeof read === 'number') return read;
    document = read;
  }
  if (document === undefined) return EXIT_UNREADABLE;
  // Loaded here, not at the top: `aitws help` loads every command and needs no layout engine.
  const { renderGraph } = await import('../graph/index.js');
  const picture = await renderGraph(document, asked.format, options);
  await writeFile(asked.out, picture.content);
  for (const problem of picture.problems) output.err(`warning: ${inert(problem)}`);
  const collapsed = picture.collapsed ? ', one node per stage' : '';
  output.out(
    `Wrote ${shownPath(asked.out)} (${asked.format.toUpperCase()}, ${picture.width}×${picture.height}${collapsed}).`,
  );
  return EXIT_OK;
}
