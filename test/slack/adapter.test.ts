/** The adapter as a platform: configuration, routes, the replay window and shutdown. */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackApiUrl, withinReplayWindow } from '../../src/adapters/slack/adapter.js';
import { createSlackAdapter, slackPlatform } from '../../src/adapters/slack/index.js';
import { buildCore } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createHttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/logging.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests.js';

let fake: FakeSlack;

beforeAll(async () => {
  fake = await startFakeSlack();
});

afterAll(async () => {
  await fake?.close();
});

describe('slackPlatform', () => {
  it('is not started without SLACK_BOT_TOKEN', async () => {
    const config = loadConfig({ AITWS_DATA_DIR: '/tmp/aitws-slack-unused' });
    const core = buildCore({ config, logger: silentLogger });
    expect(slackPlatform({ config, core, logger: silentLogger })).toBeUndefined();
    await core.close();
  });

  it('serves POST /slack/events in HTTP mode and no route in Socket Mode', async () => {
    const http = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      AITWS_DATA_DIR: '/tmp/aitws-slack-unused',
    });
    const core = buildCore({ config: http, logger: silentLogger });
    const adapter = slackPlatform({ config: http, core, logger: silentLogger });
    expect(adapter?.routes.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /slack/events']);
    const socket = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_APP_TOKEN: 'xapp-1',
      AITWS_DATA_DIR: '/tmp/aitws-slack-unused',
    });
    expect(slackPlatform({ config: socket, core, logger: silentLogger })?.routes).toEqual([]);
    await core.close();
  });

  it('refuses new requests with 503 once it is stopping', async () => {
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      AITWS_DATA_DIR: '/tmp/aitws-slack-unused',
    });
    const core = buildCore({ config, logger: silentLogger });
    if (config.slack === undefined) throw new Error('no Slack config');
    const adapter = createSlackAdapter({
      slack: config.slack,
      dispatcher: core.dispatcher,
      interactions: core.interactions,
      limits: config.limits,
      logger: silentLogger,
    });
    const server = createHttpServer({ routes: adapter.routes, limits: config.http, logger: silentLogger });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    await adapter.start();
    await adapter.stop();
    const body = commandBody({ text: 'help', responseUrl: fake.responseUrl() });
    expect((await postSigned(url, body, 'application/x-www-form-urlencoded')).status).toBe(503);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await core.close();
  });
});

describe('helpers', () => {
  it('gives WebClient the trailing slash it needs', () => {
    expect(slackApiUrl('http://127.0.0.1:9/api')).toBe('http://127.0.0.1:9/api/');
    expect(slackApiUrl('http://127.0.0.1:9/api/')).toBe('http://127.0.0.1:9/api/');
    expect(slackApiUrl(undefined)).toBeUndefined();
  });

  it('accepts a timestamp within five minutes either way and refuses more, or garbage', () => {
    const now = 1_700_000_000_000;
    expect(withinReplayWindow(String(now / 1000 - 300), now)).toBe(true);
    expect(withinReplayWindow(String(now / 1000 + 300), now)).toBe(true);
    expect(withinReplayWindow(String(now / 1000 - 301), now)).toBe(false);
    expect(withinReplayWindow(String(now / 1000 + 301), now)).toBe(false);
    for (const bad of [undefined, '', 'abc', '1e9', ['1', '2']])
      expect(withinReplayWindow(bad, now)).toBe(false);
  });
});
