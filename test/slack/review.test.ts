import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD_SHORTCUT_ID } from '../../src/adapters/slack/index.js';
import type { AccessRecord } from '../../src/session/access-port.js';
import { type FakeSlack, type ResponsePost, startFakeSlack } from '../support/fake-slack.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { reviewDraft } from '../support/review-draft.js';
import { buttonsOf, messageText, type SlackBot, startSlackBot } from '../support/slack-bot.js';
import { buttonPayload, TEAM } from '../support/slack-requests.js';

interface Person {
  readonly user: string;
  readonly userName: string;
}

const ADMIN: Person = { user: 'UADMIN01', userName: 'root' };
const BOB: Person = { user: 'UBOB0001', userName: 'bob' };
const CAROL: Person = { user: 'UCAROL01', userName: 'carol' };
/** Holds no grant: the defaults (read, write). */
const DAVE: Person = { user: 'UDAVE001', userName: 'dave' };
const ERIN: Person = { user: 'UERIN001', userName: 'erin' };
const CHANNEL = 'CREVIEW1';
const OTHER = 'CREVIEW2';
/** Where the submission was posted; Slack names the clicked message by it. */
const SUBMISSION_TS = '1700000500.000100';

let fake: FakeSlack;
let redis: RedisServer;
let bot: SlackBot;

beforeAll(async () => {
  [fake, redis] = await Promise.all([startFakeSlack(), startRedis()]);
  bot = await startSlackBot({ fake, redisUrl: redis.url, env: { AITWS_ADMINS: `slack:${ADMIN.user}` } });
});

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fake?.close(), redis?.stop()]);
});

type Message = Record<string, unknown>;

/** A slash command's answer, from the ack or (after an upload, say) from its response_url. */
async function run(who: Person, text: string, channel = CHANNEL): Promise<Message> {
  const result = await bot.command({ text, channel, ...who });
  expect(result.status).toBe(200);
  if (result.inAck !== undefined) return result.inAck;
  const [post] = await fake.waitForPosts(result.responseUrl, 1);
  return post?.body ?? {};
}

async function click(who: Person, actionId: string, label: string, channel = CHANNEL) {
  const responseUrl = fake.responseUrl();
  const payload = buttonPayload({ actionId, label, responseUrl, channel, ...who });
  // The submission is a public message: Slack says so, and which message it is.
  const container = { type: 'message', message_ts: SUBMISSION_TS, channel_id: channel, is_ephemeral: false };
  const result = await bot.interact({ ...payload, container });
  expect(result.status).toBe(200);
  return responseUrl;
}

/** What was posted to a response_url, once nothing more arrives. */
async function settled(responseUrl: string, count: number): Promise<ResponsePost[]> {
  await fake.waitForPosts(responseUrl, count);
  await new Promise((resolve) => setTimeout(resolve, 250));
  return fake.postsTo(responseUrl);
}

function access(channel = CHANNEL): Promise<AccessRecord> {
  return bot.running.core.access.read({ platform: 'slack', workspace: TEAM, channel });
}

async function loadReviewDraft(): Promise<void> {
  const file = fake.hostFile('review.toml', await reviewDraft());
  const responseUrl = fake.responseUrl();
  await bot.interact({
    type: 'message_action',
    callback_id: LOAD_SHORTCUT_ID,
    trigger_id: 'trigger-shortcut',
    response_url: responseUrl,
    team: { id: TEAM, domain: 'test' },
    channel: { id: CHANNEL, name: 'review' },
    user: { id: ADMIN.user, username: ADMIN.userName, name: ADMIN.userName, team_id: TEAM },
    message_ts: '1700000400.000100',
    message: { type: 'message', user: ADMIN.user, ts: '1700000400.000100', text: 'the draft', files: [file] },
    token: 'legacy-verification-token',
  });
  const [post] = await fake.waitForPosts(responseUrl, 1);
  expect(messageText(post?.body ?? {})).toMatch(/Loaded review\.toml/);
}

function voteButtons(message: Message): { approve: string; reject: string } {
  const buttons = buttonsOf(message);
  expect(buttons.map((b) => b.label)).toEqual(['Approve', 'Reject']);
  const [approve, reject] = buttons.map((b) => b.actionId);
  if (approve === undefined || reject === undefined) throw new Error('no vote buttons');
  expect(approve).toMatch(/^aitws:vote:[A-Za-z0-9_-]{8,32}:approve$/);
  return { approve, reject };
}

describe('Slack access control and review', () => {
  let buttons: { approve: string; reject: string };

  it('lets the workspace admin grant Approver to two people by mention', async () => {
    await loadReviewDraft();
    for (const person of [BOB, CAROL]) {
      // As Slack sends a typed @mention with should_escape: true.
      const granted = await run(ADMIN, `grant <@${person.user}|${person.userName}> Approver`);
      expect(granted.response_type).toBe('in_channel');
      // The mention's label (their handle) is the name shown; the id is what counts.
      expect(messageText(granted)).toContain(
        `root granted Approver to ${person.userName} here (read, approve)`,
      );
    }
    const members = await run(DAVE, 'members');
    expect(members.response_type).toBe('ephemeral');
    expect(messageText(members)).toMatch(new RegExp(`${BOB.userName} \\(${BOB.user}\\): Approver`));
    const { grants } = await access();
    expect(grants.map((g) => [g.user.id, g.role])).toEqual([
      [BOB.user, 'Approver'],
      [CAROL.user, 'Approver'],
    ]);
  });

  it('refuses /grant from someone without a grant, naming the privilege it needs', async () => {
    const refused = await run(DAVE, `grant <@${DAVE.user}|dave> Administrator`);
    expect(refused.response_type).toBe('ephemeral');
    expect(messageText(refused)).toMatch(/grant needs the admin privilege; you hold read, write here/);
    expect((await access()).grants).toHaveLength(2);
  });

  it('posts a submission with Approve and Reject buttons', async () => {
    const submitted = await run(ERIN, 'submit adds the Approver role');
    expect(submitted.response_type).toBe('in_channel');
    expect(messageText(submitted)).toMatch(/erin asks for review of v1: adds the Approver role/);
    expect(messageText(submitted)).toMatch(/Waiting for review · 0 of 2 approvals/);
    buttons = voteButtons(submitted);
  });

  it('refuses privately a forged button naming another channel’s review, changing nothing', async () => {
    await run(ADMIN, 'create name="Other"', OTHER);
    const elsewhere = voteButtons(await run(ERIN, 'submit', OTHER));
    const posted = fake.callsOf('chat.postMessage').length;
    const responseUrl = await click(BOB, elsewhere.approve, 'Approve');
    const [answer, ...more] = await settled(responseUrl, 1);
    expect(more).toEqual([]);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(messageText(answer?.body ?? {})).toMatch(/no longer this channel's current one/);
    expect(fake.callsOf('chat.postMessage')).toHaveLength(posted);
    expect((await access()).review?.votes).toEqual([]);
    expect((await access(OTHER)).review?.votes).toEqual([]);
  });

  it('refuses privately a click by someone without the approve privilege', async () => {
    const responseUrl = await click(DAVE, buttons.approve, 'Approve');
    const [answer, ...more] = await settled(responseUrl, 1);
    expect(more).toEqual([]);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(messageText(answer?.body ?? {})).toMatch(/approve needs the approve privilege/);
    expect((await access()).review?.votes).toEqual([]);
  });

  it('counts two approvals clicked at once, replacing the message until it says who approved', async () => {
    const posted = fake.callsOf('chat.postMessage').length;
    const urls = await Promise.all([
      click(BOB, buttons.approve, 'Approve'),
      click(CAROL, buttons.approve, 'Approve'),
    ]);
    const answers = await Promise.all(urls.map((url) => settled(url, 1)));
    for (const posts of answers) {
      expect(posts).toHaveLength(1);
      expect(posts[0]?.body).toMatchObject({ replace_original: true, response_type: 'in_channel' });
    }
    expect(fake.callsOf('chat.postMessage')).toHaveLength(posted);
    // In the order Slack received them: the last replacement is what the channel sees.
    const paths = new Set(answers.flat().map((post) => post.path));
    const final = fake.responses.filter((post) => paths.has(post.path)).at(-1)?.body ?? {};
    expect(messageText(final)).toMatch(/Approved by (bob and carol|carol and bob) · v1/);
    expect(buttonsOf(final)).toEqual([]);
    const texts = answers.map((posts) => messageText(posts[0]?.body ?? {}));
    // Each reply shows the review as it stood after its vote: one approval of two, or both when
    // the other vote had already landed.
    for (const text of texts)
      expect(text).toMatch(/Waiting for review · 1 of 2 approvals|Approved by (bob and carol|carol and bob)/);
    const { review } = await access();
    expect(review?.state).toBe('approved');
    expect(review?.votes.map((v) => v.voter.id).sort()).toEqual([BOB.user, CAROL.user].sort());
  });

  it('answers a click on the decided message privately, leaving the message as it is', async () => {
    const responseUrl = await click(BOB, buttons.approve, 'Approve');
    const [answer, ...more] = await settled(responseUrl, 1);
    expect(more).toEqual([]);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(messageText(answer?.body ?? {})).toMatch(/Already decided: Approved by/);
    expect((await access()).review?.votes).toHaveLength(2);
  });

  it('lists the grants, the submission and the votes in /aitws audit', async () => {
    const audit = await run(DAVE, 'audit');
    expect(audit.response_type).toBe('ephemeral');
    const text = messageText(audit);
    for (const person of [BOB, CAROL]) {
      expect(text).toMatch(
        new RegExp(`root · grant · .*Approver to ${person.userName} \\(${person.user}\\)`),
      );
      expect(text).toMatch(new RegExp(`${person.userName} · approve · `));
    }
    expect(text).toMatch(/erin · submit · .*v1/);
    expect(text).toMatch(/ · approved · /);
    expect(text).toMatch(/dave · refused · \/aitws grant .* needs admin/);
  });
});
