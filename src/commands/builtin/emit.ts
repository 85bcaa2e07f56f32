import { randomUUID } from 'node:crypto';
import { AitwsError } from '../../errors.js';
import type { Delivery, EventRouter, FiredTrigger } from '../../runtime/events.js';
import { eventTypeOf } from '../../runtime/events-match.js';
import { EVENT_NAME } from '../../runtime/executors/emit.js';
import type { JsonObject } from '../../runtime/run-store.js';
import { encodeValue } from '../../session/codec-values.js';
import { success } from '../reply.js';
import { runnableVersion } from '../runs/runnable.js';
import type { CommandContext, CommandDefinition } from '../types.js';

export function eventsOf(context: CommandContext): EventRouter {
  const events = context.events;
  if (events !== undefined) return events;
  throw new AitwsError('NOT_AVAILABLE', 'Events cannot be raised here: this process has no runtime.', {
    hint: 'Run the console (npm start), or `aitws serve`.',
  });
}

export function outcomeText(fired: FiredTrigger): string {
  const handler = fired.handler === undefined ? '' : ` → ${fired.handler}`;
  const outcome = fired.outcome;
  switch (outcome.kind) {
    case 'run':
      return `${fired.trigger}${handler}: run ${outcome.runId} ${outcome.existing ? 'already started' : 'started'}`;
    case 'action':
      return outcome.result.ok
        ? `${fired.trigger}${handler}: ran (${outcome.type})`
        : `${fired.trigger}${handler}: failed (${outcome.type}): ${outcome.result.message}`;
    case 'refused':
      return `${fired.trigger}${handler}: not run: ${outcome.reason}`;
  }
}

function deliveryData(delivery: Delivery): JsonObject {
  return {
    event: delivery.type,
    id: delivery.id,
    triggers: delivery.fired.map((fired) => ({
      trigger: fired.trigger,
      handler: fired.handler ?? null,
      outcome: fired.outcome.kind,
      ...(fired.outcome.kind === 'run' ? { run_id: fired.outcome.runId } : {}),
      ...(fired.outcome.kind === 'action' ? { ok: fired.outcome.result.ok } : {}),
    })),
    runs: delivery.fired.flatMap((fired) => (fired.outcome.kind === 'run' ? [fired.outcome.runId] : [])),
    woken: [...delivery.woken],
  };
}

export const emitCommand: CommandDefinition = {
  name: 'emit',
  group: 'runs',
  privilege: 'execute',
  summary: 'Raise an event: the triggers listening for it fire',
  usage: '/emit EVENT [key=value ...]',
  description:
    "Raises an event in this channel, as the signed webhook (/hooks) does from outside. EVENT is an [[events]] entry's name or its type; key=value pairs are the event's data (the inputs of a run a trigger starts, {{ inputs.key }} in a handler's with). Every [[triggers]] entry naming a matching [[events]] entry runs its [[handlers]] entry: action = \"run\" starts a run of the channel's workflow (the approved version when review is required), an action or action type runs once, Notify<Role> posts here. Runs of this channel waiting for the event (a wait step with event = EVENT) go on. Answers with what it fired.",
  accepts: { params: 'fields', words: 1 },
  examples: ['/emit ResourceCreationEvent', '/emit model_error model="classifier" code=500'],
  async run(context) {
    const events = eventsOf(context);
    const [name] = context.command.positionals;
    if (name === undefined || !EVENT_NAME.test(name))
      throw new AitwsError('USAGE', name === undefined ? 'Which event?' : `"${name}" is not an event name.`, {
        hint: 'Name an [[events]] entry or an event type: /emit ResourceCreationEvent key=value.',
      });
    const version = await runnableVersion(context);
    const data: JsonObject = {};
    for (const param of context.command.params) data[param.key] = encodeValue(param.value);
    const { actor, channel } = context.invocation;
    const type = eventTypeOf(version.document, name);
    const delivery = await events.deliver(
      channel,
      { type, id: `emit:${randomUUID()}`, data },
      { by: { id: actor.id, name: actor.name }, version },
    );
    const lines = [
      ...delivery.fired.map(outcomeText),
      ...delivery.woken.map((id) => `run ${id} was waiting for it and goes on`),
    ];
    const text =
      lines.length === 0
        ? `Event ${type} raised; no trigger listens for it and no run here waits for it.`
        : `Event ${type} raised:`;
    return success(text, {
      ...(lines.length === 0 ? {} : { blocks: [{ kind: 'list' as const, items: lines }] }),
      data: deliveryData(delivery),
    });
  },
};
