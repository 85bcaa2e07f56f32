/**
 * AI steps in Slack, end to end: an `ai.invoke` answer below its `escalate_below` goes to review
 * with Approve and Reject buttons, a reviewer's click through the real Bolt receiver of
 * `aitws serve` lets the run go on, /aitws results shows the AI facts with Good and Bad buttons, and
 * a click on Good records the rating. The model is the real Anthropic SDK against a fake Messages
 * API; the runs are on the file store (no REDIS_URL, so the server works on runs itself).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD_SHORTCUT_ID } from '../../src/adapters/slack/index.js';
import { feedbackScope } from '../../src/runtime/ai/feedback-store.js';
import { answer, type FakeAnthropic, startFakeAnthropic } from '../support/fake-anthropic.js';
import {
  type ApiCall,
  BOT_TOKEN,
  type FakeSlack,
  type ResponsePost,
  startFakeSlack,
} from '../support/fake-slack.js';
import { buttonsOf, messageText, type SlackBot, startSlackBot } from '../support/slack-bot.js';
import { buttonPayload, SIGNING_SECRET, TEAM } from '../support/slack-requests.js';

interface Person {
  readonly user: string;
  readonly userName: string;
}

const ADMIN: Person = { user: 'UADMIN01', userName: 'root' };
const BOB: Person = { user: 'UBOB0001', userName: 'bob' };
/** Holds no grant: the defaults (read, write). */
const DAVE: Person = { user: 'UDAVE001', userName: 'dave' };
const CHANNEL = 'CAIRUNS1';
const API_KEY = 'sk-ant-test-slack';
/** How the prompt names a workflow secret: a reference, left as written. */
const CRM_REFERENCE = `\${secret:CRM_TOKEN}`;
/** The secret's value, configured for the workers: it must never reach the model. */
const CRM_TOKEN = 'crm-value-7Hq2xZpL9wVb';

const SCHEMA =
  '{"type":"object","required":["label","confidence"],"properties":{"label":{"enum":["bug","question"]},"confidence":{"type":"number"}}}';

/** An AI step whose low-confidence answers a Reviewer checks, then a message with its label. */
const AI_WORKFLOW = `[metadata]
name = "Triage"
version = "1.0.0"

[[roles]]
name = "Reviewer"
privileges = ["read", "approve"]

[[stages]]
name = "Sort"
order = 1

[[stages.actions]]
name = "Classify"
type = "ai.invoke"

[stages.actions.with]
system = "You sort support tickets."
prompt = "Classify: {{ inputs.ticket }} (CRM ${CRM_REFERENCE})"
model = "claude-sonnet-5"
execution_mode = "strict"
seed = 7
escalate_below = 0.7
approvers = ["Reviewer"]
output = { schema = '${SCHEMA}' }

[[stages.actions]]
name = "Post"
type = "chat.notify"

[stages.actions.with]
text = "Label: {{ steps.Classify.output.value.label }}"
`;

type Message = Record<string, unknown>;

let fake: FakeSlack;
let anthropic: FakeAnthropic;
let bot: SlackBot;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'aitws-slack-ai-'));
  [fake, anthropic] = await Promise.all([startFakeSlack(), startFakeAnthropic()]);
  bot = await startSlackBot({
    fake,
    env: {
      AITWS_ADMINS: `slack:${ADMIN.user}`,
      AITWS_DATA_DIR: dataDir,
      ANTHROPIC_API_KEY: API_KEY,
      ANTHROPIC_BASE_URL: anthropic.url,
      AITWS_SECRET_CRM_TOKEN: CRM_TOKEN,
    },
  });
});

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fake?.close(), anthropic?.close()]);
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

async function command(who: Person, text: string): Promise<Message> {
  const result = await bot.command({ text, channel: CHANNEL, ...who });
  expect(result.status).toBe(200);
  if (result.inAck !== undefined) return result.inAck;
  const [post] = await fake.waitForPosts(result.responseUrl, 1);
  return post?.body ?? {};
}

/** A click on a message in the channel (`ts`), answered on a fresh response_url. */
async function click(
  who: Person,
  button: { actionId: string; label: string },
  message: { ts: string; ephemeral: boolean },
): Promise<ResponsePost[]> {
  const responseUrl = fake.responseUrl();
  const payload = buttonPayload({ ...button, responseUrl, channel: CHANNEL, ...who });
  const container = {
    type: 'message',
    message_ts: message.ts,
    channel_id: CHANNEL,
    is_ephemeral: message.ephemeral,
  };
  const result = await bot.interact({ ...payload, container });
  expect(result.status).toBe(200);
  await fake.waitForPosts(responseUrl, 1);
  // Anything a click should not send would have arrived by now.
  await new Promise((resolve) => setTimeout(resolve, 250));
  return fake.postsTo(responseUrl);
}

async function loadWorkflow(): Promise<void> {
  const file = fake.hostFile('triage.toml', AI_WORKFLOW);
  const responseUrl = fake.responseUrl();
  await bot.interact({
    type: 'message_action',
    callback_id: LOAD_SHORTCUT_ID,
    trigger_id: 'trigger-shortcut',
    response_url: responseUrl,
    team: { id: TEAM, domain: 'test' },
    channel: { id: CHANNEL, name: 'ai-runs' },
    user: { id: ADMIN.user, username: ADMIN.userName, name: ADMIN.userName, team_id: TEAM },
    message_ts: '1700000500.000100',
    message: {
      type: 'message',
      user: ADMIN.user,
      ts: '1700000500.000100',
      text: 'the workflow',
      files: [file],
    },
    token: 'legacy-verification-token',
  });
  const [post] = await fake.waitForPosts(responseUrl, 1);
  expect(messageText(post?.body ?? {})).toMatch(/Loaded triage\.toml/);
}

/** The id of the message a run keeps in a step's memo (the approval's). */
async function postedId(runId: string, key: string): Promise<string | undefined> {
  const memo = await bot.running.runs.runtime.store.readStepMemo(runId, key);
  const message = memo?.value.message;
  return typeof message === 'object' && message !== null && 'messageId' in message
    ? String(message.messageId)
    : undefined;
}

/** The review request posted for `runId`, and its ts (the message id its step keeps). */
async function reviewRequest(runId: string): Promise<{ call: ApiCall; ts: string }> {
  const call = await waitForCall('chat.postMessage', (c) =>
    messageText(c.args).includes(`/aitws approve ${runId}`),
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const run = await bot.running.runs.runtime.store.read(runId);
    const key = run?.waitingFor?.kind === 'approval' ? run.waitingFor.key : undefined;
    const ts = key === undefined ? undefined : await postedId(runId, key);
    if (ts !== undefined) return { call, ts };
    if (Date.now() > deadline) throw new Error(`run ${runId} is not waiting on a posted review`);
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

describe('Slack AI steps, their review and their feedback', () => {
  let runId: string;

  it('posts a low-confidence answer for review with Approve and Reject; a Reviewer’s click lets the run go on', async () => {
    await loadWorkflow();
    const granted = await command(ADMIN, `grant <@${BOB.user}|${BOB.userName}> Reviewer`);
    expect(messageText(granted)).toContain(`root granted Reviewer to ${BOB.userName}`);
    anthropic.enqueue(answer('{"label":"question","confidence":0.4}'));
    const started = await command(ADMIN, 'run ticket="how do I log in?"');
    runId = /Run (r[a-z0-9]{10}) started/.exec(messageText(started))?.[1] ?? '';
    expect(runId, messageText(started)).not.toBe('');

    const review = await reviewRequest(runId);
    expect(review.call.args.channel).toBe(CHANNEL);
    const text = messageText(review.call.args);
    expect(text).toContain(`Review needed: Classify (run ${runId}): confidence 0.4 is below 0.7.`);
    expect(text).toContain('"label":"question"');
    const buttons = buttonsOf(review.call.args);
    expect(buttons.map((b) => b.label)).toEqual(['Approve', 'Reject']);
    for (const button of buttons) expect(button.actionId).toMatch(/^aitws:runvote:/);
    expect((await bot.running.runs.runtime.store.read(runId))?.state).toBe('waiting');
    expect(postsIn().some((c) => messageText(c.args).includes('Label:'))).toBe(false);

    const [approve] = buttons;
    const [reply, ...more] = await click(BOB, approve ?? { actionId: '', label: '' }, {
      ts: review.ts,
      ephemeral: false,
    });
    expect(more).toEqual([]);
    expect(messageText(reply?.body ?? {})).toMatch(new RegExp(`bob approved run ${runId} \\(1 of 1`));
    await waitForCall(
      'chat.update',
      (c) => c.args.ts === review.ts && messageText(c.args).includes('Approved by bob'),
    );
    const notified = await waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && messageText(c.args).includes('Label: question'),
    );
    expect(notified.token).toBe(BOT_TOKEN);
    await waitForCall(
      'chat.update',
      (c) => messageText(c.args).includes(`Run ${runId} of Triage`) && /succeeded/.test(messageText(c.args)),
    );
    expect((await bot.running.runs.runtime.store.read(runId))?.state).toBe('succeeded');
  });

  it('sent the model the prompt as rendered, with the API key and no secret', () => {
    expect(anthropic.requests).toHaveLength(1);
    const [request] = anthropic.requests;
    expect(request?.path).toBe('/v1/messages');
    expect(request?.body).toMatchObject({
      model: 'claude-sonnet-5',
      temperature: 0,
      messages: [{ role: 'user', content: `Classify: how do I log in? (CRM ${CRM_REFERENCE})` }],
    });
    expect(JSON.stringify(request?.body?.system)).toContain('You sort support tickets.');
    expect(credentialHeaders(request?.headers ?? {})).toEqual([API_KEY]);
    const sent = [request?.raw ?? '', ...Object.values(request?.headers ?? {})].join('\n');
    for (const secret of [CRM_TOKEN, BOT_TOKEN, SIGNING_SECRET]) expect(sent).not.toContain(secret);
    expect(request?.raw).not.toContain(API_KEY);
  });

  it('shows the AI facts in /aitws results; Good records the rating, Bad replaces it', async () => {
    const results = await command(DAVE, `results ${runId}`);
    expect(results.response_type).toBe('ephemeral');
    const text = messageText(results);
    expect(text).toMatch(
      /Sort \/ Classify: [^•]*"label": "question"[^•]* · confidence 0\.40 · 1 attempt · \$0\.\d{4}\n/,
    );
    expect(text).toContain('Sort / Post');
    const buttons = buttonsOf(results);
    expect(buttons.map((b) => b.label)).toEqual(['Good: Classify', 'Bad: Classify']);
    const [good] = buttons;

    // The /results answer is ephemeral; Slack sends clicks on it with is_ephemeral.
    const shown = { ts: '1700000501.000100', ephemeral: true };
    const [reply, ...more] = await click(DAVE, good ?? { actionId: '', label: '' }, shown);
    expect(more).toEqual([]);
    expect(reply?.body).toMatchObject({ response_type: 'ephemeral' });
    expect(messageText(reply?.body ?? {})).toContain(`Rated Sort / Classify of run ${runId} good.`);
    const feedback = bot.running.runs.runtime.ai?.feedback;
    const scope = feedbackScope({ platform: 'slack', workspace: TEAM, channel: CHANNEL }, 'Triage');
    const entries = (await feedback?.list(scope, { limit: 10 })) ?? [];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      run: runId,
      action: 'Classify',
      rating: 'good',
      by: { id: DAVE.user },
      output: '{"label":"question","confidence":0.4}',
    });
    // Bad from the same /results replaces the rating: one per person, run and action.
    const [bad] = buttons.slice(1);
    const [replaced] = await click(DAVE, bad ?? { actionId: '', label: '' }, shown);
    expect(messageText(replaced?.body ?? {})).toContain(`Rated Sort / Classify of run ${runId} bad.`);
    expect((await feedback?.list(scope, { limit: 10 }))?.map((entry) => entry.rating)).toEqual(['bad']);
    // A button is used once: a second click of Good says who used it and records nothing.
    const [used] = await click(DAVE, good ?? { actionId: '', label: '' }, shown);
    expect(messageText(used?.body ?? {})).toBe('Already done by dave.');
    expect((await feedback?.list(scope, { limit: 10 }))?.map((entry) => entry.rating)).toEqual(['bad']);
  });
});

/** The values of the headers that carry the API key: exactly one, however the SDK sends it. */
function credentialHeaders(headers: Readonly<Record<string, string>>): string[] {
  return Object.entries(headers)
    .filter(([name, value]) => value.includes(API_KEY) || name === 'x-api-key' || name === 'authorization')
    .map(([, value]) => value.replace(/^Bearer /, ''));
}

function postsIn(): ApiCall[] {
  return fake.callsOf('chat.postMessage').filter((call) => call.args.channel === CHANNEL);
}
