/**
 * A dispatcher with the real assistant: the Anthropic provider (real SDK) talking to the fake
 * Messages API, in-memory stores, and the original sample (plus a few extra secrets) as the draft.
 */

import { readFileSync } from 'node:fs';
import { type AccessPolicy, DEFAULT_ACCESS_POLICY } from '../../src/access/privileges.js';
import { createAssistant } from '../../src/assistant/assistant.js';
import type { AssistantLimits } from '../../src/assistant/guard.js';
import { createAnthropicProvider } from '../../src/assistant/provider-anthropic.js';
import type { RetryPolicy } from '../../src/assistant/provider-retry.js';
import { createDispatcher, type Dispatcher } from '../../src/commands/dispatch.js';
import type { Reply } from '../../src/commands/reply.js';
import { parseDocument } from '../../src/document/index.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { silentLogger } from '../../src/logging.js';
import { MemoryAccessStore } from '../../src/session/access-memory.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { ChannelKey } from '../../src/session/port.js';
import { type FakeAnthropic, startFakeAnthropic } from '../support/fake-anthropic.js';
import { SAMPLE_TOML } from '../support/paths.js';

/** Secrets the sample does not have, in the shapes the redaction rules know. */
export const EXTRA_SECRETS = `
[x_integrations]
api_key = "sk-live-EXTRA0SECRET0KEY"
alerts = "https://hooks.slack.com/services/T0000/B0000/WEBHOOKSECRET0TOKEN"
db_password = "hunter2-extra"
token_ref = "\${secret:SLACK_TOKEN}"
`;

/** Every literal credential in the draft above; none may reach the model provider. */
export const DRAFT_SECRETS = [
  'user:password@',
  'sk-live-EXTRA0SECRET0KEY',
  'WEBHOOKSECRET0TOKEN',
  'hunter2-extra',
] as const;

export const SAMPLE_TEXT = readFileSync(SAMPLE_TOML, 'utf8');

export interface AssistantHarnessOptions {
  readonly online?: boolean;
  readonly limits?: Partial<AssistantLimits>;
  readonly retry?: Partial<RetryPolicy>;
  readonly timeoutMs?: number;
  /** Seed the channel with the sample (default true). */
  readonly sample?: boolean;
  /** Workspace admins and defaults (default: none, read and write). */
  readonly policy?: AccessPolicy;
}

export interface AssistantHarness {
  readonly fake: FakeAnthropic;
  readonly dispatcher: Dispatcher;
  readonly store: MemorySessionStore;
  readonly channel: ChannelKey;
  /** Console-style: no buttons. */
  run(text: string, user?: string): Promise<Reply>;
  /** Chat-style: the adapter shows buttons. */
  chat(text: string, user?: string): Promise<Reply>;
  click(reply: Reply, label: string, user: string): Promise<Reply>;
  close(): Promise<void>;
}

/** A Slack-shaped id, so /grant can mention the person: alice → UALICE. */
export const actor = (name: string) => ({ id: `U${name.toUpperCase()}`, name });

export async function createAssistantHarness(
  options: AssistantHarnessOptions = {},
): Promise<AssistantHarness> {
  const fake = await startFakeAnthropic();
  const store = new MemorySessionStore();
  const interactions = new MemoryInteractionStore();
  const channel: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C1' };
  const provider =
    options.online === false
      ? undefined
      : createAnthropicProvider({
          apiKey: 'sk-ant-test-key',
          baseUrl: fake.url,
          timeoutMs: options.timeoutMs ?? 5000,
          retry: { baseDelayMs: 1, maxDelayMs: 5, ...options.retry },
        });
  const assistant = createAssistant({
    provider,
    interactions,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const dispatcher = createDispatcher({
    sessions: store,
    interactions,
    accessStore: new MemoryAccessStore(),
    accessPolicy: options.policy ?? DEFAULT_ACCESS_POLICY,
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
    assistant,
  });
  if (options.sample !== false) {
    const document = parseDocument(SAMPLE_TEXT + EXTRA_SECRETS, DEFAULT_LIMITS);
    await store.write(channel, 0, {
      document,
      at: new Date().toISOString(),
      by: 'setup',
      change: '/load ai.toml',
    });
  }
  const handle = (text: string, user: string, supportsButtons: boolean) =>
    dispatcher.handle({ text, actor: actor(user), channel, supportsButtons });
  return {
    fake,
    dispatcher,
    store,
    channel,
    run: (text, user = 'alice') => handle(text, user, false),
    chat: (text, user = 'alice') => handle(text, user, true),
    click(reply, label, user) {
      const button = reply.buttons.find((candidate) => candidate.label === label);
      if (button === undefined) throw new Error(`no ${label} button in the reply`);
      return dispatcher.handleButton({ buttonId: button.id, actor: actor(user), channel });
    },
    close: () => fake.close(),
  };
}

export function errorCode(reply: Reply): string | undefined {
  const data = reply.data as { error?: { code?: string } } | undefined;
  return data?.error?.code;
}
