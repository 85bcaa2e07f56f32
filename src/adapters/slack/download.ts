/**
 * Downloads a file shared in Slack with the bot token. The token goes only to Slack's own hosts
 * (or the configured API host, for tests and proxies), and a file larger than a document may be is
 * refused before and during the download.
 */
import type { webApi } from '@slack/bolt';
import { formatBytes } from '../../document/index.js';
import { AitwsError, LimitError } from '../../errors.js';
import { FilesInfoResponse, type SlackFile } from './payloads.js';

export interface DownloadOptions {
  readonly client: webApi.WebClient;
  readonly botToken: string;
  readonly maxBytes: number;
  /** Hosts besides *.slack.com that may receive the token (`host:port`), e.g. SLACK_API_URL's. */
  readonly extraHosts: readonly string[];
}

const DOWNLOAD_TIMEOUT_MS = 15_000;

export function isTomlFile(file: SlackFile): boolean {
  return file.name?.toLowerCase().endsWith('.toml') === true;
}

function allowedUrl(raw: string, extraHosts: readonly string[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (extraHosts.includes(url.host)) return url;
  const slackHost = url.hostname === 'slack.com' || url.hostname.endsWith('.slack.com');
  return url.protocol === 'https:' && slackHost && url.username === '' ? url : undefined;
}

function tooLarge(bytes: number, maxBytes: number): LimitError {
  return new LimitError(
    `That file is ${formatBytes(bytes)}; a document may be at most ${formatBytes(maxBytes)}.`,
    'Trim the document, or load a smaller one.',
  );
}

async function resolveFile(file: SlackFile, options: DownloadOptions): Promise<SlackFile> {
  // Some payloads carry only the id (file_access: check_file_info); files.info has the rest.
  if (file.url_private !== undefined && file.size !== undefined) return file;
  const info = FilesInfoResponse.safeParse(await options.client.files.info({ file: file.id }));
  if (!info.success) throw new AitwsError('FILE_IO', 'Slack did not say where that file can be downloaded.');
  return info.data.file;
}

async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const body = response.body;
  if (body === null) return Buffer.alloc(0);
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await body.cancel().catch(() => undefined);
      throw tooLarge(total, maxBytes);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

export async function downloadSlackFile(file: SlackFile, options: DownloadOptions): Promise<string> {
  if (file.size !== undefined && file.size > options.maxBytes) throw tooLarge(file.size, options.maxBytes);
  const resolved = await resolveFile(file, options);
  if (resolved.size !== undefined && resolved.size > options.maxBytes) {
    throw tooLarge(resolved.size, options.maxBytes);
  }
  const url =
    resolved.url_private === undefined ? undefined : allowedUrl(resolved.url_private, options.extraHosts);
  if (url === undefined) {
    throw new AitwsError('FILE_IO', 'That file is not hosted by Slack, so it was not downloaded.');
  }
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${options.botToken}` },
      // A redirect could carry the token to another host; Slack serves url_private directly.
      redirect: 'manual',
      signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
    });
  } catch (error) {
    throw new AitwsError('FILE_IO', 'Downloading the file from Slack failed.', {
      retryable: true,
      cause: error,
    });
  }
  const contentType = response.headers.get('content-type') ?? '';
  if (response.status !== 200 || contentType.startsWith('text/html')) {
    await response.body?.cancel().catch(() => undefined);
    throw new AitwsError('FILE_IO', `Slack refused the download (HTTP ${response.status}).`, {
      hint: 'Check that the app has the files:read scope and was reinstalled after adding it.',
    });
  }
  const bytes = await readCapped(response, options.maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AitwsError('FILE_IO', 'That file is not UTF-8 text, so it cannot be a TOML document.');
  }
}
