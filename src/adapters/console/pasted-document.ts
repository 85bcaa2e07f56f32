/**
 * A TOML document handed to the console as text rather than as a file: the lines after a bare
 * `/load` up to a line with only `.` (typed, pasted or piped), or one bracketed paste. It reaches
 * the core as /load's content, as a document pasted into Slack's form does.
 */
import { failure, type Reply } from '../../commands/reply.js';

/** What /load calls the document in its reply: `Loaded the pasted TOML ("…", 3 sections)`. */
export const PASTED_LABEL = 'the pasted TOML';

/** Ends a document typed or piped after a bare /load, as in `mail` and `ed`. */
export function isTerminator(line: string): boolean {
  return line.trim() === '.';
}

type DocumentResult = { readonly text: string } | { readonly refused: Reply };

function tooLarge(maxBytes: number): Reply {
  return failure(
    `The pasted document is over ${maxBytes} bytes, the limit for a document; nothing was loaded.`,
    {
      blocks: [
        { kind: 'text', text: 'Save it to a file and /load the file, or raise AITWS_MAX_DOCUMENT_BYTES.' },
      ],
      data: { error: { code: 'LIMIT', retryable: false } },
    },
  );
}

/** Lines collected up to the terminator; past the size limit only counted, so memory stays bounded. */
export class PastedDocument {
  private readonly lines: string[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Takes one line; true when it was the terminator and the document is complete. */
  add(line: string): boolean {
    if (isTerminator(line)) return true;
    this.append(line);
    return false;
  }

  /** Takes a line as it is, a lone `.` too (a pasted document is delimited by the paste itself). */
  append(line: string): void {
    this.bytes += Buffer.byteLength(line) + 1;
    if (this.bytes <= this.maxBytes) this.lines.push(line);
  }

  /** The text to load, or the reply saying why there is none. */
  result(): DocumentResult {
    if (this.bytes > this.maxBytes) return { refused: tooLarge(this.maxBytes) };
    return { text: this.lines.map((line) => `${line}\n`).join('') };
  }
}

/** Input ended before the `.` line: a cut-off script must not load half a document. */
export function unterminatedDocument(): Reply {
  return failure('The document after /load never ended with a line holding only "."; nothing was loaded.', {
    blocks: [{ kind: 'text', text: 'End the document with a line that is just a dot.' }],
    data: { error: { code: 'USAGE', retryable: false } },
  });
}

/** The lines of a paste, without the line break a copied block usually ends with. */
export function pastedLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * A multi-line paste is commands when every line that says something starts with `/` (no TOML
 * line can), and a document otherwise. A trailing `.` line, copied along from a script, is not
 * part of the document.
 */
export function classifyPaste(lines: readonly string[]): { kind: 'commands' | 'document'; lines: string[] } {
  const meaningful = lines.filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  if (meaningful.length > 0 && meaningful.every((line) => line.trimStart().startsWith('/')))
    return { kind: 'commands', lines: meaningful };
  const last = lines.at(-1);
  const body = last !== undefined && isTerminator(last) ? lines.slice(0, -1) : [...lines];
  return { kind: 'document', lines: body };
}
