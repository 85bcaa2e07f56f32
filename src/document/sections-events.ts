/** Registry entries for what reacts to events: events, triggers (and schedules), handlers. Read through sections.ts. */
import { BUILTIN_ACTION_TYPES } from './action-types.js';
import { keyName } from './sections-setup.js';
import type { SectionSpec } from './types.js';

export const EVENT_SECTIONS: readonly SectionSpec[] = [
  {
    name: 'events',
    kind: 'list',
    key: 'name',
    description: 'Events the workflow reacts to.',
    fields: [
      keyName('event'),
      { name: 'type', type: 'string', description: 'Event type, e.g. model_error, approval_timeout.' },
      { name: 'description', type: 'string', description: 'When the event happens.' },
    ],
    example: '/add events name="ModelErrorEvent" type="model_error"',
  },
  {
    name: 'triggers',
    kind: 'list',
    key: 'name',
    description: 'Connect an event to the handler that runs when it happens.',
    fields: [
      keyName('trigger'),
      { name: 'event', type: 'string', description: 'Event that fires the trigger.', references: 'events' },
      { name: 'handler', type: 'string', description: 'Handler to run.', references: 'handlers' },
      {
        name: 'schedule',
        type: 'string',
        description: 'A cron schedule ("0 9 * * 1": Mondays at 9) that fires the trigger; its handler runs.',
      },
      {
        name: 'timezone',
        type: 'string',
        description: 'Time zone of the schedule (default UTC).',
        example: 'Europe/Paris',
      },
    ],
    example:
      '/add triggers name="ResourceCreationAudit" event="ResourceCreationEvent" handler="HandleResourceCreation"',
  },
  {
    name: 'handlers',
    kind: 'list',
    key: 'name',
    description: 'What runs when a trigger fires.',
    fields: [
      keyName('handler'),
      {
        name: 'action',
        type: 'string',
        description:
          `A stage action, a built-in action type (${BUILTIN_ACTION_TYPES.join(', ')}) ` +
          'or Notify<Role> to notify the members of a declared role.',
        references: 'stages.actions or built-in actions',
      },
      { name: 'with', type: 'table', description: 'Parameters when the action is a built-in type.' },
      {
        name: 'timeout',
        type: 'duration',
        description: 'How long the handler may run.',
        example: '30 seconds',
      },
      { name: 'retry', type: 'table', description: "Retries, as an action's retry." },
    ],
    example: '/add handlers name="HandleModelError" action="NotifyAdministrator"',
  },
];
