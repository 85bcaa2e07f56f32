/**
 * `/graph [RUN] [format=png|svg]` (issue #19): the workflow as a picture — stages in order with
 * their actions, branches, parallel groups, triggers and handlers, approval and AI steps marked,
 * structural problems drawn in red. With a run, the version that run executes, each node coloured
 * by its state. Chat gets the image; the console writes it beside the user's files.
 */
import type { AitwsDocument } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import { type NodeState, nodeStatesOf, type RenderedGraph, renderGraph } from '../../graph/index.js';
import { documentTitle } from '../draft.js';
import { privateAnswer, type Reply, success } from '../reply.js';
import { runtimeOf } from '../runs/runnable.js';
import type { CommandContext, CommandDefinition } from '../types.js';
import { optionalString } from './params.js';

const FORMATS = ['png', 'svg'] as const;
type Format = (typeof FORMATS)[number];

interface Subject {
  readonly document: AitwsDocument;
  /** `workflow` or `run-<id>`: the file's name without extension. */
  readonly name: string;
  readonly caption: string;
  readonly states?: ReadonlyMap<string, NodeState>;
}

function formatOf(context: CommandContext): Format {
  const format = optionalString(context.command.params, 'format') ?? 'png';
  if ((FORMATS as readonly string[]).includes(format)) return format as Format;
  throw new AitwsError('USAGE', `format=${format.slice(0, 20)} is not a picture format here.`, {
    hint: 'Write format=png (the default) or format=svg.',
  });
}

/** `/graph RUN` or `/graph run=RUN`, not both. */
function runIdOf(context: CommandContext): string | undefined {
  const [word] = context.command.positionals;
  const param = optionalString(context.command.params, 'run');
  if (word !== undefined && param !== undefined)
    throw new AitwsError('USAGE', 'Name the run once: /graph RUN or /graph run=RUN.');
  return word ?? param;
}

async function subjectOf(context: CommandContext): Promise<Subject> {
  const runId = runIdOf(context);
  if (runId !== undefined) {
    const runtime = runtimeOf(context);
    const run = await runtime.find(context.invocation.channel, runId);
    const steps = await runtime.store.steps(run.id);
    const { name, version } = run.workflow;
    return {
      document: run.document,
      name: `run-${run.id}`,
      caption: `Run ${run.id} of ${name} v${version} (${run.state})`,
      states: nodeStatesOf(run, steps),
    };
  }
  const session = await context.drafts.read(context.invocation.channel);
  if (session.document === null)
    throw new AitwsError('NO_DRAFT', 'There is no workflow in this channel to draw.', {
      hint: 'Start one with /create or /load.',
    });
  return {
    document: session.document,
    name: 'workflow',
    caption: `"${documentTitle(session.document)}" v${session.version}`,
  };
}

function describe(subject: Subject, graph: RenderedGraph): string {
  const collapsed = graph.collapsed ? ', each stage collapsed to one box (too many actions to read)' : '';
  return `${subject.caption}: ${graph.width}×${graph.height} px${collapsed}`;
}

function replyOf(subject: Subject, graph: RenderedGraph, written: string | undefined): Reply {
  const data = {
    width: graph.width,
    height: graph.height,
    collapsed: graph.collapsed,
    problems: graph.problems,
  };
  const warnings = graph.problems.map((problem) => `In the picture: ${problem}`);
  if (written !== undefined)
    return privateAnswer(`Wrote ${written} · ${describe(subject, graph)}`, {
      warnings,
      data: { ...data, file: written },
    });
  return success(describe(subject, graph), {
    warnings,
    attachments: [
      { filename: `${subject.name}.${graph.format}`, contentType: graph.contentType, content: graph.content },
    ],
    data,
  });
}

export const graphCommand: CommandDefinition = {
  name: 'graph',
  group: 'draft',
  privilege: 'read',
  summary: 'Draw the workflow (or a run, coloured by state) as a picture',
  usage: '/graph [run=RUN] [format=png|svg]',
  description:
    'Draws the draft as a graph: stages in order with their actions, branches with their true/false edges, parallel groups, triggers and handlers, approval and AI steps marked, and structural problems (an unreachable stage, a branch to nowhere) in red. With run=RUN (or the run id alone), draws the version that run executes with each action coloured by its state (done, running, waiting, failed, skipped). Very large workflows are collapsed to one box per stage. In chat the picture is posted; the console writes workflow.png (or run-RUN.png) in the current directory.',
  accepts: { params: ['run', 'format'], words: 1 },
  examples: ['/graph', '/graph run=r7k2m9qxa4b', '/graph format=svg'],
  async run(context) {
    const format = formatOf(context);
    const subject = await subjectOf(context);
    const graph = await renderGraph(subject.document, format, {
      title: subject.caption,
      ...(subject.states === undefined ? {} : { states: subject.states }),
    });
    const written =
      context.files === undefined
        ? undefined
        : await context.files.write(`${subject.name}.${format}`, graph.content, { replace: true });
    return replyOf(subject, graph, written);
  },
};
