/**
 * The executor port: what runs one action of a given `type` (`transform`, `http.request`, a
 * plugin's type). The engine (src/runtime/engine.ts) owns ordering, conditions, timeouts, retries
 * and the journal; an executor only does its one thing with the parameters it is given and says
 * what came out, or that the step must wait.
 *
 * At-least-once: a step interrupted by a crash runs again with the same `idempotencyKey`, so an
 * executor with side effects passes it on (http.request sends it as `Idempotency-Key`). An
 * executor that waits (human.approval, wait) is called again each time the run is woken, and
 * keeps what it must remember between calls in its step memo.
 */
import type { z } from 'zod';
import type { AitwsDocument, TomlTable } from '../document/types.js';
import type { Logger } from '../logging.js';
import type { ChannelKey } from '../session/port.js';
import type { JsonObject, JsonValue, RunActor, StepMemo, WaitingFor, WorkflowRef } from './run-store.js';
import type { RuntimeContext } from './runtime-context.js';

export interface ActionOutcomeDone {
  readonly kind: 'done';
  readonly output: JsonValue;
}

/**
 * The step cannot finish yet: the run waits (durably) until `until` or until something wakes it
 * (a vote, an event); then the executor is called again for the same step.
 */
export interface ActionOutcomeWait {
  readonly kind: 'wait';
  readonly waitingFor: Omit<WaitingFor, 'key'>;
}

export type ActionOutcome = ActionOutcomeDone | ActionOutcomeWait;

/** Where a chat message goes: the run's channel, or a `[[notifications]]` entry by name. */
export interface NotifyRequest {
  readonly text: string;
  /** A `[[notifications]]` name; absent: the run's channel. */
  readonly target?: string;
  /** Buttons to show (human.approval); their ids are opaque. */
  readonly buttons?: readonly {
    readonly id: string;
    readonly label: string;
    readonly style?: 'primary' | 'danger';
  }[];
}

/** A message we posted, to edit later (an approval's decision replaces its buttons). */
export interface PostedMessage {
  readonly channel: ChannelKey;
  /** The platform's message id (Slack ts, Discord message id, a console sequence number). */
  readonly messageId: string;
}

export interface ActionContext {
  readonly runId: string;
  readonly channel: ChannelKey;
  readonly document: AitwsDocument;
  readonly stage: string;
  readonly action: string;
  /** `stage/action#iteration`. */
  readonly stepKey: string;
  /** The same on every attempt of this step in this run; pass it to side effects. */
  readonly idempotencyKey: string;
  /** 1 on the first attempt of the step. */
  readonly attempt: number;
  readonly startedBy: RunActor;
  /** What templates and conditions read: inputs, finished steps' outputs, run facts. */
  readonly runtime: RuntimeContext;
  /** Aborted on cancel, on the action's timeout and at the run's deadline. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  now(): Date;
  /** The value of `${secret:NAME}`; throws SECRET_MISSING (with the name) when it is not configured. */
  secret(name: string): string;
  /** Posts to chat through whichever adapter owns the run's channel. */
  notify(request: NotifyRequest): Promise<PostedMessage | undefined>;
  /** Replaces a message posted by notify (text, buttons removed unless given). */
  updateMessage(message: PostedMessage, request: NotifyRequest): Promise<void>;
  /** Raises a runtime event (`emit`): `[[events]]` entries of that type fire their triggers. */
  emit(event: string, data: JsonObject): Promise<void>;
  /** This step's memo (see RunStore.readStepMemo). */
  readMemo(): Promise<StepMemo | null>;
  /** Compare-and-set on this step's memo; false when someone else wrote first. */
  writeMemo(expectedRevision: number, value: JsonObject): Promise<boolean>;
  /** The workflow version the run executes (AI steps keep telemetry and feedback per workflow). */
  readonly workflow: WorkflowRef;
  /**
   * Any memo of this run by its full key, for executors that keep more than one record (an AI
   * step's call journal, see src/runtime/ai/record.ts) or read the run's own (`::replay`).
   */
  readRunMemo(key: string): Promise<StepMemo | null>;
  writeRunMemo(key: string, expectedRevision: number, value: JsonObject): Promise<boolean>;
  /** A memo of another run, read only: a replay answers from the original run's call journal. */
  readMemoOf(runId: string, key: string): Promise<StepMemo | null>;
}

/** A problem an executor finds in an action's parameters before anything runs. */
export interface ParameterProblem {
  /** `with.service`, `with.set.total`. */
  readonly field: string;
  readonly message: string;
}

export interface Executor<Params = unknown> {
  readonly type: string;
  /** One line for /help and the refusal that lists the known types. */
  readonly summary: string;
  /**
   * Parses the action's `with` table after the engine rendered its templates (a string that is
   * one placeholder becomes the value itself, e.g. a table). `${secret:NAME}` is left as written:
   * an executor that sends it somewhere resolves it with `context.secret` at the last moment.
   */
  readonly params: z.ZodType<Params>;
  /**
   * Pre-flight checks on the `with` table as written (templates unrendered, so skip a value that
   * holds one): required parameters, a service that is declared, a notification target. Optional.
   */
  check?(parameters: ActionParameters, document: AitwsDocument): readonly ParameterProblem[];
  run(context: ActionContext, params: Params): Promise<ActionOutcome>;
  /**
   * Deterministic and without effects outside the run (transform): its first attempt writes no
   * 'started' record, only the result, since running it again after a crash changes nothing.
   * Executors with effects leave it out, so a crash mid-action is seen and the action runs again
   * with the same idempotency key.
   */
  readonly pure?: boolean;
}

/** The executors the runtime knows, by type. */
export interface ExecutorRegistry {
  get(type: string): Executor | undefined;
  types(): readonly string[];
}

export function executorRegistry(executors: readonly Executor[]): ExecutorRegistry {
  const byType = new Map<string, Executor>();
  for (const executor of executors) byType.set(executor.type, executor);
  return {
    get: (type) => byType.get(type),
    types: () => [...byType.keys()].sort(),
  };
}

/** An action's `with` table as the document holds it. */
export type ActionParameters = TomlTable;
