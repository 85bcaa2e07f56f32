/**
 * The core entry points every adapter calls. `handle`: normalise → parse → find the command →
 * check the privilege → run → mask (run.ts). `handleButton`: a click (clicks.ts). Neither throws;
 * every failure becomes a Reply.
 */

import { performance } from 'node:perf_hooks';
import type { AccessPolicy } from '../access/privileges.js';
import { AccessControl } from '../access/service.js';
import type { Assistant } from '../assistant/assistant.js';
import type { PackagingSettings } from '../config-oci.js';
import { maskSecrets } from '../document/redact.js';
import type { Limits } from '../document/types.js';
import type { WebhookSettings } from '../http/hooks-sign.js';
import type { PageLinks } from '../http/page-links.js';
import type { Logger } from '../logging.js';
import type { CommandMetrics } from '../metrics.js';
import type { EventRouter } from '../runtime/events.js';
import type { Runtime } from '../runtime/runtime.js';
import type { SecretSource } from '../runtime/secrets.js';
import type { AccessStore } from '../session/access-port.js';
import { Drafts } from '../session/drafts.js';
import type { InteractionStore } from '../session/interaction-port.js';
import type { SessionStore } from '../session/port.js';
import { buttonId, storeAction } from './buttons.js';
import { handleButton } from './clicks.js';
import { checkDocument } from './document-check.js';
import { commandNameOf, normalizeChatText, parseCommandLine } from './grammar/index.js';
import { historyLine } from './history-line.js';
import { maskReply } from './mask-reply.js';
import { COMMANDS } from './registry.js';
import { clarifyingQuestion, renderError } from './render-error.js';
import type { Reply } from './reply.js';
import { type Core, run } from './run.js';
import type { ButtonClick, CommandDefinition, FileAccess, Invocation, ParsedCommand } from './types.js';

export interface DispatcherDeps {
  readonly sessions: SessionStore;
  readonly interactions: InteractionStore;
  /** Grants, reviews and the audit trail, on the same backend as the sessions. */
  readonly accessStore: AccessStore;
  readonly accessPolicy: AccessPolicy;
  readonly files?: FileAccess;
  readonly limits: Limits;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly commands?: readonly CommandDefinition[];
  readonly metrics?: CommandMetrics;
  readonly assistant?: Assistant;
  /** Runs workflows (the job commands); absent, they say nothing can run here. */
  readonly runtime?: Runtime;
  readonly events?: EventRouter;
  readonly webhooks?: WebhookSettings;
  readonly packaging?: PackagingSettings;
  readonly secrets?: SecretSource;
  readonly pageLinks?: PageLinks;
}

export interface Dispatcher {
  handle(invocation: Invocation): Promise<Reply>;
  handleButton(click: ButtonClick): Promise<Reply>;
  /**
   * What /load would say about this document, without loading it: undefined when it would load,
   * else one line for a form to show (see document-check.ts).
   */
  checkDocument(text: string): string | undefined;
  readonly commands: readonly CommandDefinition[];
}
/**
 * The typed line as the channel may see it. A line that does not parse shows only its command's
 * name: its values were never parsed, so a secret in it could not be told from the text around it.
 */
function echoOf(text: string): string {
  const normalized = normalizeChatText(text);
  let command: ParsedCommand;
  try {
    command = parseCommandLine(normalized);
  } catch {
    const name = commandNameOf(normalized);
    return name === undefined ? '' : maskSecrets(`/${name}`);
  }
  return historyLine(normalized, command);
}

/** When a command fails validation, offer to ask the assistant: a button in chat, a hint otherwise. */
async function offerClarification(
  core: Core,
  reply: Reply,
  error: unknown,
  invocation: Invocation,
): Promise<Reply> {
  const { deps } = core;
  if (deps.assistant?.online !== true) return reply;
  const buttons = invocation.supportsButtons === true;
  const question = clarifyingQuestion(error, invocation.text, buttons ? 'full' : 'short');
  if (question === undefined) return reply;
  if (!buttons)
    return { ...reply, blocks: [...reply.blocks, { kind: 'text', text: `Not sure why? ${question}` }] };
  try {
    const id = await storeAction(deps.interactions, invocation, core.now(), {
      commands: [question],
      summary: 'Ask the assistant about this error',
    });
    return {
      ...reply,
      buttons: [...reply.buttons, { id: buttonId(id, 'confirm'), label: 'Ask the assistant' }],
    };
  } catch (storeError) {
    deps.logger.warn({ err: storeError }, 'could not offer to ask the assistant about an error');
    return reply;
  }
}

/** A bounded label set for metrics: known command names, or "unknown". */
function metricName(commands: readonly CommandDefinition[], text: string): string {
  const name = commandNameOf(text);
  return name !== undefined && commands.some((c) => c.name === name) ? name : 'unknown';
}

async function handle(core: Core, invocation: Invocation): Promise<Reply> {
  const started = performance.now();
  let reply: Reply;
  try {
    reply = maskReply(await run(core, invocation));
  } catch (error) {
    const rendered = renderError(error, core.deps.logger, {
      channel: invocation.channel,
      actor: invocation.actor.id,
    });
    reply = maskReply(await offerClarification(core, rendered, error, invocation));
  }
  const seconds = (performance.now() - started) / 1000;
  core.deps.metrics?.observeCommand(metricName(core.commands, invocation.text), reply.ok, seconds);
  return { ...reply, echo: echoOf(invocation.text) };
}
export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const now = deps.now ?? (() => new Date());
  const core: Core = {
    deps,
    commands: deps.commands ?? COMMANDS,
    now,
    drafts: new Drafts(deps.sessions, { limits: deps.limits, now }),
    access: new AccessControl({
      store: deps.accessStore,
      policy: deps.accessPolicy,
      now,
      logger: deps.logger,
    }),
  };
  return {
    handle: (invocation) => handle(core, invocation),
    handleButton: (click) => handleButton(core, click),
    checkDocument: (text) => checkDocument(text, deps.limits),
    commands: core.commands,
  };
}
