/**
 * The two translations at the adapter's edges, without a network: option values → command text
 * that the core's own normaliser and grammar read back exactly, and Reply → a message Discord
 * accepts (2,000 characters, files for the rest, buttons, no mentions).
 */
import { describe, expect, it } from 'vitest';
import { completeParams } from '../../src/adapters/discord/autocomplete.js';
import { commandText, tomlString } from '../../src/adapters/discord/command-text.js';
import { MAX_CONTENT, renderReply } from '../../src/adapters/discord/render.js';
import { normalizeChatText, parseCommandLine } from '../../src/commands/grammar/index.js';
import { failure, privateAnswer, success } from '../../src/commands/reply.js';

describe('option values to command text', () => {
  it('quotes text so it reaches the document exactly as given', () => {
    const awkward = [
      'plain',
      'say "hi" \\ back\\slash',
      'line\nbreak\ttab\u007f',
      '“curly” ‘quotes’',
      'Tom &amp; Jerry <@123> <https://x.test|label>',
      'non\u00a0breaking\u200bzero-width',
      '```fenced```',
      'emoji 🧪 and ünïcödé',
    ];
    for (const value of awkward) {
      const text = commandText('create', new Map([['name', value]]));
      const parsed = parseCommandLine(normalizeChatText(text));
      expect(parsed.params.find((p) => p.key === 'name')?.value, text).toBe(value);
    }
    expect(tomlString('a"b')).toBe('"a\\"b"');
  });

  it('places options in the grammar’s order whatever order they were filled in', () => {
    const values = new Map<string, string | number | boolean>([
      ['params', 'name="DataScientist" privileges=["read","execute"]'],
      ['section', 'roles'],
    ]);
    expect(commandText('add', values)).toBe('/add roles name="DataScientist" privileges=["read","execute"]');
    expect(
      commandText(
        'remove',
        new Map([
          ['key', 'level'],
          ['section', 'logging'],
        ]),
      ),
    ).toBe('/remove logging level');
    expect(commandText('validate', new Map([['strict', true]]))).toBe('/validate strict=true');
    expect(commandText('history', new Map([['limit', 5]]))).toBe('/history limit=5');
    expect(
      commandText(
        'diff',
        new Map([
          ['from', 2],
          ['to', 4],
        ]),
      ),
    ).toBe('/diff 2 4');
    expect(commandText('ask', new Map([['args', '  what is a stage? ']]))).toBe('/ask what is a stage?');
    expect(commandText('load', new Map([['file', '123']]))).toBe('/load');
  });

  it('completes fields without repeating those already given, within 100 characters', () => {
    expect(completeParams('roles', 'name="A" ')).toEqual([
      'name="A" privileges=[]',
      'name="A" description=""',
    ]);
    expect(completeParams('roles', 'description="half')).toEqual(['description="half']);
    const long = `name="${'x'.repeat(95)}" `;
    expect(completeParams('roles', long).every((v) => v.length > 100)).toBe(true);
    expect(completeParams('nonsense', '')).toEqual([]);
  });
});

describe('reply to Discord message', () => {
  it('keeps short replies inline, privately when the core says so, never mentioning anyone', () => {
    const { body, files } = renderReply(privateAnswer('Only for you', { warnings: ['careful'] }));
    expect(body.content).toBe('Only for you\n⚠ careful');
    expect(body.flags & 64).toBe(64);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(files).toEqual([]);
    expect(renderReply(failure('Nope')).body.content).toBe('✖ Nope');
    expect(renderReply(success('*bold* _x_')).body.content).toBe('\\*bold\\* \\_x\\_');
  });

  it('moves long TOML into workflow.toml and keeps the words', () => {
    const toml = Array.from({ length: 200 }, (_, i) => `key${i} = "value ${i}"`).join('\n');
    const { body, files } = renderReply(
      success('The draft:', { blocks: [{ kind: 'code', language: 'toml', code: toml }] }),
    );
    expect(body.content).toBe('The draft:\n(attached as workflow.toml)');
    expect(files).toHaveLength(1);
    expect(files[0]?.name).toBe('workflow.toml');
    expect(files[0]?.data.toString()).toBe(toml);
    expect(body.attachments).toEqual([{ id: 0, filename: 'workflow.toml' }]);
  });

  it('attaches the whole reply when even the words are too long', () => {
    const items = Array.from({ length: 300 }, (_, i) => `entry number ${i}`);
    const { body, files } = renderReply(success('Many:', { blocks: [{ kind: 'list', items }] }));
    expect(body.content.length).toBeLessThanOrEqual(MAX_CONTENT);
    expect(body.content).toMatch(/attached as reply\.md/);
    expect(files.map((f) => f.name)).toEqual(['reply.md']);
  });

  it('keeps a fence inside code from ending the block', () => {
    const { body } = renderReply(success('x', { blocks: [{ kind: 'code', code: 'a```b' }] }));
    expect(body.content.match(/```/g)).toHaveLength(2);
  });

  it('turns buttons into an action row with their short ids', () => {
    const { body } = renderReply(
      privateAnswer('Replace?', {
        buttons: [
          { id: 'aitws:abcdefgh:confirm', label: 'Replace', style: 'danger' },
          { id: 'aitws:abcdefgh:cancel', label: 'Cancel' },
        ],
      }),
    );
    expect(body.components).toEqual([
      {
        type: 1,
        components: [
          { type: 2, style: 4, label: 'Replace', custom_id: 'aitws:abcdefgh:confirm' },
          { type: 2, style: 2, label: 'Cancel', custom_id: 'aitws:abcdefgh:cancel' },
        ],
      },
    ]);
  });
});
