/**
 * The keyboard as readline should see it, with bracketed pastes taken out. A terminal in bracketed
 * paste mode wraps pasted text in ESC[200~ … ESC[201~; readline would take each pasted line for
 * Enter and run it, so a pasted TOML document would become thirty failed commands. Here the
 * pasted text is handed over whole instead, and everything else goes on to readline untouched.
 */
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export const PASTE_START = '\u001b[200~';
export const PASTE_END = '\u001b[201~';
/** Turns bracketed paste mode on (and off) in the terminal. */
export const BRACKETED_PASTE_ON = '\u001b[?2004h';
export const BRACKETED_PASTE_OFF = '\u001b[?2004l';

export type InputPart =
  | { readonly kind: 'keys'; readonly text: string }
  | { readonly kind: 'paste'; readonly text: string };

/** How much of `marker` the end of `text` could be the start of, so a marker split across reads is not missed. */
function partialMarker(text: string, marker: string): number {
  for (let length = Math.min(marker.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(marker.slice(0, length))) return length;
  }
  return 0;
}

/** Splits terminal input into typed keys and pasted texts, across reads of any size. */
export class PasteSplitter {
  private held = '';
  private pasted: string | undefined;

  feed(chunk: string): InputPart[] {
    let data = this.held + chunk;
    this.held = '';
    const parts: InputPart[] = [];
    while (data !== '') {
      const marker = this.pasted === undefined ? PASTE_START : PASTE_END;
      const at = data.indexOf(marker);
      const end = at >= 0 ? at : data.length - partialMarker(data, marker);
      const text = data.slice(0, end);
      if (at < 0) this.held = data.slice(end);
      data = at >= 0 ? data.slice(at + marker.length) : '';
      if (this.pasted === undefined) {
        if (text !== '') parts.push({ kind: 'keys', text });
        if (at >= 0) this.pasted = '';
      } else {
        this.pasted += text;
        if (at >= 0) {
          parts.push({ kind: 'paste', text: this.pasted });
          this.pasted = undefined;
        }
      }
    }
    return parts;
  }
}

/** The part of a TTY readline uses besides reading. */
interface RawModeSource extends NodeJS.ReadableStream {
  setRawMode?(mode: boolean): unknown;
  isRaw?: boolean;
}

export interface TerminalInput {
  /** What readline reads: the keys, with pastes taken out. */
  readonly stream: PassThrough;
  /** Stops reading the terminal, so the process can end. */
  close(): void;
}

/** Reads `source`, passes keys to `stream` and each paste to `onPaste`, in the order they came. */
export function createTerminalInput(source: RawModeSource, onPaste: (text: string) => void): TerminalInput {
  const stream = new PassThrough();
  // readline treats its input as a terminal (raw mode, keypresses) only when it looks like one.
  Object.assign(stream, {
    isTTY: true,
    setRawMode: (mode: boolean) => {
      source.setRawMode?.(mode);
      return stream;
    },
  });
  Object.defineProperty(stream, 'isRaw', { get: () => source.isRaw === true });
  const decoder = new StringDecoder('utf8');
  const splitter = new PasteSplitter();
  const onData = (chunk: Buffer | string) => {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    // Writing to the PassThrough reaches readline synchronously, so keys typed before a paste
    // are on readline's line by the time the paste is handled.
    for (const part of splitter.feed(text)) {
      if (part.kind === 'keys') stream.write(part.text);
      else onPaste(part.text);
    }
  };
  const onEnd = () => stream.end();
  source.on('data', onData);
  source.on('end', onEnd);
  return {
    stream,
    close() {
      source.off('data', onData);
      source.off('end', onEnd);
      source.pause();
    },
  };
}
