/**
 * Runs and human approvals in Slack, end to end: signed slash commands and button clicks through
 * the real Bolt receiver of `aitws serve`, on the file store (no REDIS_URL, so the server works on
 * runs itself), with the run's messages posted and edited on the fake Slack's Web API.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD_SHORTCUT_ID, WEB_API_METHODS } from '../../src/adapters/slack/index.js';
import { PROGRESS_MEMO } from '../../src/runtime/progress.js';
import { type ApiCall, type FakeSlack, type ResponsePost, startFakeSlack } from '../support/fake-slack.js';
import { buttonsOf, messageText, type SlackBot, startSlackBot } from '../support/slack-bot.js';
import { buttonPayload, TEAM } from '../support/slack-requests.js';

interface Person {
  readonly user: string;
  readonly userName: string;
}

const ADMIN: Person = { user: 'UADMIN01', userName: 'root' };
const BOB: Person = { user: 'UBOB0001', userName: 'bob' };
/** Holds Reviewer: may approve, but not in the role the step names. */
const CAROL: Person = { user: 'UCAROL01', userName: 'carol' };
/** Holds no grant: the defaults (read, write). */
const DAVE: Person = { user: 'UDAVE001', userName: 'dave' };
const CHANNEL = 'CRUNS001';

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

type Message = Record<string, unknown>;

let fake: FakeSlack;
let bot: SlackBot;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'aitws-slack-runs-'));
  fake = await startFakeSlack();
  bot = await startSlackBot({
    fake,
    env: { AITWS_ADMINS: `slack:${ADMIN.user}`, AITWS_DATA_DIR: dataDir },
  });
});

afterAll(async () => {
  await bot?.stop();
  await fake?.close();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

async function command(who: Person, text: string): Promise<Message> {
  const result = await bot.command({ text, channel: CHANNEL, ...who });
  expect(result.status).toBe(200);
  if (result.inAck !== undefined) return result.inAck;
  const [post] = await fake.waitForPosts(result.responseUrl, 1);
  return post?.body ?? {};
}

/** A click on a message the bot posted in the channel (`ts`), answered on a fresh response_url. */
async function click(who: Person, actionId: string, label: string, ts: string): Promise<ResponsePost[]> {
  const responseUrl = fake.responseUrl();
  const payload = buttonPayload({ actionId, label, responseUrl, channel: CHANNEL, ...who });
  const container = { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: false };
  const result = await bot.interact({ ...payload, container });
  expect(result.status).toBe(200);
  await fake.waitForPosts(responseUrl, 1);
  // Anything a click should not send would have arrived by now.
  await new Promise((resolve) => setTimeout(resolve, 250));
  return fake.postsTo(responseUrl);
}

async function loadWorkflow(): Promise<void> {
  const file = fake.hostFile('deploy.toml', RUN_WORKFLOW);
  const responseUrl = fake.responseUrl();
  await bot.interact({
    type: 'message_action',
    callback_id: LOAD_SHORTCUT_ID,
    trigger_id: 'trigger-shortcut',
    response_url: responseUrl,
    team: { id: TEAM, domain: 'test' },
    channel: { id: CHANNEL, name: 'runs' },
    user: { id: ADMIN.user, username: ADMIN.userName, name: ADMIN.userName, team_id: TEAM },
    message_ts: '1700000400.000100',
    message: {
      type: 'message',
      user: ADMIN.user,
      ts: '1700000400.000100',
      text: 'the workflow',
      files: [file],
    },
    token: 'legacy-verification-token',
  });
  const [post] = await fake.waitForPosts(responseUrl, 1);
  expect(messageText(post?.body ?? {})).toMatch(/Loaded deploy\.toml/);
}

/** Starts a run and returns its id. */
async function startRun(what: string): Promise<string> {
  const started = await command(ADMIN, `run what="${what}"`);
  const id = /Run (r[a-z0-9]{10}) started/.exec(messageText(started))?.[1];
  if (id === undefined) throw new Error(`no run id in: ${messageText(started)}`);
  return id;
}

function postsIn(): ApiCall[] {
  return fake.callsOf('chat.postMessage').filter((call) => call.args.channel === CHANNEL);
}

/** The id of the message a run keeps in a step's memo (the approval's, or the progress one's). */
async function postedId(runId: string, key: string): Promise<string | undefined> {
  const memo = await bot.running.runs.runtime.store.readStepMemo(runId, key);
  const message = memo?.value.message;
  return typeof message === 'object' && message !== null && 'messageId' in message
    ? String(message.messageId)
    : undefined;
}

/**
 * The approval request posted for `runId`, and its ts: the message id the step keeps in its memo,
 * which is the ts the fake answered the post with.
 */
async function approvalRequest(runId: string): Promise<{ call: ApiCall; ts: string }> {
  const call = await waitForCall('chat.postMessage', (c) =>
    messageText(c.args).includes(`/aitws approve ${runId}`),
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const run = await bot.running.runs.runtime.store.read(runId);
    const key = run?.waitingFor?.kind === 'approval' ? run.waitingFor.key : undefined;
    const ts = key === undefined ? undefined : await postedId(runId, key);
    if (ts !== undefined) return { call, ts };
    if (Date.now() > deadline) throw new Error(`run ${runId} is not waiting on a posted approval`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function waitForCall(method: string, match: (call: ApiCall) => boolean): Promise<ApiCall> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = fake.callsOf(method).find(match);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${method} call as expected`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Slack runs and human approvals', () => {
  let runId: string;
  let approval: { call: ApiCall; ts: string };
  let progressTs: string;

  it('loads a workflow with an approval step and grants Approver', async () => {
    await loadWorkflow();
    const granted = await command(ADMIN, `grant <@${BOB.user}|${BOB.userName}> Approver`);
    expect(messageText(granted)).toContain(`root granted Approver to ${BOB.userName}`);
    await command(ADMIN, `grant <@${CAROL.user}|${CAROL.userName}> Reviewer`);
  });

  it('posts the approval request in the channel with Approve and Reject buttons', async () => {
    runId = await startRun('v2');
    approval = await approvalRequest(runId);
    expect(approval.call.args.channel).toBe(CHANNEL);
    expect(approval.call.token).toBe('xoxb-test-token');
    expect(messageText(approval.call.args)).toContain('Ship it?');
    const buttons = buttonsOf(approval.call.args);
    expect(buttons.map((b) => b.label)).toEqual(['Approve', 'Reject']);
    for (const button of buttons) expect(button.actionId).toMatch(/^aitws:runvote:/);
    const status = await command(DAVE, `status ${runId}`);
    expect(messageText(status)).toMatch(/waiting/);
  });

  it('refuses privately a click by someone without the role, changing nothing', async () => {
    const [approve] = buttonsOf(approval.call.args);
    const updates = fake.callsOf('chat.update').length;
    const [answer, ...more] = await click(DAVE, approve?.actionId ?? '', 'Approve', approval.ts);
    expect(more).toEqual([]);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(messageText(answer?.body ?? {})).toMatch(/approve needs the approve privilege/);
    expect(fake.callsOf('chat.update')).toHaveLength(updates);
    expect((await bot.running.runs.runtime.store.read(runId))?.state).toBe('waiting');
  });

  it('refuses privately a click by someone who may approve, but not in the step’s role', async () => {
    const [approve] = buttonsOf(approval.call.args);
    const updates = fake.callsOf('chat.update').length;
    const [answer, ...more] = await click(CAROL, approve?.actionId ?? '', 'Approve', approval.ts);
    expect(more).toEqual([]);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(messageText(answer?.body ?? {})).toMatch(/Only people holding the role Approver can vote/);
    expect(fake.callsOf('chat.update')).toHaveLength(updates);
    expect((await bot.running.runs.runtime.store.read(runId))?.state).toBe('waiting');
  });

  it('counts the Approver’s click, edits the request with the decision and finishes the run', async () => {
    const [approve] = buttonsOf(approval.call.args);
    const [answer, ...more] = await click(BOB, approve?.actionId ?? '', 'Approve', approval.ts);
    expect(more).toEqual([]);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(messageText(answer?.body ?? {})).toMatch(new RegExp(`bob approved run ${runId} \\(1 of 1`));
    const decided = await waitForCall(
      'chat.update',
      (c) => c.args.ts === approval.ts && messageText(c.args).includes('Approved by bob'),
    );
    expect(decided.args.channel).toBe(CHANNEL);
    expect(buttonsOf(decided.args)).toEqual([]);
    const summary = await waitForCall(
      'chat.update',
      (c) => messageText(c.args).includes(`Run ${runId} of Deploy`) && /succeeded/.test(messageText(c.args)),
    );
    expect(messageText(summary.args)).toMatch(/✅ succeeded in .* \(2 of 2 actions\)/);
    expect(buttonsOf(summary.args)).toEqual([{ actionId: `aitws:results:${runId}`, label: 'Results' }]);
    // The summary replaces the progress message the run posted, not a new one.
    progressTs = (await postedId(runId, PROGRESS_MEMO)) ?? '';
    expect(summary.args.ts).toBe(progressTs);
    expect(summary.args.channel).toBe(CHANNEL);
    const progress = postsIn().filter((c) => messageText(c.args).includes(`Run ${runId} of Deploy`));
    expect(progress).toHaveLength(1);
    // One request was posted for the step, and only the decision edited it.
    expect(postsIn().filter((c) => messageText(c.args).includes('Ship it?'))).toHaveLength(1);
  });

  it('shows the outputs privately on Results, and /aitws status says succeeded', async () => {
    const [answer, ...more] = await click(DAVE, `aitws:results:${runId}`, 'Results', progressTs);
    expect(more).toEqual([]);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    const results = messageText(answer?.body ?? {});
    expect(results).toContain('Build / Compose');
    expect(results).toContain('Shipped v2');
    const status = await command(DAVE, `status ${runId}`);
    expect(messageText(status)).toContain('succeeded');
  });

  it('counts /aitws approve RUN typed by the Approver, like the button', async () => {
    const second = await startRun('v3');
    const request = await approvalRequest(second);
    const refused = await command(DAVE, `approve ${second}`);
    expect(refused.response_type).toBe('ephemeral');
    expect(messageText(refused)).toMatch(/approve needs the approve privilege/);
    const approved = await command(BOB, `approve ${second}`);
    expect(messageText(approved)).toMatch(new RegExp(`bob approved run ${second} \\(1 of 1`));
    await waitForCall(
      'chat.update',
      (c) => c.args.ts === request.ts && messageText(c.args).includes('Approved by bob'),
    );
    await waitForCall(
      'chat.update',
      (c) => messageText(c.args).includes(`Run ${second} of Deploy`) && /succeeded/.test(messageText(c.args)),
    );
    const status = await command(DAVE, `status ${second}`);
    expect(messageText(status)).toContain('succeeded');
    // Every Web API method the runs called is declared with its scope (manifest.yml asks for it).
    for (const call of fake.calls) expect(Object.keys(WEB_API_METHODS)).toContain(call.method);
  });

  it('fails the run at its approval step, saying why, in a channel the bot is not in', async () => {
    fake.failNext('chat.postMessage', 'not_in_channel');
    fake.failNext('chat.postMessage', 'not_in_channel');
    const third = await startRun('v4');
    const deadline = Date.now() + 10_000;
    while ((await bot.running.runs.runtime.store.read(third))?.state !== 'failed') {
      if (Date.now() > deadline) throw new Error('the run did not fail');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const status = await command(DAVE, `status ${third}`);
    expect(messageText(status)).toMatch(
      /failed[\s\S]*Gate\/Ask#1: Slack refused to post in channel CRUNS001 \(not_in_channel\)/,
    );
  });
});
