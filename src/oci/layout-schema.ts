/**
 * Reading the JSON of an OCI image layout (index.json, manifests) that another tool may have
 * written: only the fields aitws uses are checked, unknown ones are ignored (a manifest's exact
 * bytes are kept beside the parsed form, so nothing is lost by ignoring them).
 */
import { z } from 'zod';
import { AitwsError } from '../errors.js';
import { isDigest } from './digest.js';
import { type Descriptor, type ImageIndex, type ImageManifest, MEDIA_TYPES } from './types.js';

const descriptorSchema = z.object({
  mediaType: z.string().min(1),
  digest: z.string().refine(isDigest, 'not a sha256 digest (aitws reads sha256 only)'),
  size: z.number().int().nonnegative(),
  artifactType: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MEDIA_TYPES.manifest),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** image-spec makes the index's mediaType a SHOULD, and some writers leave it out. */
const indexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MEDIA_TYPES.index).optional(),
  manifests: z.array(descriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new AitwsError('PARSE', `${what} is not JSON.`, { cause: error });
  }
}

function issues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`);
}

export function parseIndex(bytes: Uint8Array, what: string): ImageIndex {
  const parsed = indexSchema.safeParse(parseJson(bytes, what));
  if (!parsed.success)
    throw new AitwsError('PARSE', `${what} is not an OCI image index.`, { details: issues(parsed.error) });
  const { annotations, manifests } = parsed.data;
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: manifests as Descriptor[],
    ...(annotations === undefined ? {} : { annotations }),
  };
}

export function parseManifest(bytes: Uint8Array, what: string): ImageManifest {
  const parsed = manifestSchema.safeParse(parseJson(bytes, what));
  if (!parsed.success)
    throw new AitwsError('PARSE', `${what} is not an OCI image manifest.`, { details: issues(parsed.error) });
  return parsed.data as ImageManifest;
}

/** `{"imageLayoutVersion":"1.0.0"}`: the marker file of a layout. */
export function checkLayoutMarker(bytes: Uint8Array, dir: string): void {
  const marker = parseJson(bytes, `${dir}/oci-layout`);
  const version =
    typeof marker === 'object' && marker !== null && 'imageLayoutVersion' in marker
      ? marker.imageLayoutVersion
      : undefined;
  if (version !== '1.0.0')
    throw new AitwsError('PARSE', `${dir} is not an OCI image layout version 1.0.0.`, {
      hint: 'Give a directory written by aitws package --output oci-layout:DIR or skopeo copy … oci:DIR:TAG.',
    });
}
