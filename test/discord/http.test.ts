/**
 * HTTP interactions mode through the real `aitws serve` HTTP server: Ed25519 signatures checked
 * with a key pair made here, PING/PONG, commands answered in the HTTP response, files delivered
 * by deferring and editing through the fake Discord's webhook, duplicates answered once.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERACTIONS_PATH } from '../../src/adapters/discord/http.js';
import { FakeDiscord } from '../support/fake-discord.js';
import {
  autocompletePayload,
  buttonPayload,
  commandPayload,
  pingPayload,
  str,
  type Where,
} from '../support/fake-discord-payloads.js';
import { type Bot, collectAnswer, startBot } from './bot.js';

let fake: FakeDiscord;
let bot: Bot;
let privateKey: KeyObject;
let otherKey: KeyObject;

beforeAll(async () => {
  const pair = generateKeyPairSync('ed25519');
  privateKey = pair.privateKey;
  otherKey = generateKeyPairSync('ed25519').privateKey;
  // The raw 32-byte key is the tail of the SPKI encoding: what the developer portal shows, in hex.
  const publicKeyHex = pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  fake = await FakeDiscord.start();
  bot = await startBot({ fake, publicKeyHex });
});
afterAll(async () => {
  await bot?.stop();
  await fake?.stop();
});

interface Sent {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

async function post(
  body: string,
  options: { key?: KeyObject; timestamp?: string; signature?: string | null } = {},
): Promise<Sent> {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const signature =
    options.signature === undefined
      ? sign(null, Buffer.from(timestamp + body), options.key ?? privateKey).toString('hex')
      : options.signature;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-signature-timestamp': timestamp,
  };
  if (signature !== null) headers['x-signature-ed25519'] = signature;
  const response = await fetch(`${bot.baseUrl}${INTERACTIONS_PATH}`, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

function channel(id: string): Where {
  return { ...bot.where, channelId: id };
}

describe('discord HTTP interactions', () => {
  it('answers PING with PONG', async () => {
    const sent = await post(JSON.stringify(pingPayload(fake.applicationId)));
    expect(sent).toEqual({ status: 200, json: { type: 1 } });
  });

  it('refuses unsigned, wrongly signed, tampered and stale requests with 401', async () => {
    const body = JSON.stringify(pingPayload(fake.applicationId));
    expect((await post(body, { signature: null })).status).toBe(401);
    expect((await post(body, { key: otherKey })).status).toBe(401);
    expect((await post(body, { signature: 'zz' })).status).toBe(401);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = sign(null, Buffer.from(timestamp + body), privateKey).toString('hex');
    expect((await post(`${body} `, { timestamp, signature })).status).toBe(401);
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    expect((await post(body, { timestamp: stale })).status).toBe(401);
  });

  it('handles a signed command in the HTTP response, and a second delivery of it once', async () => {
    const where = channel('230000000000000001');
    const body = JSON.stringify(commandPayload('create', [str('name', 'Over HTTP')], where));
    const sent = await post(body);
    expect(sent.status).toBe(200);
    expect(sent.json.type).toBe(4);
    const data = sent.json.data as { content: string; allowed_mentions: unknown };
    expect(data.content).toContain('Created "Over HTTP"');
    expect(data.allowed_mentions).toEqual({ parse: [] });
    expect((await post(body)).status).toBe(409);
  });

  it('defers and edits in an answer with a file, which an HTTP response cannot carry', async () => {
    const where = channel('230000000000000002');
    await post(JSON.stringify(commandPayload('create', [str('name', 'Filed')], where)));
    const payload = commandPayload('save', [], where);
    const sent = await post(JSON.stringify(payload));
    expect(sent.json.type).toBe(5);
    const answer = await collectAnswer(fake, String(payload.token), sent.json);
    expect(answer.files.map((f) => f.name)).toEqual(['workflow.toml']);
    expect(answer.files[0]?.text).toContain('name = "Filed"');
  });

  it('attaches /graph as a PNG file', async () => {
    const where = channel('230000000000000009');
    await post(JSON.stringify(commandPayload('create', [str('name', 'Pictured')], where)));
    const payload = commandPayload('graph', [], where);
    const sent = await post(JSON.stringify(payload));
    const answer = await collectAnswer(fake, String(payload.token), sent.json);
    expect(answer.files.map((f) => [f.name, f.contentType])).toEqual([['workflow.png', 'image/png']]);
    const png = Buffer.from(answer.files[0]?.bytes ?? new Uint8Array());
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThan(50);
  });

  it('autocompletes and answers buttons over HTTP', async () => {
    const where = channel('230000000000000003');
    const completed = await post(
      JSON.stringify(autocompletePayload('add', [str('section', 'log', true)], where)),
    );
    expect(completed.json).toEqual({ type: 8, data: { choices: [{ name: 'logging', value: 'logging' }] } });

    await post(JSON.stringify(commandPayload('create', [], where)));
    const prompt = await post(JSON.stringify(commandPayload('create', [str('name', 'New')], where)));
    const rows = (prompt.json.data as { components: { components: { custom_id: string }[] }[] }).components;
    const cancel = rows[0]?.components[1]?.custom_id ?? '';
    expect(cancel).toMatch(/:cancel$/);
    const click = buttonPayload(cancel, where, { ephemeral: true });
    const clicked = await post(JSON.stringify(click));
    expect(clicked.json.type).toBe(7);
    const announced = await fake.waitForCall(
      (c) => c.kind === 'followup' && c.target === String(click.token),
    );
    expect(announced.body.content).toMatch(/Cancelled by Alice/);
  });

  it('answers a click on an expired or foreign button privately, changing nothing', async () => {
    const where = channel('230000000000000004');
    for (const [customId, expected] of [
      ['aitws:AAAAAAAAAAAA:confirm', /expired/],
      ['someone-else:1', /not one of ours/],
    ] as const) {
      const clicked = await post(JSON.stringify(buttonPayload(customId, where, { ephemeral: false })));
      expect(clicked.json.type).toBe(4);
      const data = clicked.json.data as { flags: number; content: string };
      expect(data.flags & 64).toBe(64);
      expect(data.content).toMatch(expected);
    }
  });

  it('answers 400 to a signed body that is not an interaction', async () => {
    expect((await post('{"nonsense":true}')).status).toBe(400);
    expect((await post('not json')).status).toBe(400);
  });
});
