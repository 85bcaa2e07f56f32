/**
 * The chat platforms `aitws serve` knows. Each factory returns undefined when its platform is not
 * configured, so serve starts exactly the configured ones.
 */
import type { PlatformFactory } from './serve.js';

export const PLATFORMS: readonly PlatformFactory[] = [];
