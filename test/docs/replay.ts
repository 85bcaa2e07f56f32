/**
 * Reading a doc page's examples so a test can replay them (test/docs/quickstart.test.ts): its
 * fenced blocks, the console-chat and shell sessions in them, and matching printed lines against
 * the lines shown, where `…` stands for any text in a line and a line holding only `…` for any
 * number of lines (none included).
 */

export interface Block {
  /** The `##` heading the block sits under ('' before the first). */
  readonly heading: string;
  readonly language: string;
  readonly lines: readonly string[];
}

/** The fenced code blocks of a Markdown text, each with the `##` heading it sits under. */
export function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let heading = '';
  let open: { language: string; lines: string[] } | undefined;
  for (const line of markdown.split('\n')) {
    if (open === undefined && line.startsWith('## ')) heading = line.slice(3).trim();
    else if (open === undefined && line.startsWith('```'))
      open = { language: line.slice(3).trim(), lines: [] };
    else if (open !== undefined && line.startsWith('```')) {
      blocks.push({ heading, ...open });
      open = undefined;
    } else open?.lines.push(line);
  }
  if (open !== undefined) throw new Error(`a fenced block under "${heading}" is never closed`);
  return blocks;
}

/** A line typed in the console: `aitws:CHANNEL (USER)> COMMAND`. */
export interface ChatStep {
  readonly channel: string;
  readonly user: string;
  readonly command: string;
  readonly expected: string[];
}

/** A line typed in the shell: `$ COMMAND`, optionally ending in `# exits N`. */
export interface ShellStep {
  readonly command: string;
  readonly exitCode: number;
  readonly expected: string[];
}

const CHAT_PROMPT = /^aitws:([a-z0-9_-]+) \(([a-z]+)\)> (.*)$/;
const SHELL_PROMPT = /^\$ (.*?)(?:\s+# exits (\d+))?$/;

export const isChatBlock = (block: Block): boolean =>
  block.language === 'text' && CHAT_PROMPT.test(block.lines[0] ?? '');
export const isShellBlock = (block: Block): boolean =>
  block.language === 'console' && SHELL_PROMPT.test(block.lines[0] ?? '');

export function chatSteps(block: Block): ChatStep[] {
  const steps: ChatStep[] = [];
  for (const line of block.lines) {
    const prompt = CHAT_PROMPT.exec(line);
    if (prompt === null) steps.at(-1)?.expected.push(line);
    else
      steps.push({ channel: prompt[1] ?? '', user: prompt[2] ?? '', command: prompt[3] ?? '', expected: [] });
  }
  return steps;
}

export function shellSteps(block: Block): ShellStep[] {
  const steps: ShellStep[] = [];
  for (const line of block.lines) {
    const prompt = SHELL_PROMPT.exec(line);
    if (prompt === null) steps.at(-1)?.expected.push(line);
    else steps.push({ command: prompt[1] ?? '', exitCode: Number(prompt[2] ?? '0'), expected: [] });
  }
  return steps;
}

/** Consecutive steps typed by the same person in the same channel: one console each. */
export function byConsole(steps: readonly ChatStep[]): ChatStep[][] {
  const runs: ChatStep[][] = [];
  for (const step of steps) {
    const last = runs.at(-1);
    const first = last?.[0];
    if (last !== undefined && first?.user === step.user && first.channel === step.channel) last.push(step);
    else runs.push([step]);
  }
  return runs;
}

const ANY_LINES = '…';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A shown line as a pattern: `…` is any text, everything else literal. */
export function linePattern(expected: string): RegExp {
  return new RegExp(`^${expected.split('…').map(escapeRegExp).join('.*')}$`);
}

/** Whether the printed lines are the shown ones, `…` lines standing for any number of lines. */
export function matchesLines(expected: readonly string[], printed: readonly string[]): boolean {
  const patterns = expected.map((line) => (line === ANY_LINES ? undefined : linePattern(line)));
  const failed = new Set<string>();
  const from = (e: number, p: number): boolean => {
    if (e === patterns.length) return p === printed.length;
    const key = `${e}:${p}`;
    if (failed.has(key)) return false;
    const pattern = patterns[e];
    const ok =
      pattern === undefined
        ? from(e + 1, p) || (p < printed.length && from(e, p + 1))
        : p < printed.length && pattern.test(printed[p] ?? '') && from(e + 1, p + 1);
    if (!ok) failed.add(key);
    return ok;
  };
  return from(0, 0);
}

/** Output as lines, without the newline that ends the last one. */
export function outputLines(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}
