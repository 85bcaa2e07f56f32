/**
 * The console's side of a run's chat: messages a run posts (chat.notify, an approval request,
 * progress) are printed as they come, between the commands' answers. With --json each is one
 * JSON line `{"message": {...}}`, so a script can tell them from answers (which have `command`).
 */
import { jsonLineSafe } from '../../document/inert-text.js';
import type { NotifyRequest, PostedMessage } from '../../runtime/executor.js';
import type { RunChat } from '../../runtime/run-services.js';
import type { ChannelKey } from '../../session/port.js';

export class ConsoleRunChat implements RunChat {
  readonly #output: NodeJS.WritableStream;
  readonly #json: boolean;
  #sequence = 0;

  constructor(output: NodeJS.WritableStream, json: boolean) {
    this.#output = output;
    this.#json = json;
  }

  async post(channel: ChannelKey, request: NotifyRequest): Promise<PostedMessage> {
    this.#sequence += 1;
    const message = { channel, messageId: String(this.#sequence) };
    this.#print(message, request, false);
    return message;
  }

  async update(message: PostedMessage, request: NotifyRequest): Promise<void> {
    this.#print(message, request, true);
  }

  #print(message: PostedMessage, request: NotifyRequest, updated: boolean): void {
    const buttons = request.buttons ?? [];
    if (this.#json) {
      const record = {
        message: {
          id: message.messageId,
          channel: message.channel.channel,
          updated,
          text: request.text,
          ...(request.target === undefined ? {} : { target: request.target }),
          buttons: buttons.map((button) => button.label),
        },
      };
      this.#output.write(`${jsonLineSafe(JSON.stringify(record))}\n`);
      return;
    }
    const target = request.target === undefined ? '' : ` → ${request.target}`;
    const buttonLine =
      buttons.length === 0 ? '' : `\n${buttons.map((button) => `[${button.label}]`).join(' ')}`;
    this.#output.write(`${updated ? '↻ ' : '» '}${request.text}${target}${buttonLine}\n`);
  }
}
