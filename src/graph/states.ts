/**
 * A run's facts as node states: each step's latest iteration, plus the run's position and state
 * for the step that has started but not finished.
 */
import type { RunRecord, StepRecord } from '../runtime/run-store.js';
import { stateKey } from './ids.js';
import type { NodeState } from './model-types.js';

interface Latest {
  readonly iteration: number;
  readonly step: StepRecord;
}

/** `stage/action#3` → `{ key: 'stage/action', iteration: 3 }`; undefined for a malformed key. */
export function splitStepKey(key: string): { key: string; iteration: number } | undefined {
  const match = /^(.*)#(\d+)$/.exec(key);
  if (match === null || match[1] === undefined || match[2] === undefined) return undefined;
  return { key: match[1], iteration: Number(match[2]) };
}

/** A step that started and has not finished: what the run is doing with it now. */
function startedState(run: RunRecord): NodeState {
  switch (run.state) {
    case 'waiting':
      return 'waiting';
    case 'queued':
    case 'running':
      return 'running';
    case 'succeeded':
      return 'done';
    default:
      return 'failed';
  }
}

function stepState(step: StepRecord, run: RunRecord): NodeState {
  switch (step.state) {
    case 'succeeded':
      return 'done';
    case 'skipped':
      return 'skipped';
    case 'failed':
      return 'failed';
    default:
      return startedState(run);
  }
}

/**
 * Node states keyed `stage/action` (journal encoding; see ids.ts stateKey): the latest iteration
 * of each step wins; the run's position, when no step of it is journaled yet, is running (or
 * waiting). Steps not in the map have not been reached ('pending').
 */
export function nodeStatesOf(run: RunRecord, steps: readonly StepRecord[]): Map<string, NodeState> {
  const latest = new Map<string, Latest>();
  for (const step of steps) {
    const split = splitStepKey(step.key);
    if (split === undefined) continue;
    const seen = latest.get(split.key);
    if (seen === undefined || split.iteration >= seen.iteration)
      latest.set(split.key, { iteration: split.iteration, step });
  }
  const states = new Map<string, NodeState>();
  for (const [key, { step }] of latest) states.set(key, stepState(step, run));
  const position = run.position;
  if (position?.action !== undefined && (run.state === 'running' || run.state === 'waiting')) {
    const key = stateKey(position.stage, position.action);
    const known = states.get(key);
    if (known === undefined || known === 'running' || known === 'waiting')
      states.set(key, run.state === 'waiting' ? 'waiting' : 'running');
  }
  return states;
}
