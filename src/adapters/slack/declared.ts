/**
 * Everything of Slack's the adapter relies on that the app must declare in manifest.yml. A test
 * compares these lists with the manifest, so the code and the app configuration cannot drift.
 */

export const SLASH_COMMAND = '/aitws';
/** Message shortcut "Load into aiTWS". */
export const LOAD_SHORTCUT_ID = 'load_into_aitws';
/** The paste-TOML modal opened by `/aitws load` with nothing after it. */
export const LOAD_MODAL_ID = 'aitws_load';
export const LOAD_MODAL_BLOCK = 'toml';
export const LOAD_MODAL_INPUT = 'toml_text';
/** Button action ids are the core's button ids (`aitws:<id>:confirm`). */
export const BUTTON_ACTION_PATTERN = /^aitws:/;

export const BOT_EVENTS = ['app_mention'] as const;
export const SHORTCUTS = [
  { callbackId: LOAD_SHORTCUT_ID, type: 'message', name: 'Load into aiTWS' },
] as const;
export const COMMANDS = [SLASH_COMMAND] as const;

/**
 * Each Web API method the adapter calls and the bot scope Slack wants for it (null: none). The
 * test suite fails on a call to a method missing here.
 */
export const WEB_API_METHODS: Readonly<Record<string, string | null>> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.update': 'chat:write',
  'views.open': null,
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
  'files.info': 'files:read',
};

/** Scopes that come from features rather than from a Web API method. */
const FEATURE_SCOPES = {
  slashCommandAndShortcut: 'commands',
  appMentionEvent: 'app_mentions:read',
  /** Downloading a file's url_private with the bot token. */
  privateFileDownload: 'files:read',
} as const;

export const BOT_SCOPES: readonly string[] = [
  ...new Set([
    ...Object.values(FEATURE_SCOPES),
    ...Object.values(WEB_API_METHODS).filter((scope): scope is string => scope !== null),
  ]),
].sort();
