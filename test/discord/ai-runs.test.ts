/**
 * AI steps in Discord, end to end: an `ai.invoke` answer below its `escalate_below` goes to review
 * with Approve and Reject buttons, a reviewer's click, as a signed HTTP interaction (Ed25519) to
 * the real `aitws serve`, lets the run go on, /results shows the AI facts with Good and Bad
 * buttons, and a click on Good records the rating. The model is the real Anthropic SDK against a
 * fake Messages API; the runs are on the file store (no REDIS_URL, so the server works on runs
 * itself).
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERACTIONS_PATH } from '../../src/adapters/discord/http.js';
import { feedbackScope } from '../../src/runtime/ai/feedback-store.js';
import { answer, type FakeAnthropic, startFakeAnthropic } from '../support/fake-anthropic.js';
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
const CHANNEL = '230000000000000017';
const API_KEY = 'sk-ant-test-discord';
/** How the prompt names a workflow secret: a reference, left as written. */
const CRM_REFERENCE = `\${secret:CRM_TOKEN}`;
/** The secret's value, configured for the workers: it must never reach the model. */
const CRM_TOKEN = 'crm-value-Rk4mW8sQ2nTd';

interface Person {
  readonly userId: string;
  readonly userName: string;
}

const ADMIN: Person = { userId: '310000000000000001', userName: 'root' };
const BOB: Person = { userId: '310000000000000002', userName: 'bob' };
/** Holds no grant: the defaults (read, write). */
const DAVE: Person = { userId: '310000000000000004', userName: 'dave' };

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

let fake: FakeDiscord;
let anthropic: FakeAnthropic;
let bot: Bot;
let privateKey: KeyObject;

beforeAll(async () => {
  const pair = generateKeyPairSync('ed25519');
  privateKey = pair.privateKey;
  // The raw 32-byte key is the tail of the SPKI encoding: what the developer portal shows, in hex.
  const publicKeyHex = pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  [fake, anthropic] = await Promise.all([FakeDiscord.start(), startFakeAnthropic()]);
  bot = await startBot({
    fake,
    publicKeyHex,
    env: {
      AITWS_ADMINS: `discord:${ADMIN.userId}`,
      ANTHROPIC_API_KEY: API_KEY,
      ANTHROPIC_BASE_URL: anthropic.url,
      AITWS_SECRET_CRM_TOKEN: CRM_TOKEN,
    },
  });
});

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fake?.stop(), anthropic?.close()]);
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

/** A click on a message the bot posted: in the channel, or only to the clicker (ephemeral). */
async function click(
  person: Person,
  customId: string,
  message: { id: string; ephemeral: boolean },
): Promise<Answer> {
  const payload = buttonPayload(customId, where(person), { ephemeral: message.ephemeral });
  const shown = isRecord(payload.message) ? payload.message : {};
  const answer = await send({ ...payload, message: { ...shown, id: message.id } });
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

async function waitForMessage(
  kind: 'channel' | 'channel-edit',
  match: (call: RecordedCall) => boolean,
): Promise<RecordedCall> {
  return fake.waitForCall((call) => call.kind === kind && call.target === CHANNEL && match(call));
}

/** The id of the message a run keeps in a step's memo (the review request's). */
async function postedId(runId: string, key: string): Promise<string | undefined> {
  const memo = await bot.running.runs.runtime.store.readStepMemo(runId, key);
  const message = memo?.value.message;
  return isRecord(message) && typeof message.messageId === 'string' ? message.messageId : undefined;
}

/** The review request posted for `runId`, and the message id its step keeps. */
async function reviewRequest(runId: string): Promise<{ call: RecordedCall; id: string }> {
  const call = await waitForMessage('channel', (c) => contentOf(c).includes(`/approve ${runId}`));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const record = await bot.running.runs.runtime.store.read(runId);
    const key = record?.waitingFor?.kind === 'approval' ? record.waitingFor.key : undefined;
    const id = key === undefined ? undefined : await postedId(runId, key);
    if (id !== undefined) return { call, id };
    if (Date.now() > deadline) throw new Error(`run ${runId} is not waiting on a posted review`);
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

async function stateOf(runId: string): Promise<string | undefined> {
  return (await bot.running.runs.runtime.store.read(runId))?.state;
}

/** The values of the headers that carry the API key: exactly one, however the SDK sends it. */
function credentialHeaders(headers: Readonly<Record<string, string>>): string[] {
  return Object.entries(headers)
    .filter(([name, value]) => value.includes(API_KEY) || name === 'x-api-key' || name === 'authorization')
    .map(([, value]) => value.replace(/^Bearer /, ''));
}

describe('Discord AI steps, their review and their feedback', () => {
  let runId: string;

  it('posts a low-confidence answer for review with Approve and Reject; a Reviewer’s click lets the run go on', async () => {
    const url = fake.addAttachment('triage.toml', AI_WORKFLOW);
    const load = commandPayload('load', [{ name: 'file', type: 11, value: '58' }], where(ADMIN), {
      '58': { filename: 'triage.toml', url, size: Buffer.byteLength(AI_WORKFLOW) },
    });
    expect((await send(load)).content).toMatch(/Loaded triage\.toml/);
    expect((await grant(BOB, 'Reviewer')).content).toContain(`root granted Reviewer to @${BOB.userId}`);
    anthropic.enqueue(answer('{"label":"question","confidence":0.4}'));
    const started = await run(ADMIN, 'run', [str('args', 'ticket="how do I log in?"')]);
    runId = /Run (r[a-z0-9]{10}) started/.exec(started.content)?.[1] ?? '';
    expect(runId, started.content).not.toBe('');

    const review = await reviewRequest(runId);
    expect(review.call.authorization).toBe(`Bot ${fake.token}`);
    expect(contentOf(review.call)).toContain(
      `Review needed: Classify (run ${runId}): confidence 0.4 is below 0.7.`,
    );
    expect(contentOf(review.call)).toContain('"label":"question"');
    const buttons = buttonsOf(review.call.body);
    expect(buttons.map((b) => b.label)).toEqual(['Approve', 'Reject']);
    for (const button of buttons) expect(button.id).toMatch(/^aitws:runvote:/);
    expect(await stateOf(runId)).toBe('waiting');
    expect(fake.calls.some((c) => c.kind === 'channel' && contentOf(c).includes('Label:'))).toBe(false);

    const [approve] = buttons;
    const approved = await click(BOB, approve?.id ?? '', { id: review.id, ephemeral: false });
    expect(flags(approved) & EPHEMERAL).toBe(EPHEMERAL);
    expect(approved.content).toMatch(new RegExp(`bob approved run ${runId} \\(1 of 1`));
    const decided = await waitForMessage('channel-edit', (c) => contentOf(c).includes('Approved by bob'));
    expect(decided.path).toBe(`/channels/${CHANNEL}/messages/${review.id}`);
    const notified = await waitForMessage('channel', (c) => contentOf(c).includes('Label: question'));
    expect(notified.authorization).toBe(`Bot ${fake.token}`);
    await waitForMessage(
      'channel-edit',
      (c) => contentOf(c).includes(`Run ${runId} of Triage`) && contentOf(c).includes('succeeded'),
    );
    expect(await stateOf(runId)).toBe('succeeded');
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
    for (const secret of [CRM_TOKEN, fake.token]) expect(sent).not.toContain(secret);
    expect(request?.raw).not.toContain(API_KEY);
  });

  it('shows the AI facts in /results; Good records the rating, Bad replaces it', async () => {
    const results = await run(DAVE, 'results', [str('args', runId)]);
    expect(flags(results) & EPHEMERAL).toBe(EPHEMERAL);
    const text = [results.content, ...results.files.map((file) => file.text)].join('\n');
    expect(text).toMatch(
      /Sort \/ Classify: [^•]*"label": "question"[^•]* · confidence 0\.40 · 1 attempt · \$0\.\d{4}\n/,
    );
    expect(text).toContain('Sort / Post');
    const buttons = buttonsOf(results.message);
    expect(buttons.map((b) => b.label)).toEqual(['Good: Classify', 'Bad: Classify']);
    const [good, bad] = buttons;

    // The /results answer is ephemeral; Discord sends clicks on it with the ephemeral flag.
    const shown = { id: '240000000000000001', ephemeral: true };
    const rated = await click(DAVE, good?.id ?? '', shown);
    expect(flags(rated) & EPHEMERAL).toBe(EPHEMERAL);
    expect(rated.content).toContain(`Rated Sort / Classify of run ${runId} good.`);
    const feedback = bot.running.runs.runtime.ai?.feedback;
    const scope = feedbackScope({ platform: 'discord', workspace: GUILD, channel: CHANNEL }, 'Triage');
    const entries = (await feedback?.list(scope, { limit: 10 })) ?? [];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      run: runId,
      action: 'Classify',
      rating: 'good',
      by: { id: DAVE.userId },
      output: '{"label":"question","confidence":0.4}',
    });

    // Bad from the same /results replaces the rating: one per person, run and action.
    const replaced = await click(DAVE, bad?.id ?? '', shown);
    expect(replaced.content).toContain(`Rated Sort / Classify of run ${runId} bad.`);
    expect((await feedback?.list(scope, { limit: 10 }))?.map((entry) => entry.rating)).toEqual(['bad']);
    // A button is used once: a second click of Good says who used it and records nothing.
    const used = await click(DAVE, good?.id ?? '', shown);
    expect(used.content).toBe('Already done by dave.');
    expect((await feedback?.list(scope, { limit: 10 }))?.map((entry) => entry.rating)).toEqual(['bad']);
  });
});
