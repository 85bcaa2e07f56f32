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
  /** Lines held while a command is being answered, so a run's message never splits a reply. */
  #held: string[] | undefined;

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

  /** Holds run messages until release(): the console calls it around each command. */
  hold(): void {
    this.#held ??= [];
  }

  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const line of held) this.#output.write(line);
  }

  #write(line: string): void {
    if (this.#held === undefined) this.#output.write(line);
    else this.#held.push(line);
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
      this.#write(`${jsonLineSafe(JSON.stringify(record))}\n`);
      return;
    }
    const target = request.target === undefined ? '' : ` → ${request.target}`;
    const buttonLine =
      buttons.length === 0 ? '' : `\n${buttons.map((button) => `[${button.label}]`).join(' ')}`;
    this.#write(`${updated ? '↻ ' : '» '}${request.text}${target}${buttonLine}\n`);
  }
}
