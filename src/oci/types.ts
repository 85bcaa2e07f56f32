/**
 * The OCI shapes aitws reads and writes (image-spec v1.1: descriptors, image manifests, the image
 * index, the layout), and the media types of what it ships. Issue #18: an approved workflow as a
 * signed OCI artifact with an SBOM and provenance attached as referrers.
 */

export const MEDIA_TYPES = Object.freeze({
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  /** The empty config of an artifact (`{}`, OCI 1.1). */
  emptyConfig: 'application/vnd.oci.empty.v1+json',
  /** Ours: the artifact's type and its layers. */
  workflowArtifact: 'application/vnd.aitws.workflow.v1',
  workflowToml: 'application/vnd.aitws.workflow.v1+toml',
  promptFile: 'application/vnd.aitws.prompt.v1+text',
  skill: 'application/vnd.aitws.skill.v1.tar',
  plugin: 'application/vnd.aitws.plugin.v1+javascript',
  /** Referrers. */
  cycloneDx: 'application/vnd.cyclonedx+json',
  inTotoDsse: 'application/vnd.dsse.envelope.v1+json',
  /** cosign's key-based signature layer (sigstore "simple signing"). */
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
});

/** `sha256:` + 64 lowercase hex. */
export type Digest = `sha256:${string}`;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType: typeof MEDIA_TYPES.manifest;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType: typeof MEDIA_TYPES.index;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A blob with its descriptor: what a push uploads and a pull gives back. */
export interface Blob {
  readonly descriptor: Descriptor;
  readonly content: Uint8Array;
}

/** A manifest with the exact bytes its digest is over (never re-serialise a pulled manifest). */
export interface StoredManifest {
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
  readonly manifest: ImageManifest | ImageIndex;
}

/** Where an artifact lives: `host[:port]/repo/path` with a tag or a digest. */
export interface Reference {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}
