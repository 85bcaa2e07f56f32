/** The Reply → Block Kit rendering: Slack's limits, escaping, files and buttons. */
import { describe, expect, it } from 'vitest';
import {
  codeBlock,
  escapeInChunks,
  escapeText,
  slackCommandWording,
} from '../../src/adapters/slack/mrkdwn.js';
import { type Block, MAX_BLOCKS, renderReply } from '../../src/adapters/slack/render.js';
import { failure, privateAnswer, success } from '../../src/commands/reply.js';

const options = { commandNames: ['add', 'help', 'show', 'remove'], slashCommand: '/aitws' };

function sectionTexts(blocks: readonly Block[]): string[] {
  return blocks.flatMap((b) => (b.type === 'section' && b.text !== undefined ? [b.text.text] : []));
}

describe('renderReply', () => {
  it('escapes &, < and > in every text, and no text object lets Slack parse mentions', () => {
    const reply = success('<!channel> & <@U1>', {
      blocks: [
        { kind: 'code', code: 'a = "<https://x|y>"' },
        { kind: 'list', items: ['<!here>'] },
        { kind: 'fields', fields: [{ label: 'Name', value: '<#C1>' }] },
      ],
      warnings: ['<!everyone>'],
    });
    const rendered = renderReply(reply, { ...options, byline: 'eve <!channel>: /aitws add' });
    const json = JSON.stringify(rendered);
    expect(json).not.toMatch(/<[!@#h]/);
    expect(rendered.text).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
    for (const block of rendered.blocks) {
      if (block.type === 'section') expect(block.text).toMatchObject({ type: 'mrkdwn', verbatim: true });
    }
  });

  it('keeps each section within 3,000 characters and a message within 50 blocks', () => {
    const long = Array.from({ length: 4000 }, (_, i) => `line ${i} with <angle> & ampersand`).join('\n');
    const rendered = renderReply(
      privateAnswer(long, { buttons: [{ id: 'aitws:abcdefghij:confirm', label: 'OK' }] }),
      options,
    );
    expect(rendered.blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
    for (const text of sectionTexts(rendered.blocks)) expect(text.length).toBeLessThanOrEqual(3000);
    expect(sectionTexts(rendered.blocks).at(-1)).toMatch(/more parts did not fit/);
    expect(rendered.blocks.at(-1)?.type).toBe('actions');
  });

  it('splits one enormous line without breaking an escape', () => {
    const chunks = escapeInChunks('&'.repeat(1000), 3000);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(3000);
      expect(chunk).toMatch(/^(&amp;)+$/);
    }
    expect(chunks.join('')).toBe('&amp;'.repeat(1000));
  });

  it('renders code in a fence that the code itself cannot close', () => {
    const fenced = codeBlock('a = """\n```\n<b>\n"""\n');
    expect(fenced.startsWith('```\n')).toBe(true);
    expect(fenced.endsWith('\n```')).toBe(true);
    expect(fenced.slice(4, -4)).not.toContain('```');
    expect(fenced).toContain('&lt;b&gt;');
  });

  it('turns code too long for a section into workflow.toml, with a note instead', () => {
    const code = `[metadata]\nname = "x"\n${'# filler\n'.repeat(400)}`;
    const rendered = renderReply(
      privateAnswer('Draft "x" · v3', { blocks: [{ kind: 'code', language: 'toml', code }] }),
      options,
    );
    expect(rendered.uploads).toEqual([{ filename: 'workflow.toml', title: 'workflow.toml', content: code }]);
    expect(sectionTexts(rendered.blocks).join('\n')).toMatch(/attached as `workflow.toml`/);
    expect(rendered.comment).toBe('Draft "x" · v3');
  });

  it('uploads attachments and names two files apart', () => {
    const reply = success('Saved', {
      attachments: [
        { filename: 'workflow.toml', contentType: 'application/toml', content: 'a = 1\n' },
        { filename: 'workflow.toml', contentType: 'application/toml', content: 'b = 2\n' },
      ],
    });
    const rendered = renderReply(reply, { ...options, byline: 'alice: /aitws save' });
    expect(rendered.uploads.map((u) => u.filename)).toEqual(['workflow.toml', 'workflow-2.toml']);
    expect(rendered.comment).toBe('Saved\nalice: /aitws save');
  });

  it('renders buttons that carry only their short id', () => {
    const rendered = renderReply(
      privateAnswer('Replace?', {
        buttons: [
          { id: 'aitws:abcdefghij:confirm', label: 'Replace', style: 'danger' },
          { id: 'aitws:abcdefghij:cancel', label: 'Cancel' },
        ],
      }),
      options,
    );
    const actions = rendered.blocks.find((b) => b.type === 'actions');
    expect(actions).toEqual({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'aitws:abcdefghij:confirm',
          value: 'aitws:abcdefghij:confirm',
          text: { type: 'plain_text', text: 'Replace', emoji: true },
          style: 'danger',
        },
        {
          type: 'button',
          action_id: 'aitws:abcdefghij:cancel',
          value: 'aitws:abcdefghij:cancel',
          text: { type: 'plain_text', text: 'Cancel', emoji: true },
        },
      ],
    });
  });

  it('says /aitws add where the core says /add, but leaves paths and code alone', () => {
    expect(slackCommandWording('Type /help or /add roles; see /show.', options.commandNames, '/aitws')).toBe(
      'Type /aitws help or /aitws add roles; see /aitws show.',
    );
    expect(slackCommandWording('a/add /additional /tmp/add', options.commandNames, '/aitws')).toBe(
      'a/add /additional /tmp/add',
    );
    const rendered = renderReply(failure('x', { blocks: [{ kind: 'code', code: '/add roles' }] }), options);
    expect(sectionTexts(rendered.blocks)[1]).toBe('```\n/add roles\n```');
  });

  it('escapes exactly &, < and >', () => {
    expect(escapeText('a&b<c>d"e\'f')).toBe('a&amp;b&lt;c&gt;d"e\'f');
  });
});
