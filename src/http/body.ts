/**
 * Request bodies read under a cap, and refusals that reach the client. The cap is checked against
 * Content-Length before a byte is read, and again while a chunked body streams in, so an unsigned
 * 4 MB body costs a header parse, not 4 MB of memory and a stalled event loop.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
  }
}

/** The client went away (or the socket failed) before the body was complete. */
export class BodyAborted extends Error {}

/** The declared length, or undefined for a chunked body (Node has already refused a malformed one). */
export function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) ? length : Number.POSITIVE_INFINITY;
}

/** Whether bytes may follow the header, which a response must then not leave in the socket. */
export function hasBody(request: IncomingMessage): boolean {
  return request.headers['transfer-encoding'] !== undefined || (declaredLength(request) ?? 0) > 0;
}

/**
 * The whole body, at most `limit` bytes. Past the limit it stops reading (the rest stays in the
 * socket, which refuseAndClose closes) and rejects with BodyTooLarge.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onFailure);
      request.off('close', onFailure);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        stop();
        request.pause();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onFailure = (): void => {
      stop();
      reject(new BodyAborted('the request ended before its body was complete'));
    };
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onFailure);
    request.once('close', onFailure);
  });
}

/** How long a refused connection with body bytes still coming is held open before it is closed. */
const LINGER_MS = 2000;

/**
 * Answers and closes the connection, without reading what is left of the body. The whole answer
 * is written at once; the connection closes when the client closes it (a client that has its
 * answer stops sending), or LINGER_MS later. Closing at once, with the client's bytes unread,
 * resets the connection, and a client still uploading sees the reset instead of the status.
 */
export function refuseAndClose(
  request: IncomingMessage,
  response: ServerResponse,
  refusal: {
    readonly status: number;
    readonly error: string;
    readonly headers?: Readonly<Record<string, string>>;
  },
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const text = JSON.stringify({ error: refusal.error });
  response.writeHead(refusal.status, {
    ...refusal.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    connection: 'close',
  });
  response.write(text);
  closeAfterLinger(request, response);
}

function closeAfterLinger(request: IncomingMessage, response: ServerResponse): void {
  if (!hasBody(request)) {
    response.end();
    return;
  }
  // Node stops reading a request nobody consumes once its small buffer is full: the rest waits
  // in the kernel, costing this process nothing, until the socket is destroyed.
  const timer = setTimeout(() => response.destroy(), LINGER_MS);
  response.socket?.once('close', () => clearTimeout(timer));
}
