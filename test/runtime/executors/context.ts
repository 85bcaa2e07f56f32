/**
 * A real ActionContext for executor tests: a run created in a MemoryRunStore (memos are the
 * store's own CAS), chat and events recorded, secrets from a map, a clock the test moves, and a
 * logger that keeps every line so a test can look for leaked secrets.
 *
 *   const harness = await createActionHarness({ document, secrets: { TOKEN: 's3cret' } });
 *   const outcome = await executor.run(harness.context, params);
 *   harness.clock.advance(30_000);
 *   const again = await executor.run(harness.wake(), params);   // the same step, called again
 */
import type { AitwsDocument } from '../../../src/document/types.js';
import { AitwsError } from '../../../src/errors.js';
import type { Logger } from '../../../src/logging.js';
import type { ActionContext, NotifyRequest, PostedMessage } from '../../../src/runtime/executor.js';
import type { JsonObject, RunStore } from '../../../src/runtime/run-store.js';
import { MemoryRunStore } from '../../../src/runtime/run-store-memory.js';
import type { ChannelKey } from '../../../src/session/port.js';

export const TEST_CHANNEL: ChannelKey = { platform: 'console', workspace: 'local', channel: 'runs' };

export class TestClock {
  #now: number;
  constructor(start: Date | string = '2025-01-01T00:00:00.000Z') {
    this.#now = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#now);
  }
  advance(ms: number): void {
    this.#now += ms;
  }
  set(date: Date | string): void {
    this.#now = new Date(date).getTime();
  }
}

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: object;
  readonly message: string;
}

export interface UpdatedMessage {
  readonly message: PostedMessage;
  readonly request: NotifyRequest;
}

export interface EmittedEvent {
  readonly event: string;
  readonly data: JsonObject;
}

export interface HarnessOptions {
  readonly document?: AitwsDocument;
  readonly inputs?: JsonObject;
  readonly secrets?: Readonly<Record<string, string>>;
  readonly runId?: string;
  readonly stage?: string;
  readonly action?: string;
  readonly iteration?: number;
  readonly clock?: TestClock;
  readonly store?: RunStore;
  /** Called before each memo write reaches the store (a test can write first to cause a conflict). */
  readonly beforeMemoWrite?: (store: RunStore, runId: string, stepKey: string) => Promise<void>;
  /** Replaces the recording notify (e.g. one that fails). */
  readonly notify?: (request: NotifyRequest) => Promise<PostedMessage | undefined>;
}

export interface StepOptions {
  readonly attempt?: number;
  readonly signal?: AbortSignal;
}

export interface ActionHarness {
  readonly store: RunStore;
  readonly clock: TestClock;
  readonly runId: string;
  readonly stepKey: string;
  /** The context of the step's first attempt. */
  readonly context: ActionContext;
  /** A fresh context for the same step: the run woken again, or a later attempt. */
  wake(options?: StepOptions): ActionContext;
  readonly notifications: NotifyRequest[];
  readonly updates: UpdatedMessage[];
  readonly events: EmittedEvent[];
  readonly logs: LogLine[];
  /** Every secret lookup, by name. */
  readonly secretLookups: string[];
  /** Memo writes that returned false (someone else wrote first). */
  readonly memoConflicts: number;
}

function recordingLogger(lines: LogLine[]): Logger {
  const log =
    (level: LogLine['level']) =>
    (fields: object, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

const TEST_WORKFLOW = { name: 'test', version: 1, hash: `sha256:${'ab'.repeat(32)}` };

export async function createActionHarness(options: HarnessOptions = {}): Promise<ActionHarness> {
  const store = options.store ?? new MemoryRunStore();
  const clock = options.clock ?? new TestClock();
  const runId = options.runId ?? 'run-1';
  const stage = options.stage ?? 'Main';
  const action = options.action ?? 'Step';
  const stepKey = `${stage}/${action}#${options.iteration ?? 1}`;
  const document = options.document ?? {};
  const created = clock.now().toISOString();
  await store.create({
    id: runId,
    channel: TEST_CHANNEL,
    workflow: TEST_WORKFLOW,
    document,
    inputs: options.inputs ?? {},
    state: 'queued',
    attempt: 0,
    startedBy: { id: 'U1', name: 'Ada' },
    createdAt: created,
    updatedAt: created,
    deadline: new Date(clock.now().getTime() + 300_000).toISOString(),
  });

  const notifications: NotifyRequest[] = [];
  const updates: UpdatedMessage[] = [];
  const events: EmittedEvent[] = [];
  const logs: LogLine[] = [];
  const secretLookups: string[] = [];
  let memoConflicts = 0;
  const logger = recordingLogger(logs);

  const recordingNotify = async (request: NotifyRequest): Promise<PostedMessage> => {
    notifications.push(request);
    return { channel: TEST_CHANNEL, messageId: String(notifications.length) };
  };

  const contextFor = (step: StepOptions): ActionContext => ({
    runId,
    channel: TEST_CHANNEL,
    document,
    stage,
    action,
    stepKey,
    idempotencyKey: `${runId}/${stepKey}`,
    attempt: step.attempt ?? 1,
    startedBy: { id: 'U1', name: 'Ada' },
    runtime: { inputs: options.inputs ?? {}, steps: {}, run: { id: runId } },
    signal: step.signal ?? new AbortController().signal,
    logger,
    now: () => clock.now(),
    secret: (name) => {
      secretLookups.push(name);
      const value = options.secrets?.[name];
      if (value === undefined) {
        throw new AitwsError('SECRET_MISSING', `The secret ${name} is not configured.`, {
          hint: `Set ${name} where this deployment keeps its secrets.`,
        });
      }
      return value;
    },
    notify: options.notify ?? recordingNotify,
    updateMessage: async (message, request) => {
      updates.push({ message, request });
    },
    emit: async (event, data) => {
      events.push({ event, data });
    },
    readMemo: () => store.readStepMemo(runId, stepKey),
    writeMemo: async (expectedRevision, value) => {
      await options.beforeMemoWrite?.(store, runId, stepKey);
      const written = await store.writeStepMemo(runId, stepKey, expectedRevision, value);
      if (!written) memoConflicts += 1;
      return written;
    },
    workflow: TEST_WORKFLOW,
    readRunMemo: (key) => store.readStepMemo(runId, key),
    writeRunMemo: (key, expectedRevision, value) => store.writeStepMemo(runId, key, expectedRevision, value),
    readMemoOf: (otherRun, key) => store.readStepMemo(otherRun, key),
  });

  return {
    store,
    clock,
    runId,
    stepKey,
    context: contextFor({}),
    wake: (step = {}) => contextFor(step),
    notifications,
    updates,
    events,
    logs,
    secretLookups,
    get memoConflicts() {
      return memoConflicts;
    },
  };
}
