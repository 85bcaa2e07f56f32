/**
 * The chat platforms `aitws serve` knows. Each factory returns undefined when its platform is not
 * configured, so serve starts exactly the configured ones.
 */
import { discordPlatform } from './adapters/discord/index.js';
import type { PlatformFactory } from './adapters/platform.js';
import { slackPlatform } from './adapters/slack/index.js';

export const PLATFORMS: readonly PlatformFactory[] = [slackPlatform, discordPlatform];
