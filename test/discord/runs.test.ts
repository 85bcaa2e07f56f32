/**
 * Runs and human approvals in Discord, end to end: signed HTTP interactions (Ed25519) through the
 * real `aitws serve` on the file store (no REDIS_URL, so the server works on runs itself), with the
 * run's messages posted and edited with the bot token on the fake Discord's REST API.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERACTIONS_PATH } from '../../src/adapters/discord/http.js';
import { PROGRESS_MEMO } from '../../src/runtime/progress.js';
import { FakeDiscord, type RecordedCall } from '../support/fake-discord.js';
import {
  buttonPayload,
  commandPayload,
  type Option,
  str,
  type Where,
} from '../support/fake-discord-payloads.js';
import { type Answer, type Bot, collectAnswer, startBot } from './bot.js';

const EPHEMERAL = 64;
const USER_OPTION = 6;
const GUILD = '100000000000000001';
const CHANNEL = '230000000000000009';

interface Person {
  readonly userId: string;
  readonly userName: string;
}

const ADMIN: Person = { userId: '310000000000000001', userName: 'root' };
const BOB: Person = { userId: '310000000000000002', userName: 'bob' };
/** Holds Reviewer: may approve, but not in the role the step names. */
const CAROL: Person = { userId: '310000000000000003', userName: 'carol' };
/** Holds no grant: the defaults (read, write). */
const DAVE: Person = { userId: '310000000000000004', userName: 'dave' };

/** An approval gate, then a step that only runs once the gate is approved. */
const RUN_WORKFLOW = `[metadata]
name = "Deploy"
version = "1.0.0"

[[roles]]
name = "Approver"
privileges = ["read", "approve"]

[[roles]]
name = "Reviewer"
privileges = ["read", "approve"]

[[stages]]
name = "Gate"
order = 1

[[stages.actions]]
name = "Ask"
type = "human.approval"

[stages.actions.with]
approvers = ["Approver"]
message = "Ship it?"

[[stages]]
name = "Build"
order = 2

[[stages.actions]]
name = "Compose"
type = "transform"

[stages.actions.with.set]
text = "Shipped {{ inputs.what }}"
`;

let fake: FakeDiscord;
let bot: Bot;
let privateKey: KeyObject;

beforeAll(async () => {
  const pair = generateKeyPairSync('ed25519');
  privateKey = pair.privateKey;
  // The raw 32-byte key is the tail of the SPKI encoding: what the developer portal shows, in hex.
  const publicKeyHex = pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  fake = await FakeDiscord.start();
  bot = await startBot({ fake, publicKeyHex, env: { AITWS_ADMINS: `discord:${ADMIN.userId}` } });
});

afterAll(async () => {
  await bot?.stop();
  await fake?.stop();
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function where(person: Person): Where {
  return { ...bot.where, guildId: GUILD, channelId: CHANNEL, ...person };
}

/** Posts a signed interaction to the HTTP receiver and collects the answer, however it came. */
async function send(payload: Record<string, unknown>): Promise<Answer> {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = sign(null, Buffer.from(timestamp + body), privateKey).toString('hex');
  const response = await fetch(`${bot.baseUrl}${INTERACTIONS_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-signature-timestamp': timestamp,
      'x-signature-ed25519': signature,
    },
    body,
  });
  expect(response.status).toBe(200);
  const first: unknown = await response.json();
  return collectAnswer(fake, String(payload.token), isRecord(first) ? first : {});
}

function run(person: Person, name: string, options: readonly Option[] = []): Promise<Answer> {
  return send(commandPayload(name, options, where(person)));
}

/** A click on a message the bot posted in the channel. */
async function click(person: Person, customId: string, messageId: string): Promise<Answer> {
  const payload = buttonPayload(customId, where(person), { ephemeral: false });
  const message = isRecord(payload.message) ? payload.message : {};
  const answer = await send({ ...payload, message: { ...message, id: messageId } });
  // Anything a click should not send would have arrived by now.
  await new Promise((resolve) => setTimeout(resolve, 250));
  return answer;
}

function flags(answer: Answer): number {
  return Number(answer.message.flags ?? 0);
}

function buttonsOf(body: Record<string, unknown>): { id: string; label: string }[] {
  const rows = Array.isArray(body.components) ? body.components : [];
  return rows.flatMap((row) =>
    isRecord(row) && Array.isArray(row.components)
      ? row.components.filter(isRecord).map((b) => ({ id: String(b.custom_id), label: String(b.label) }))
      : [],
  );
}

const contentOf = (call: RecordedCall): string => String(call.body.content ?? '');

/** Run messages: posted (`channel`) or edited (`channel-edit`) in CHANNEL with the bot token. */
function runMessages(kind: 'channel' | 'channel-edit'): RecordedCall[] {
  return fake.calls.filter((call) => call.kind === kind && call.target === CHANNEL);
}

async function waitForMessage(
  kind: 'channel' | 'channel-edit',
  match: (call: RecordedCall) => boolean,
): Promise<RecordedCall> {
  return fake.waitForCall((call) => call.kind === kind && call.target === CHANNEL && match(call));
}

/** The id of the message a run keeps in a step's memo (the approval's, or the progress one's). */
async function postedId(runId: string, key: string): Promise<string | undefined> {
  const memo = await bot.running.runs.runtime.store.readStepMemo(runId, key);
  const message = memo?.value.message;
  return isRecord(message) && typeof message.messageId === 'string' ? message.messageId : undefined;
}

/** The approval request posted for `runId`, and the message id the step keeps for it. */
async function approvalRequest(runId: string): Promise<{ call: RecordedCall; id: string }> {
  const call = await waitForMessage('channel', (c) => contentOf(c).includes(`/approve ${runId}`));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const record = await bot.running.runs.runtime.store.read(runId);
    const key = record?.waitingFor?.kind === 'approval' ? record.waitingFor.key : undefined;
    const id = key === undefined ? undefined : await postedId(runId, key);
    if (id !== undefined) return { call, id };
    if (Date.now() > deadline) throw new Error(`run ${runId} is not waiting on a posted approval`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function grant(to: Person, role: string): Promise<Answer> {
  const payload = commandPayload(
    'grant',
    [{ name: 'user', type: USER_OPTION, value: to.userId }, str('role', role)],
    where(ADMIN),
  );
  const data = isRecord(payload.data) ? payload.data : {};
  const user = { id: to.userId, username: to.userName, global_name: to.userName, avatar: null };
  return send({ ...payload, data: { ...data, resolved: { users: { [to.userId]: user } } } });
}

async function startRun(what: string): Promise<string> {
  const started = await run(ADMIN, 'run', [str('args', `what="${what}"`)]);
  const id = /Run (r[a-z0-9]{10}) started/.exec(started.content)?.[1];
  if (id === undefined) throw new Error(`no run id in: ${started.content}`);
  return id;
}

async function stateOf(runId: string): Promise<string | undefined> {
  return (await bot.running.runs.runtime.store.read(runId))?.state;
}

describe('Discord runs and human approvals', () => {
  let runId: string;
  let approval: { call: RecordedCall; id: string };
  let progressId: string;

  it('loads a workflow with an approval step and grants Approver', async () => {
    const url = fake.addAttachment('deploy.toml', RUN_WORKFLOW);
    const load = commandPayload('load', [{ name: 'file', type: 11, value: '57' }], where(ADMIN), {
      '57': { filename: 'deploy.toml', url, size: Buffer.byteLength(RUN_WORKFLOW) },
    });
    expect((await send(load)).content).toMatch(/Loaded deploy\.toml/);
    expect((await grant(BOB, 'Approver')).content).toContain(`root granted Approver to @${BOB.userId}`);
    expect((await grant(CAROL, 'Reviewer')).content).toContain(`root granted Reviewer to @${CAROL.userId}`);
  });

  it('posts the approval request in the channel with the bot token, with Approve and Reject', async () => {
    runId = await startRun('v2');
    approval = await approvalRequest(runId);
    expect(approval.call.method).toBe('POST');
    expect(approval.call.authorization).toBe(`Bot ${fake.token}`);
    expect(contentOf(approval.call)).toContain('Ship it?');
    expect(approval.call.body.allowed_mentions).toEqual({ parse: [] });
    const buttons = buttonsOf(approval.call.body);
    expect(buttons.map((b) => b.label)).toEqual(['Approve', 'Reject']);
    for (const button of buttons) expect(button.id).toMatch(/^aitws:runvote:/);
    expect((await run(DAVE, 'status', [str('args', runId)])).content).toMatch(/waiting/);
  });

  it('refuses privately a click by someone without the approve privilege, changing nothing', async () => {
    const [approve] = buttonsOf(approval.call.body);
    const edits = runMessages('channel-edit').length;
    const answer = await click(DAVE, approve?.id ?? '', approval.id);
    expect(flags(answer) & EPHEMERAL).toBe(EPHEMERAL);
    expect(answer.content).toMatch(/approve needs the approve privilege/);
    expect(runMessages('channel-edit')).toHaveLength(edits);
    expect(await stateOf(runId)).toBe('waiting');
  });

  it('refuses privately a click by someone who may approve, but not in the step’s role', async () => {
    const [approve] = buttonsOf(approval.call.body);
    const edits = runMessages('channel-edit').length;
    const answer = await click(CAROL, approve?.id ?? '', approval.id);
    expect(flags(answer) & EPHEMERAL).toBe(EPHEMERAL);
    expect(answer.content).toMatch(/Only people holding the role Approver can vote/);
    expect(runMessages('channel-edit')).toHaveLength(edits);
    expect(await stateOf(runId)).toBe('waiting');
  });

  it('counts the Approver’s click, edits the request with the decision and finishes the run', async () => {
    const [approve] = buttonsOf(approval.call.body);
    const answer = await click(BOB, approve?.id ?? '', approval.id);
    expect(flags(answer) & EPHEMERAL).toBe(EPHEMERAL);
    expect(answer.content).toMatch(new RegExp(`bob approved run ${runId} \\(1 of 1`));
    const decided = await waitForMessage('channel-edit', (c) => contentOf(c).includes('Approved by bob'));
    expect(decided.method).toBe('PATCH');
    expect(decided.path).toBe(`/channels/${CHANNEL}/messages/${approval.id}`);
    expect(decided.authorization).toBe(`Bot ${fake.token}`);
    expect(buttonsOf(decided.body)).toEqual([]);
    const summary = await waitForMessage(
      'channel-edit',
      (c) => contentOf(c).includes(`Run ${runId} of Deploy`) && contentOf(c).includes('succeeded'),
    );
    expect(contentOf(summary)).toMatch(/✅ succeeded in .* \(2 of 2 actions\)/);
    expect(buttonsOf(summary.body)).toEqual([{ id: `aitws:results:${runId}`, label: 'Results' }]);
    // The summary replaces the progress message the run posted, not a new one.
    progressId = (await postedId(runId, PROGRESS_MEMO)) ?? '';
    expect(summary.path).toBe(`/channels/${CHANNEL}/messages/${progressId}`);
    const posted = runMessages('channel');
    expect(posted.filter((c) => contentOf(c).includes(`Run ${runId} of Deploy`))).toHaveLength(1);
    expect(posted.filter((c) => contentOf(c).includes('Ship it?'))).toHaveLength(1);
  });

  it('shows the outputs privately on Results, and /status says succeeded', async () => {
    const answer = await click(DAVE, `aitws:results:${runId}`, progressId);
    expect(flags(answer) & EPHEMERAL).toBe(EPHEMERAL);
    const text = [answer.content, ...answer.files.map((file) => file.text)].join('\n');
    expect(text).toContain('Build / Compose');
    expect(text).toContain('Shipped v2');
    expect((await run(DAVE, 'status', [str('args', runId)])).content).toContain('succeeded');
  });

  it('rejects with /reject run:RUN reason:… typed by the Approver: the run fails, saying why', async () => {
    const second = await startRun('v3');
    const request = await approvalRequest(second);
    const rejected = await run(BOB, 'reject', [str('run', second), str('reason', 'not on a Friday')]);
    expect(rejected.content).toMatch(new RegExp(`bob rejected run ${second}`));
    const decided = await waitForMessage('channel-edit', (c) => c.path.endsWith(`/messages/${request.id}`));
    expect(contentOf(decided)).toContain('Rejected by bob: not on a Friday');
    expect(buttonsOf(decided.body)).toEqual([]);
    await waitForMessage(
      'channel-edit',
      (c) => contentOf(c).includes(`Run ${second} of Deploy`) && contentOf(c).includes('failed'),
    );
    expect(await stateOf(second)).toBe('failed');
    expect((await run(DAVE, 'status', [str('args', second)])).content).toContain('failed');
  });
});
