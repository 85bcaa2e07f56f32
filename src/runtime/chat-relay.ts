/**
 * The runtime's chat, routed by platform: each adapter present in the process registers its
 * RunChat (the console prints, Slack and Discord post through their APIs). A run whose platform
 * has no chat here (a worker started without Slack credentials) logs what it would have said.
 */
import type { Logger } from '../logging.js';
import type { ChannelKey, Platform } from '../session/port.js';
import type { NotifyRequest, PostedMessage } from './executor.js';
import type { RunChat } from './run-services.js';

export class ChatRelay implements RunChat {
  readonly #chats = new Map<Platform, RunChat>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  register(platform: Platform, chat: RunChat): void {
    this.#chats.set(platform, chat);
  }

  async post(channel: ChannelKey, request: NotifyRequest): Promise<PostedMessage | undefined> {
    const chat = this.#chats.get(channel.platform);
    if (chat === undefined) {
      this.#logger.warn(
        { platform: channel.platform, channel: channel.channel },
        'No chat for this platform here; a run message was not posted',
      );
      return undefined;
    }
    return chat.post(channel, request);
  }

  async update(message: PostedMessage, request: NotifyRequest): Promise<void> {
    const chat = this.#chats.get(message.channel.platform);
    if (chat !== undefined) await chat.update(message, request);
  }
}
