import type { JsonObject } from '../../runtime/run-store.js';
import { encodeValue } from '../../session/codec-values.js';
import { success } from '../reply.js';
import { runnableVersion, runtimeOf } from '../runs/runnable.js';
import type { CommandDefinition } from '../types.js';

export const runCommand: CommandDefinition = {
  name: 'run',
  group: 'runs',
  privilege: 'execute',
  summary: 'Run the workflow (the approved version when review is required)',
  usage: '/run [key=value ...]',
  description:
    "Starts a run of this channel's workflow: the last approved version when [change_management] review_required = true, else the current draft. key=value pairs are the run's inputs ({{ inputs.key }} in templates, inputs.key in conditions). Everything is checked before anything runs (pre-flight): document errors, action types nothing runs, conditions, templates, loops, secrets. Answers with the run id; /status RUN follows it.",
  accepts: { params: 'fields', words: 0 },
  examples: ['/run', '/run dataset="iris" epochs=3'],
  async run(context) {
    const runtime = runtimeOf(context);
    const version = await runnableVersion(context);
    const inputs: JsonObject = {};
    for (const param of context.command.params) inputs[param.key] = encodeValue(param.value);
    const { actor, channel } = context.invocation;
    const run = await runtime.start({
      channel,
      document: version.document,
      workflow: version.workflow,
      inputs,
      startedBy: { id: actor.id, name: actor.name },
    });
    const { name, version: number } = version.workflow;
    return success(`Run ${run.id} started: ${name} v${number}. /status ${run.id} follows it.`, {
      data: { run_id: run.id, state: run.state, workflow: run.workflow },
    });
  },
};
