/**
 * Slack's current file upload flow: ask for an upload URL, POST the bytes there, then complete
 * the upload, which shares the file into the channel (or thread) with a comment.
 */
import type { webApi } from '@slack/bolt';
import type { Upload } from './render.js';

export interface UploadTarget {
  readonly channel: string;
  readonly threadTs?: string | undefined;
  /** Escaped mrkdwn posted with the file: the short summary. */
  readonly comment: string;
}

const UPLOAD_TIMEOUT_MS = 15_000;

export async function uploadFiles(
  client: webApi.WebClient,
  uploads: readonly Upload[],
  target: UploadTarget,
): Promise<void> {
  const files: { id: string; title: string }[] = [];
  for (const upload of uploads) {
    const bytes =
      typeof upload.content === 'string' ? Buffer.from(upload.content, 'utf8') : Buffer.from(upload.content);
    const granted = await client.files.getUploadURLExternal({
      filename: upload.filename,
      length: bytes.byteLength,
    });
    if (granted.upload_url === undefined || granted.file_id === undefined) {
      throw new Error('files.getUploadURLExternal returned no upload URL');
    }
    // The URL is pre-signed; the bot token is never sent there.
    const response = await fetch(granted.upload_url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
      signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`uploading ${upload.filename} failed with HTTP ${response.status}`);
    files.push({ id: granted.file_id, title: upload.title });
  }
  const [first, ...rest] = files;
  if (first === undefined) return;
  await client.files.completeUploadExternal({
    files: [first, ...rest],
    channel_id: target.channel,
    initial_comment: target.comment,
    ...(target.threadTs === undefined ? {} : { thread_ts: target.threadTs }),
  });
}
