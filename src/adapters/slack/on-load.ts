/**
 * Loading TOML that lives in Slack: a modal to paste it into (opened when the core's reply asks
 * for its document form, as a bare `/aitws load` does), and the message shortcut "Load into aiTWS"
 * that loads a .toml file attached to a message. Both end in the core's `/load` with the document
 * as the invocation's content; the modal asks the core first whether the paste would load.
 */
import { renderError } from '../../commands/render-error.js';
import { channelKey, type HandlerDeps, invocation } from './context.js';
import { LOAD_MODAL_BLOCK, LOAD_MODAL_ID, LOAD_MODAL_INPUT } from './declared.js';
import { type Destination, deliver, notify } from './deliver.js';
import { downloadSlackFile, isTomlFile } from './download.js';
import { actorName, LoadModalMetadata, MessageShortcutPayload, ViewSubmissionPayload } from './payloads.js';

/** Slack's cap on a plain-text input; longer documents go through the file shortcut. */
const MODAL_INPUT_LIMIT = 3000;
const PASTED_LABEL = 'the pasted TOML';

export type ViewAck = (
  response?: { response_action: 'errors'; errors: Record<string, string> } | undefined,
) => Promise<void>;

export async function openLoadModal(
  deps: HandlerDeps,
  triggerId: string,
  metadata: LoadModalMetadata,
): Promise<void> {
  await deps.client.views.open({
    trigger_id: triggerId,
    view: {
      type: 'modal',
      callback_id: LOAD_MODAL_ID,
      title: { type: 'plain_text', text: 'Load a workflow' },
      submit: { type: 'plain_text', text: 'Load' },
      close: { type: 'plain_text', text: 'Cancel' },
      private_metadata: JSON.stringify(metadata),
      blocks: [
        {
          type: 'input',
          block_id: LOAD_MODAL_BLOCK,
          label: { type: 'plain_text', text: 'aiTWS TOML document' },
          element: {
            type: 'plain_text_input',
            action_id: LOAD_MODAL_INPUT,
            multiline: true,
            max_length: MODAL_INPUT_LIMIT,
            placeholder: { type: 'plain_text', text: '[metadata]\nname = "My workflow"' },
          },
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: 'It replaces this channel\'s draft (`/aitws undo` brings the old one back). Longer than 3,000 characters? Post the .toml file in the channel and use the message shortcut "Load into aiTWS".',
            },
          ],
        },
      ],
    },
  });
}

function parseMetadata(raw: string): LoadModalMetadata | undefined {
  try {
    const parsed = LoadModalMetadata.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Bad input is answered inside the modal and changes nothing; good input closes it and loads. */
export async function handleLoadSubmission(deps: HandlerDeps, body: unknown, ack: ViewAck): Promise<void> {
  const parsed = ViewSubmissionPayload.safeParse(body);
  const metadata = parsed.success ? parseMetadata(parsed.data.view.private_metadata) : undefined;
  if (!parsed.success || metadata === undefined) {
    await ack({
      response_action: 'errors',
      errors: { [LOAD_MODAL_BLOCK]: 'This form is out of date. Close it and run /aitws load again.' },
    });
    return;
  }
  const text = parsed.data.view.state.values[LOAD_MODAL_BLOCK]?.[LOAD_MODAL_INPUT]?.value ?? '';
  const problem = deps.dispatcher.checkDocument(text);
  if (problem !== undefined) {
    await ack({ response_action: 'errors', errors: { [LOAD_MODAL_BLOCK]: problem } });
    return;
  }
  await ack();
  const { user } = parsed.data;
  const destination: Destination = {
    kind: 'response_url',
    url: metadata.responseUrl,
    channel: metadata.channel,
    user: user.id,
  };
  const actor = { id: user.id, name: actorName(user) };
  const reply = await deps.dispatcher.handle(
    invocation('/load', actor, channelKey(metadata.team, metadata.channel), {
      content: { filename: PASTED_LABEL, text },
    }),
  );
  await deliver(deps, destination, reply, { byline: `${actor.name}: loaded a pasted document` });
}

export async function handleLoadShortcut(deps: HandlerDeps, body: unknown): Promise<void> {
  const parsed = MessageShortcutPayload.safeParse(body);
  if (!parsed.success) {
    deps.logger.warn(
      { issues: parsed.error.issues },
      'ignored a message shortcut payload of unexpected shape',
    );
    return;
  }
  const shortcut = parsed.data;
  const destination: Destination = {
    kind: 'response_url',
    url: shortcut.response_url,
    channel: shortcut.channel.id,
    user: shortcut.user.id,
  };
  const file = shortcut.message.files?.find(isTomlFile);
  if (file === undefined) {
    await notify(
      deps,
      destination,
      'That message has no .toml file. Attach one to a message, or paste the TOML with /aitws load.',
    );
    return;
  }
  const name = file.name ?? 'workflow.toml';
  let text: string;
  try {
    text = await downloadSlackFile(file, {
      client: deps.client,
      botToken: deps.botToken,
      maxBytes: deps.limits.documentBytes,
      extraHosts: deps.extraHosts,
    });
  } catch (error) {
    await deliver(deps, destination, renderError(error, deps.logger, { file: file.id }));
    return;
  }
  const actor = { id: shortcut.user.id, name: actorName(shortcut.user) };
  const reply = await deps.dispatcher.handle(
    invocation('/load', actor, channelKey(shortcut.team.id, shortcut.channel.id), {
      content: { filename: name, text },
    }),
  );
  await deliver(deps, destination, reply, { byline: `${actor.name}: loaded ${name} from a message` });
}
