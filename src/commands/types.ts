import type { Privilege } from '../access/privileges.js';
import type { AccessControl, Caller } from '../access/service.js';
import type { Assistant } from '../assistant/assistant.js';
import type { PackagingSettings } from '../config-oci.js';
import type { Limits, TomlValue } from '../document/types.js';
import type { WebhookSettings } from '../http/hooks-sign.js';
import type { PageLinks } from '../http/page-links.js';
import type { Logger } from '../logging.js';
import type { EventRouter } from '../runtime/events.js';
import type { Runtime } from '../runtime/runtime.js';
import type { SecretSource } from '../runtime/secrets.js';
import type { Drafts } from '../session/drafts.js';
import type { InteractionStore } from '../session/interaction-port.js';
import type { ChannelKey } from '../session/port.js';
import type { Reply } from './reply.js';

export interface Actor {
  /** Stable platform id (Slack user id, Discord snowflake, OS user in the console). */
  readonly id: string;
  /** Display name, used in history and "done by X". */
  readonly name: string;
}

/** One command as typed by a person, already normalised to text by the adapter. */
export interface Invocation {
  readonly text: string;
  readonly actor: Actor;
  readonly channel: ChannelKey;
  /** The adapter can show buttons (Slack, Discord); the console cannot. */
  readonly supportsButtons?: boolean;
  /** A document the person handed over with the command (a pasted or attached file), for /load. */
  readonly content?: { readonly filename: string; readonly text: string };
  /**
   * The adapter can open a form to paste a document into (Slack's modal), so a bare /load may
   * answer with `form: 'document'` instead of asking for a source.
   */
  readonly supportsDocumentForm?: boolean;
}

/** A click on one of our buttons, as the adapter received it. */
export interface ButtonClick {
  readonly buttonId: string;
  readonly actor: Actor;
  readonly channel: ChannelKey;
}

/** A `key=value` parameter; `raw` is the value's source text, for messages. */
export interface Param {
  readonly key: string;
  readonly value: TomlValue;
  readonly raw: string;
}

export interface ParsedCommand {
  /** Lower-case command name without the slash: `add`. */
  readonly name: string;
  /** Bare words that are not `key=value`: `/remove logging level` → ["logging", "level"]. */
  readonly positionals: readonly string[];
  /** In the order typed; keys are unique (the parser rejects duplicates). */
  readonly params: readonly Param[];
}

/**
 * File access for `/load PATH` and `/save PATH`. Only the console provides it; it confines every
 * path to its root directory.
 */
export interface FileAccess {
  read(path: string): Promise<string>;
  /**
   * Returns the path as written, relative to the root. Unless `replace`, an existing file is left
   * alone and the write fails with ALREADY_EXISTS.
   */
  write(
    path: string,
    content: string | Uint8Array,
    options?: { readonly replace?: boolean },
  ): Promise<string>;
}

export interface CommandContext {
  readonly invocation: Invocation;
  readonly command: ParsedCommand;
  /** Read and change channel drafts, their history and the workspace library. */
  readonly drafts: Drafts;
  readonly interactions: InteractionStore;
  readonly files: FileAccess | undefined;
  readonly limits: Limits;
  readonly now: () => Date;
  /** The LLM helper behind /ask; absent, /ask answers from the built-in reference. */
  readonly assistant?: Assistant;
  /** Grants, reviews and the audit trail. */
  readonly access: AccessControl;
  /** Who runs the command and what they held when the dispatcher let it run. */
  readonly caller: Caller;
  /**
   * Lines the dispatcher adds to the reply, for what a command caused beyond its own answer (the
   * approval an edit voided). Commands push; nothing else reads it.
   */
  readonly notices: string[];
  /** Runs: absent where nothing can run them (the job commands then say so). */
  readonly runtime?: Runtime;
  /** Events from /emit (and the runs' own) to the channel's triggers. */
  readonly events?: EventRouter;
  /** The signed webhook's secret and public URL; absent when webhooks are off. */
  readonly webhooks?: WebhookSettings;
  /** /package's signing key and registry credentials. */
  readonly packaging?: PackagingSettings;
  /**
   * The workers' `${secret:…}` values (the runtime's own source), for commands that reach a
   * service on the channel's behalf: /push, /pull, registry credentials. Never shown.
   */
  readonly secrets?: SecretSource;
  /** For what a command does after its effect stands and cannot fail on (an approval's commit). */
  readonly logger?: Logger;
  /** Signed links to the run and workflow pages; absent when pages are off (no AITWS_PAGE_SECRET). */
  readonly pageLinks?: PageLinks;
}

/** What decides a command's privilege beyond its name. */
export interface ChannelFacts {
  /** Someone holds a grant in the channel: it is no longer everyone's by default. */
  readonly hasGrants: boolean;
}

/** A form of a command that needs more than the command's own privilege. */
export interface Escalation {
  /** The form, as /help and the README's table show it: `/create force=true`. */
  readonly form: string;
  readonly privilege: Privilege;
  /** When it applies, if not always: "once someone holds a grant in the channel". */
  readonly condition?: string;
  applies(command: ParsedCommand, facts: ChannelFacts): boolean;
}

export interface CommandDefinition {
  readonly name: string;
  /** One line for the /help index. */
  readonly summary: string;
  /** `/add SECTION key=value ...` */
  readonly usage: string;
  /** A paragraph for `/help NAME`. */
  readonly description: string;
  readonly examples: readonly string[];
  /** Help grouping; also decides ordering in the index. */
  readonly group: 'draft' | 'files' | 'history' | 'runs' | 'access' | 'help';
  /** What the caller must hold in the channel to run it (checked by the dispatcher, shown by /help). */
  readonly privilege: Privilege;
  readonly escalation?: Escalation;
  /**
   * Free text after the name (/ask): the dispatcher skips key=value parsing, which would trip over
   * apostrophes and quotes in prose, and passes the rest of the line as the only positional.
   */
  readonly rawArgs?: boolean;
  /**
   * What the command takes, checked by the dispatcher before it runs so that nothing typed is
   * silently ignored: the key=value names (`fields`: any, as /add's), and at most how many bare
   * words.
   */
  readonly accepts: CommandArguments;
  run(context: CommandContext): Promise<Reply>;
}

export interface CommandArguments {
  readonly params: readonly string[] | 'fields';
  readonly words: number;
}
