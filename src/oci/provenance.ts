/**
 * The provenance of a packaged workflow (issue #18 point 4): an in-toto Statement v1 whose
 * predicate is SLSA Provenance v1. The "build" is packaging an approved version, so what a
 * regulated team must show lives in it: which version and content hash, from which source, built
 * by which aitws, from which materials (with digests), and who approved it, with the audit entries
 * of that approval. The approval goes in `internalParameters`: it is set by the platform's review,
 * not chosen by whoever runs the package command.
 *
 * Canonical JSON (RFC 8785), so the same inputs always give the same bytes and digest.
 */
import { packageVersion } from '../cli/version.js';
import { AitwsError } from '../errors.js';
import { canonicalJson } from '../runtime/ai/canonical.js';
import type { AuditEntry, Person } from '../session/access-port.js';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_TYPE = 'https://slsa.dev/provenance/v1';
/** The DSSE payload type of an in-toto statement. */
export const IN_TOTO_MEDIA_TYPE = 'application/vnd.in-toto+json';
/** Ours: documents what externalParameters and internalParameters hold. */
export const AITWS_BUILD_TYPE = 'https://aitws.dev/workflow-package/v1';
export const AITWS_BUILDER_ID = 'https://aitws.dev/builder';

export interface ProvenanceSubject {
  /** The artifact, e.g. `registry.example/team/triage`. */
  readonly name: string;
  /** `sha256:` + 64 hex: the manifest's digest. */
  readonly digest: string;
}

/** A material the package was built from: the TOML layer, a prompt file, a plugin. */
export interface ProvenanceMaterial {
  readonly name: string;
  readonly digest: string;
  readonly uri?: string;
  readonly mediaType?: string;
}

export interface ProvenanceApprover extends Person {
  /** When their approving vote was cast. */
  readonly at?: string;
}

/** What of an audit entry goes into provenance: not its channel, which names internal places. */
export type ProvenanceAuditEntry = Pick<AuditEntry, 'at' | 'actor' | 'kind' | 'command'> &
  Partial<Pick<AuditEntry, 'id' | 'versionBefore' | 'versionAfter' | 'hash' | 'detail'>>;

export interface ProvenanceInput {
  readonly subjects: readonly ProvenanceSubject[];
  readonly workflow: {
    readonly name: string;
    /** `[metadata] version`. */
    readonly version: string;
    /** The draft version the review approved. */
    readonly approvedVersion: number;
    readonly contentHash: string;
  };
  readonly source?: { readonly uri: string; readonly revision?: string };
  readonly materials: readonly ProvenanceMaterial[];
  readonly approval: {
    readonly approvers: readonly ProvenanceApprover[];
    readonly approvedAt: string;
    readonly reviewId?: string;
    /** The quorum the review needed. */
    readonly required?: number;
  };
  readonly audit: readonly ProvenanceAuditEntry[];
  readonly run: { readonly invocationId: string; readonly startedOn: string; readonly finishedOn: string };
  /** Defaults to the installed package's version. */
  readonly builderVersion?: string;
}

export interface Provenance {
  readonly bytes: Uint8Array;
  readonly statement: InTotoStatement;
  readonly mediaType: typeof IN_TOTO_MEDIA_TYPE;
}

export interface ResourceDescriptor {
  readonly name?: string;
  readonly uri?: string;
  readonly digest: { readonly sha256: string };
  readonly mediaType?: string;
}

export interface InTotoStatement {
  readonly _type: typeof IN_TOTO_STATEMENT_TYPE;
  readonly subject: readonly ResourceDescriptor[];
  readonly predicateType: typeof SLSA_PROVENANCE_TYPE;
  readonly predicate: {
    readonly buildDefinition: {
      readonly buildType: string;
      readonly externalParameters: Readonly<Record<string, unknown>>;
      readonly internalParameters: Readonly<Record<string, unknown>>;
      readonly resolvedDependencies: readonly ResourceDescriptor[];
    };
    readonly runDetails: {
      readonly builder: { readonly id: string; readonly version: Readonly<Record<string, string>> };
      readonly metadata: {
        readonly invocationId: string;
        readonly startedOn: string;
        readonly finishedOn: string;
      };
    };
  };
}

const DIGEST = /^sha256:([0-9a-f]{64})$/;
/** RFC 3339 with a zone, as SLSA's timestamps require. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function invalid(message: string, hint: string): AitwsError {
  return new AitwsError('VALIDATION', message, { hint });
}

function hexOf(digest: string, what: string): string {
  const hex = DIGEST.exec(digest)?.[1];
  if (hex === undefined)
    throw invalid(
      `The digest of ${what} is not sha256:<64 hex>: "${digest}".`,
      'Digests are sha256: and 64 lowercase hex digits.',
    );
  return hex;
}

function checkTime(value: string, what: string): string {
  if (!TIMESTAMP.test(value) || Number.isNaN(Date.parse(value)))
    throw invalid(`${what} "${value}" is not an RFC 3339 time.`, 'Write it as 2025-01-31T12:00:00Z.');
  return value;
}

function descriptor(item: ProvenanceMaterial | ProvenanceSubject, what: string): ResourceDescriptor {
  const extra = item as Partial<ProvenanceMaterial>;
  return {
    name: item.name,
    ...(extra.uri === undefined ? {} : { uri: extra.uri }),
    digest: { sha256: hexOf(item.digest, `${what} ${item.name}`) },
    ...(extra.mediaType === undefined ? {} : { mediaType: extra.mediaType }),
  };
}

/** By name then digest: the order materials were gathered in must not change the bytes. */
function sorted(list: readonly ResourceDescriptor[]): ResourceDescriptor[] {
  const key = (item: ResourceDescriptor): string => `${item.name ?? ''}\u0000${item.digest.sha256}`;
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function auditEntry(entry: ProvenanceAuditEntry): Record<string, unknown> {
  return {
    id: entry.id,
    at: checkTime(entry.at, 'An audit entry time'),
    actor: { id: entry.actor.id, name: entry.actor.name },
    kind: entry.kind,
    command: entry.command,
    versionBefore: entry.versionBefore,
    versionAfter: entry.versionAfter,
    hash: entry.hash,
    detail: entry.detail,
  };
}

function internalParameters(input: ProvenanceInput): Record<string, unknown> {
  const { approval } = input;
  return {
    approval: {
      reviewId: approval.reviewId,
      required: approval.required,
      approvedAt: checkTime(approval.approvedAt, 'The approval time'),
      approvers: approval.approvers.map((person) => ({
        id: person.id,
        name: person.name,
        at: person.at === undefined ? undefined : checkTime(person.at, `${person.name}'s approval time`),
      })),
    },
    // In the order the audit trail holds them: that order is part of what happened.
    audit: input.audit.map(auditEntry),
  };
}

function externalParameters(input: ProvenanceInput): Record<string, unknown> {
  const { workflow, source } = input;
  if (!Number.isInteger(workflow.approvedVersion) || workflow.approvedVersion < 1)
    throw invalid(
      `The approved version ${workflow.approvedVersion} is not a version number.`,
      'Versions count from 1.',
    );
  return {
    workflow: {
      name: workflow.name,
      version: workflow.version,
      approvedVersion: workflow.approvedVersion,
      contentHash: `sha256:${hexOf(workflow.contentHash, `workflow ${workflow.name}`)}`,
    },
    source: source === undefined ? undefined : { uri: source.uri, revision: source.revision },
  };
}

function statementOf(input: ProvenanceInput): InTotoStatement {
  if (input.subjects.length === 0)
    throw invalid('Provenance needs at least one subject.', 'Name the artifact and its manifest digest.');
  const { run } = input;
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: sorted(input.subjects.map((subject) => descriptor(subject, 'subject'))),
    predicateType: SLSA_PROVENANCE_TYPE,
    predicate: {
      buildDefinition: {
        buildType: AITWS_BUILD_TYPE,
        externalParameters: externalParameters(input),
        internalParameters: internalParameters(input),
        resolvedDependencies: sorted(input.materials.map((material) => descriptor(material, 'material'))),
      },
      runDetails: {
        builder: { id: AITWS_BUILDER_ID, version: { aitws: input.builderVersion ?? packageVersion() } },
        metadata: {
          invocationId: run.invocationId,
          startedOn: checkTime(run.startedOn, 'startedOn'),
          finishedOn: checkTime(run.finishedOn, 'finishedOn'),
        },
      },
    },
  };
}

/** The statement and its canonical JSON bytes: the payload of a DSSE envelope (dsse.ts). */
export function buildProvenance(input: ProvenanceInput): Provenance {
  const statement = statementOf(input);
  // The text parsed back, so `statement` holds exactly what the bytes say (no undefined fields).
  const text = canonicalJson(statement);
  return {
    bytes: new TextEncoder().encode(text),
    statement: JSON.parse(text) as InTotoStatement,
    mediaType: IN_TOTO_MEDIA_TYPE,
  };
}
