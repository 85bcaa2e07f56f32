/**
 * The run page's live stream (server-sent events): the run and its journal are looked at every
 * `pollMs`, and whenever they changed (the run's revision, or a step recorded) an `update` event
 * carries the state, the node states and the timeline rows, already escaped and masked. The stream
 * ends (`end`) when the run is final, is gone, or the link expires; a comment every so often keeps
 * the connection from looking idle.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stateWord } from '../../commands/runs/run-text.js';
import { isFinal, type RunRecord, type StepRecord } from '../../runtime/run-store.js';
import { newNonce, securityHeaders } from './html.js';
import type { PageSources } from './run-data.js';
import { nodeStates } from './run-graph.js';
import { type LiveUpdate, timelineRows } from './run-timeline.js';

const DEFAULT_POLL_MS = 500;
const HEARTBEAT_MS = 10_000;

/** What changes when the run moves: its revision, and any step recorded, retried or finished. */
function fingerprint(run: RunRecord, steps: readonly StepRecord[]): string {
  return `${run.revision}|${steps.map((step) => `${step.key}:${step.state}:${step.attempt}`).join(',')}`;
}

export function liveUpdate(
  run: RunRecord,
  steps: readonly StepRecord[],
  now: Date,
  sources: PageSources,
): LiveUpdate {
  const mask = (text: string): string => sources.mask(run, text);
  return {
    state: run.state,
    stateText: stateWord(run),
    final: isFinal(run.state),
    nodes: nodeStates(run, steps),
    rows: timelineRows(run, steps, now, mask).value,
  };
}

interface Stream {
  readonly response: ServerResponse;
  readonly sources: PageSources;
  readonly runId: string;
  /** Unix seconds: the link's expiry, when the stream ends too. */
  readonly expiry: number;
  last: string;
  closed: boolean;
}

function send(stream: Stream, event: string, data: string): void {
  if (!stream.closed) stream.response.write(`event: ${event}\ndata: ${data}\n\n`);
}

function finish(stream: Stream): void {
  if (stream.closed) return;
  send(stream, 'end', '{}');
  stream.closed = true;
  stream.response.end();
}

/** One look at the run: sends an update when it changed; false when the stream is over. */
async function look(stream: Stream): Promise<boolean> {
  const now = (stream.sources.now ?? (() => new Date()))();
  if (now.getTime() >= stream.expiry * 1000) return false;
  const run = await stream.sources.runs.read(stream.runId);
  if (run === null) return false;
  const steps = await stream.sources.runs.steps(run.id);
  const print = fingerprint(run, steps);
  if (print !== stream.last) {
    stream.last = print;
    send(stream, 'update', JSON.stringify(liveUpdate(run, steps, now, stream.sources)));
  }
  return !isFinal(run.state);
}

function loop(stream: Stream, pollMs: number): void {
  if (stream.closed) return;
  look(stream)
    .then((going) => {
      if (going) setTimeout(() => loop(stream, pollMs), pollMs);
      else finish(stream);
    })
    .catch((error: unknown) => {
      stream.sources.logger.warn({ err: error, run: stream.runId }, 'the run page stream failed');
      finish(stream);
    });
}

/** Starts the stream; it runs until the run is final, the link expires or the client goes. */
export function streamRun(
  sources: PageSources,
  request: IncomingMessage,
  response: ServerResponse,
  runId: string,
  expiry: number,
): void {
  response.writeHead(200, {
    ...securityHeaders(newNonce()),
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.write('retry: 2000\n\n');
  const stream: Stream = { response, sources, runId, expiry, last: '', closed: false };
  const heartbeat = setInterval(() => {
    if (!stream.closed) response.write(': still here\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const stopping = (): void => finish(stream);
  const stop = (): void => {
    stream.closed = true;
    clearInterval(heartbeat);
    sources.stopping?.removeEventListener('abort', stopping);
  };
  request.on('close', stop);
  response.on('close', stop);
  if (sources.stopping?.aborted === true) {
    finish(stream);
    return;
  }
  sources.stopping?.addEventListener('abort', stopping, { once: true });
  loop(stream, sources.pollMs ?? DEFAULT_POLL_MS);
}
