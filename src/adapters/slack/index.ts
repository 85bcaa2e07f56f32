/**
 * The Slack platform for `aitws serve`: undefined unless SLACK_BOT_TOKEN is set. Nothing outside
 * this folder imports Bolt.
 */
import type { PlatformFactory } from '../platform.js';
import { createSlackAdapter } from './adapter.js';

export { createSlackAdapter, EVENTS_PATH, type SlackAdapter, type SlackAdapterOptions } from './adapter.js';
export {
  BOT_EVENTS,
  BOT_SCOPES,
  COMMANDS,
  LOAD_SHORTCUT_ID,
  SHORTCUTS,
  SLASH_COMMAND,
  WEB_API_METHODS,
} from './declared.js';

export const slackPlatform: PlatformFactory = ({ config, core, logger }) => {
  if (config.slack === undefined) return undefined;
  return createSlackAdapter({
    slack: config.slack,
    dispatcher: core.dispatcher,
    interactions: core.interactions,
    limits: config.limits,
    logger,
  });
};
