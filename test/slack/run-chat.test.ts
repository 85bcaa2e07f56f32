/**
 * A run's messages in Slack through the real WebClient against the fake Web API: buttons in an
 * actions block, an edit that drops them, text escaped and cut within Slack's limits, a 429 that
 * waits for Retry-After and then succeeds, and refusals turned into errors that say what to do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSlackRunChat,
  RUN_MESSAGE_TEXT_BUDGET,
  type SlackRunChat,
} from '../../src/adapters/slack/run-chat.js';
import type { SlackConfig } from '../../src/config.js';
import { AitwsError } from '../../src/errors.js';
import { type Logger, silentLogger } from '../../src/logging.js';
import type { ChannelKey } from '../../src/session/port.js';
import { type ApiCall, BOT_TOKEN, type FakeSlack, startFakeSlack } from '../support/fake-slack.js';

let fake: FakeSlack;
let chat: SlackRunChat;
const warnings: string[] = [];
const logger: Logger = { ...silentLogger, warn: (_fields, message) => warnings.push(message) };
const channel: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C0RUNS' };
const approve = 'aitws:runvote:rabc:0123456789ab:approve';
const reject = 'aitws:runvote:rabc:0123456789ab:reject';

function config(apiUrl: string): SlackConfig {
  return { botToken: BOT_TOKEN, signingSecret: 'secret', appToken: undefined, apiUrl };
}

interface BlockJson {
  readonly type: string;
  readonly text?: { readonly type: string; readonly text: string; readonly verbatim?: boolean };
  readonly elements?: readonly { readonly action_id?: string; readonly style?: string }[];
}

function blocksOf(call: ApiCall | undefined): BlockJson[] {
  const blocks = call?.args.blocks;
  if (!Array.isArray(blocks)) throw new Error('no blocks');
  return blocks as BlockJson[];
}

function sections(call: ApiCall | undefined): string[] {
  return blocksOf(call).flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));
}

beforeAll(async () => {
  fake = await startFakeSlack();
  const created = createSlackRunChat(config(fake.apiUrl), logger);
  if (created === undefined) throw new Error('no chat');
  chat = created;
});

afterAll(async () => {
  await fake?.close();
});

describe('SlackRunChat', () => {
  it('posts the text with its buttons and returns the message ts', async () => {
    const before = fake.callsOf('chat.postMessage').length;
    const posted = await chat.post(channel, {
      text: 'Approval needed for deploy.\nOr type /approve rabc or /reject rabc [reason].',
      buttons: [
        { id: approve, label: 'Approve', style: 'primary' },
        { id: reject, label: 'Reject', style: 'danger' },
      ],
    });
    const call = fake.callsOf('chat.postMessage')[before];
    expect(call?.token).toBe(BOT_TOKEN);
    // Form-encoded, so the flag arrives as text.
    expect(call?.args).toMatchObject({ channel: 'C0RUNS', link_names: 'false', parse: 'none' });
    expect(posted).toEqual({ channel, messageId: expect.stringMatching(/^1700000000\.\d{6}$/) });
    expect(String(call?.args.text)).toContain('Approval needed for deploy.');
    // Slack runs every command under /aitws, so the run's hint is worded that way.
    expect(sections(call).join('\n')).toContain('/aitws approve rabc or /aitws reject rabc');
    const actions = blocksOf(call).filter((block) => block.type === 'actions');
    expect(actions).toHaveLength(1);
    expect(actions[0]?.elements?.map((e) => [e.action_id, e.style])).toEqual([
      [approve, 'primary'],
      [reject, 'danger'],
    ]);
  });

  it('updates the message in place, and an update without buttons removes them', async () => {
    const posted = await chat.post(channel, {
      text: 'Run rabc: running',
      buttons: [{ id: approve, label: 'Approve' }],
    });
    if (posted === undefined) throw new Error('not posted');
    const before = fake.callsOf('chat.update').length;
    await chat.update(posted, { text: 'Approved by eve.' });
    const call = fake.callsOf('chat.update')[before];
    expect(call?.args).toMatchObject({ channel: 'C0RUNS', ts: posted.messageId, text: 'Approved by eve.' });
    // Blocks always go along: without them Slack would keep the old buttons.
    expect(blocksOf(call).map((block) => block.type)).toEqual(['section']);
    expect(sections(call)).toEqual(['Approved by eve.']);
  });

  it('cuts a long text within 3,000 characters a section, 50 blocks and the message budget', async () => {
    const long = Array.from({ length: 5000 }, (_, i) => `line ${i} <tag> & more`).join('\n');
    const before = fake.callsOf('chat.postMessage').length;
    await chat.post(channel, { text: long, buttons: [{ id: 'aitws:results:rabc', label: 'Results' }] });
    const call = fake.callsOf('chat.postMessage')[before];
    const texts = sections(call);
    expect(blocksOf(call).length).toBeLessThanOrEqual(50);
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(3000);
    const total = texts.reduce((sum, text) => sum + text.length, 0);
    expect(total).toBeLessThanOrEqual(RUN_MESSAGE_TEXT_BUDGET);
    expect(total).toBeGreaterThan(RUN_MESSAGE_TEXT_BUDGET - 3000);
    expect(texts.at(-1)).toMatch(/…$/);
    // Never cut inside an entity: every & starts a whole one.
    for (const text of texts) expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    expect(String(call?.args.text).length).toBeLessThanOrEqual(300);
    expect(blocksOf(call).at(-1)?.type).toBe('actions');
  });

  it('shows <!channel> and other Slack markup as text: nothing pings or links', async () => {
    const before = fake.callsOf('chat.postMessage').length;
    await chat.post(channel, { text: 'Deploy <!channel> <!here> <@U123> <https://evil.example|docs> done' });
    const call = fake.callsOf('chat.postMessage')[before];
    expect(JSON.stringify(call?.args)).not.toMatch(/<[!@#h]/);
    expect(call?.args.text).toBe(
      'Deploy &lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|docs&gt; done',
    );
    for (const block of blocksOf(call)) expect(block.text).toMatchObject({ type: 'mrkdwn', verbatim: true });
  });

  it('waits for Retry-After on a 429 and then posts once', async () => {
    fake.rateLimitNext('chat.postMessage', 1);
    const before = fake.callsOf('chat.postMessage').length;
    const posted = await chat.post(channel, { text: 'after the limit' });
    const calls = fake.callsOf('chat.postMessage').slice(before);
    expect(calls.map((call) => call.rateLimited === true)).toEqual([true, false]);
    const [limited, retried] = calls;
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(posted?.messageId).toMatch(/^1700000000\.\d{6}$/);
    expect(warnings).toContain('Slack rate-limited a run message; waiting');
  });

  it('turns a refusal into an error that says how to fix it, not retried', async () => {
    fake.failNext('chat.postMessage', 'not_in_channel');
    const before = fake.callsOf('chat.postMessage').length;
    const error = await chat.post(channel, { text: 'hello' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AitwsError);
    expect(error).toMatchObject({ code: 'NOT_AVAILABLE', retryable: false });
    expect(String((error as AitwsError).message)).toContain('not_in_channel');
    expect((error as AitwsError).hint).toMatch(/invite/i);
    expect(fake.callsOf('chat.postMessage').length - before).toBe(1);
  });

  it('says a message it cannot edit any more is gone', async () => {
    fake.failNext('chat.update', 'message_not_found');
    const error = await chat
      .update({ channel, messageId: '1700000000.999999' }, { text: 'late' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'NOT_AVAILABLE', retryable: false });
  });

  it('is not built without Slack configured', () => {
    expect(createSlackRunChat(undefined, logger)).toBeUndefined();
  });
});
