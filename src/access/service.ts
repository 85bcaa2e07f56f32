/**
 * Access control as the commands use it: who the caller is and what they hold (authorize), the
 * access record changed by compare-and-set (update), and the audit trail (audit, recordChange).
 */
import { randomBytes } from 'node:crypto';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { Logger } from '../logging.js';
import type {
  AccessRecord,
  AccessState,
  AccessStore,
  AuditEntry,
  AuditEntryInput,
  Person,
} from '../session/access-port.js';
import type { ChannelKey } from '../session/port.js';
import { contentHash, shortHash } from './content-hash.js';
import { type AccessPolicy, type Privilege, rolesWith, type Standing, standingOf } from './privileges.js';

/** Who is running a command, and what they held when it was authorized. */
export interface Caller {
  readonly person: Person;
  readonly standing: Standing;
  /** The channel's access record as read for the check. */
  readonly record: AccessRecord;
}

export interface AccessControlOptions {
  readonly store: AccessStore;
  readonly policy: AccessPolicy;
  readonly now: () => Date;
  readonly logger: Logger;
}

/** A change the drafts service stored: the versions it went between and the document now current. */
export interface CommittedVersion {
  readonly before: number;
  readonly after: number;
  readonly document: AitwsDocument | null;
}

/** What asked for the check: where, who, and the command as the channel may see it. */
export interface Request {
  readonly channel: ChannelKey;
  readonly person: Person;
  /** Masked. */
  readonly command: string;
}

export type Update<T> =
  | { readonly state: AccessState; readonly result: T }
  | { readonly unchanged: true; readonly result: T };

/** Enough for a burst of simultaneous clicks; past it something is wrong and the person may retry. */
const MAX_ATTEMPTS = 50;

export class AccessControl {
  readonly policy: AccessPolicy;
  readonly #store: AccessStore;
  readonly #now: () => Date;
  readonly #logger: Logger;

  constructor(options: AccessControlOptions) {
    this.policy = options.policy;
    this.#store = options.store;
    this.#now = options.now;
    this.#logger = options.logger;
  }

  read(channel: ChannelKey): Promise<AccessRecord> {
    return this.#store.read(channel);
  }

  standing(
    record: AccessRecord,
    document: AitwsDocument | null,
    channel: ChannelKey,
    userId: string,
  ): Standing {
    return standingOf(this.policy, document, record.grants, channel.platform, userId);
  }

  /**
   * The caller, refused (with an audit entry) unless they hold `privilege`. The document is read
   * only for people with grants: everyone else holds the defaults whatever it says.
   */
  async authorize(
    request: Request,
    privilegeFor: (record: AccessRecord) => Privilege,
    readDocument: () => Promise<AitwsDocument | null>,
  ): Promise<Caller> {
    const record = await this.#store.read(request.channel);
    const hasGrant = record.grants.some((grant) => grant.user.id === request.person.id);
    const document = hasGrant ? await readDocument() : null;
    const standing = this.standing(record, document, request.channel, request.person.id);
    const caller = { person: request.person, standing, record };
    await this.demand(request, privilegeFor(record), caller, async () =>
      hasGrant ? document : readDocument(),
    );
    return caller;
  }

  /** Nothing when `caller` holds `privilege`; else an audit entry for the refusal and FORBIDDEN. */
  async demand(
    request: Request,
    privilege: Privilege,
    caller: Caller,
    readDocument: () => Promise<AitwsDocument | null>,
    what?: string,
  ): Promise<void> {
    if (caller.standing.privileges.has(privilege)) return;
    await this.audit({
      at: this.#now().toISOString(),
      channel: request.channel,
      actor: request.person,
      kind: 'refused',
      command: request.command,
      detail: `needs ${privilege}${what === undefined ? '' : ` · ${what}`}`,
    });
    throw this.#forbidden(request, privilege, caller.standing, caller.record, await readDocument(), what);
  }

  #forbidden(
    request: Request,
    privilege: Privilege,
    standing: Standing,
    record: AccessRecord,
    document: AitwsDocument | null,
    what?: string,
  ): AitwsError {
    const held = [...standing.privileges];
    const name = what ?? request.command.split(/\s/, 1)[0] ?? 'this command';
    const roles = rolesWith(document, privilege);
    const admins = record.grants
      .filter((grant) =>
        this.standing(record, document, request.channel, grant.user.id).privileges.has('admin'),
      )
      .map((grant) => grant.user.name);
    const granters = [...new Set(admins)];
    const who =
      granters.length === 0
        ? 'A workspace admin (AITWS_ADMINS)'
        : `${granters.join(', ')} or a workspace admin (AITWS_ADMINS)`;
    const rolesLine =
      roles.length === 0
        ? `No role in this channel's document has ${privilege}; add one first, e.g. /add roles name="Approver" privileges=${JSON.stringify([...new Set(['read', privilege])])}.`
        : `Roles with ${privilege} here: ${roles.join(', ')}.`;
    return new AitwsError(
      'FORBIDDEN',
      `${name} needs the ${privilege} privilege; you hold ${held.length === 0 ? 'none' : held.join(', ')} here.`,
      { hint: `${rolesLine} ${who} can grant one with /grant USER ROLE.` },
    );
  }

  /** Changes the channel's access record by compare-and-set, running `change` again after a conflict. */
  async update<T>(channel: ChannelKey, change: (record: AccessRecord) => Update<T>): Promise<T> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const record = await this.#store.read(channel);
      const outcome = change(record);
      if ('unchanged' in outcome) return outcome.result;
      if (await this.#store.write(channel, record.revision, outcome.state)) return outcome.result;
    }
    throw new AitwsError('CONFLICT', 'Too many people changed access here at once.', {
      hint: 'Try again in a moment.',
      retryable: true,
    });
  }

  async audit(entry: AuditEntryInput): Promise<AuditEntry> {
    return this.#store.appendAudit(entry);
  }

  recentAudit(channel: ChannelKey, limit: number): Promise<readonly AuditEntry[]> {
    return this.#store.recentAudit(channel, limit);
  }

  exportAudit(filter: Parameters<AccessStore['exportAudit']>[0]): AsyncIterable<AuditEntry> {
    return this.#store.exportAudit(filter);
  }

  /**
   * After a change to the draft: one audit entry, and a pending or approved review of an older
   * version becomes void. Returns what the change's reply should add ("this voids …"). `seen` is the
   * record read when the change was authorized: without an open review then, there is nothing to void
   * (one submitted since is void anyway, as its version is no longer current).
   */
  async recordChange(
    request: Request,
    change: CommittedVersion,
    seen: AccessRecord,
  ): Promise<string | undefined> {
    try {
      return await this.#recordChange(request, change, seen);
    } catch (error) {
      return this.#unrecorded(error, request, `v${change.after} is saved`);
    }
  }

  /**
   * The audit entry of something already done (a grant, a vote, a save to the library). Returns a
   * line for the reply when the entry could not be written, instead of failing a command whose
   * effect is already stored.
   */
  async recordDone(entry: AuditEntryInput, done: string): Promise<string | undefined> {
    try {
      await this.audit(entry);
      return undefined;
    } catch (error) {
      return this.#unrecorded(
        error,
        { channel: entry.channel, person: entry.actor, command: entry.command },
        done,
      );
    }
  }

  /** Saying "nothing was changed" now would be false: the reply says what happened, the log has the entry. */
  #unrecorded(error: unknown, request: Request, done: string): string {
    const reference = randomBytes(4).toString('hex');
    this.#logger.error(
      { err: error, reference, channel: request.channel, actor: request.person.id, command: request.command },
      'something was done but its audit entry was not written',
    );
    return `${done}, but its audit entry could not be written (reference ${reference}); an operator can find it in the log.`;
  }

  async #recordChange(
    request: Request,
    change: CommittedVersion,
    seen: AccessRecord,
  ): Promise<string | undefined> {
    const at = this.#now().toISOString();
    await this.audit({
      at,
      channel: request.channel,
      actor: request.person,
      kind: 'change',
      command: request.command,
      versionBefore: change.before,
      versionAfter: change.after,
      hash: contentHash(change.document),
    });
    const open = seen.review?.state === 'pending' || seen.review?.state === 'approved';
    if (!open) return undefined;
    const voided = await this.update(request.channel, (record) => {
      const review = record.review;
      if (review === null || review.version === change.after) return { unchanged: true, result: undefined };
      if (review.state !== 'pending' && review.state !== 'approved')
        return { unchanged: true, result: undefined };
      const reason = `changed to v${change.after} by ${request.person.name}`;
      return {
        state: {
          ...record,
          review: { ...review, state: 'void', decidedAt: at, decidedBy: [request.person], reason },
        },
        result: review,
      };
    });
    if (voided === undefined) return undefined;
    await this.audit({
      at,
      channel: request.channel,
      actor: request.person,
      kind: 'void',
      command: request.command,
      versionBefore: voided.version,
      versionAfter: change.after,
      hash: voided.hash,
      detail: `review of v${voided.version} (${voided.state}) void`,
    });
    const what =
      voided.state === 'approved'
        ? `the approval of v${voided.version} (${shortHash(voided.hash)})`
        : `the pending review of v${voided.version}`;
    return `This change voids ${what}. Ask for review again with /submit.`;
  }
}
