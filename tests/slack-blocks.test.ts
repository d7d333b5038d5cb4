import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { md } from '../src/core/markup.js';
import { buttonValue, fileModal, inputModal, inputOfValue, mrkdwn, parseFileModalMetadata, parseModalMetadata, renderMessage } from '../src/platforms/slack/blocks.js';
import { typedCommand } from '../src/core/catalogue.js';
import { parseSlackCommand } from '../src/platforms/slack/command-text.js';

describe('Slack rendering of core markup', () => {
  it('renders bold, italic, code and links as mrkdwn', () => {
    expect(mrkdwn('a **b** _c_ `d` [e](https://x.y/z?q=1&r=2)')).toBe('a *b* _c_ `d` <https://x.y/z?q=1&amp;r=2|e>');
    expect(mrkdwn('**two words **next')).toBe('*two words* next');
  });

  it('escapes &, < and > in every piece of user text, so no link, mention or ping can be forged', () => {
    const evil = '<!channel> <@U123> <https://evil.example|bank> & &amp;';
    expect(mrkdwn(md`Hi ${evil}`)).toBe('Hi &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|bank&gt; &amp; &amp;amp;');
    expect(mrkdwn(md`**${evil}**`)).toBe('*&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|bank&gt; &amp; &amp;amp;*');
    expect(mrkdwn(md`[${evil}](https://ok.example/a>b)`)).toBe('<https://ok.example/a%3Eb|&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|bank&gt; &amp; &amp;amp;>');
  });

  it('never lets an interpolated value produce a raw <, > or & (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const out = mrkdwn(md`**${a}** _${b}_ ${a}`);
        // Every & starts an entity the renderer wrote; no bare angle bracket survives.
        expect(out).not.toMatch(/[<>]/);
        expect(out.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
      }),
    );
  });

  it('renders a reply: header, sections, fields, buttons, selects, links; escapes fields and fallback', () => {
    const message = renderMessage({
      title: 'Race — round **1**',
      text: md`Who wins? ${'<!here>'}`,
      fields: [
        { name: 'Score', value: '**10**', inline: true },
        { name: md`${'<b>'}`, value: 'x', inline: true },
        { name: '', value: 'wide' },
      ],
      components: [
        [
          { kind: 'button', label: 'A', actionId: 'ra:1:0:0', style: 'success' },
          { kind: 'button', label: 'B', actionId: 'ra:1:0:1', style: 'secondary' },
          { kind: 'button', label: 'Type', actionId: 'qt:s:0', input: { title: 'Your answer', label: 'Answer', maxLength: 200 } },
        ],
        [{ kind: 'select', placeholder: 'Pick', actionId: 'qm:s:0', options: [{ label: 'x', value: '0' }, { label: 'y', value: '1' }], maxValues: 2 }],
        [{ kind: 'link', label: 'Docs', url: 'https://example.com' }],
        [],
      ],
      visibility: 'public',
    });
    expect(message.text).toBe('Race — round 1: Who wins? &lt;!here&gt;');
    expect(message.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'Race — round 1', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: 'Who wins? &lt;!here&gt;' } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Score*\n*10*' }, { type: 'mrkdwn', text: '*&lt;b&gt;*\nx' }] },
      { type: 'section', text: { type: 'mrkdwn', text: 'wide' } },
      {
        type: 'actions',
        block_id: 'row-0',
        elements: [
          { type: 'button', action_id: 'ra:1:0:0', text: { type: 'plain_text', text: 'A', emoji: true }, value: 'ra:1:0:0', style: 'primary' },
          { type: 'button', action_id: 'ra:1:0:1', text: { type: 'plain_text', text: 'B', emoji: true }, value: 'ra:1:0:1' },
          { type: 'button', action_id: 'qt:s:0', text: { type: 'plain_text', text: 'Type', emoji: true }, value: '{"input":{"title":"Your answer","label":"Answer","maxLength":200}}' },
        ],
      },
      {
        type: 'actions',
        block_id: 'row-1',
        elements: [
          {
            type: 'multi_static_select',
            action_id: 'qm:s:0',
            placeholder: { type: 'plain_text', text: 'Pick', emoji: true },
            options: [
              { text: { type: 'plain_text', text: 'x', emoji: true }, value: '0' },
              { text: { type: 'plain_text', text: 'y', emoji: true }, value: '1' },
            ],
            max_selected_items: 2,
          },
        ],
      },
      { type: 'actions', block_id: 'row-2', elements: [{ type: 'button', action_id: 'link-2-0', text: { type: 'plain_text', text: 'Docs', emoji: true }, url: 'https://example.com' }] },
    ]);
  });

  it("keeps within Slack's limits: long text split into sections, labels clipped, at most 50 blocks with the buttons kept", () => {
    const long = Array.from({ length: 400 }, (_, i) => `line ${i} `.repeat(10)).join('\n');
    const message = renderMessage({
      text: long,
      components: [[{ kind: 'button', label: 'x'.repeat(100), actionId: 'go' }]],
      visibility: 'ephemeral',
    });
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(message.blocks.at(-1)!.type).toBe('actions');
    for (const b of message.blocks) if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(3000);
    const button = (message.blocks.at(-1) as any).elements[0];
    expect(button.text.text).toHaveLength(75);
    expect(message.text.length).toBeLessThanOrEqual(3000);
  });

  it('round-trips input buttons and modal metadata, and rejects junk', () => {
    const input = { title: 'Report this question, please', label: "What's wrong?", maxLength: 500 };
    expect(inputOfValue(buttonValue({ kind: 'button', label: 'Report', actionId: 'qrep:q1', input }))).toEqual(input);
    expect(inputOfValue('qa:s:0:1')).toBeUndefined();
    expect(inputOfValue('{"input":')).toBeUndefined();
    expect(inputOfValue('{"input":{"title":1}}')).toBeUndefined();
    const view = inputModal(input, { actionId: 'qrep:q1', channelId: 'C1', responseUrl: 'https://hooks.slack.com/actions/T/1/x' });
    expect(view.title.text).toBe('Report this question, p…');
    expect(parseModalMetadata(view.private_metadata!)).toEqual({ actionId: 'qrep:q1', channelId: 'C1', responseUrl: 'https://hooks.slack.com/actions/T/1/x' });
    expect(parseModalMetadata('not json')).toBeUndefined();
    expect(parseModalMetadata('{"actionId":1}')).toBeUndefined();
  });

  it("keeps modal metadata inside Slack's 3,000 characters by dropping what the form can do without", () => {
    const longUrl = `https://hooks.slack.com/actions/T/1/${'x'.repeat(3000)}`;
    const input = inputModal({ title: 'Answer', label: 'Answer' }, { actionId: 'qt:s:0', channelId: 'C1', responseUrl: longUrl });
    expect(input.private_metadata!.length).toBeLessThanOrEqual(3000);
    expect(parseModalMetadata(input.private_metadata!)).toEqual({ actionId: 'qt:s:0', channelId: 'C1' });
    const meta = { command: 'quiz-admin import', fileOption: 'file', channelId: 'C1' };
    const withUrl = fileModal('Import', 'File', { ...meta, options: { bank: 'team' }, responseUrl: longUrl });
    expect(parseFileModalMetadata(withUrl.private_metadata!)).toEqual({ ...meta, options: { bank: 'team' } });
    const withBigOptions = fileModal('Import', 'File', { ...meta, options: { bank: 'b'.repeat(3000) } });
    expect(withBigOptions.private_metadata!.length).toBeLessThanOrEqual(3000);
    expect(parseFileModalMetadata(withBigOptions.private_metadata!)).toEqual({ ...meta, options: {} });
  });
});

describe('/quiz text → catalogue', () => {
  const parsed = (text: string) => {
    const p = parseSlackCommand(text);
    return p.ok ? { key: p.spec.key, options: p.options } : { error: p.error };
  };

  it('tries `quiz <words>` first, then `<words>`, and falls back to the daily quiz', () => {
    expect(parsed('')).toEqual({ key: 'quiz', options: {} });
    expect(parsed('   ')).toEqual({ key: 'quiz', options: {} });
    expect(parsed('race 5')).toEqual({ key: 'quiz race', options: { rounds: '5' } });
    expect(parsed('RACE lesson:moe-tradeoffs')).toEqual({ key: 'quiz race', options: { lesson: 'moe-tradeoffs' } });
    expect(parsed('review')).toEqual({ key: 'quiz review', options: {} });
    expect(parsed('lesson:moe-tradeoffs')).toEqual({ key: 'quiz', options: { lesson: 'moe-tradeoffs' } });
    expect(parsed('moe-tradeoffs')).toEqual({ key: 'quiz', options: { lesson: 'moe-tradeoffs' } });
    expect(parsed('leaderboard week')).toEqual({ key: 'leaderboard', options: { period: 'week' } });
    expect(parsed('lesson moe-tradeoffs 2')).toEqual({ key: 'lesson', options: { id: 'moe-tradeoffs', section: '2' } });
    expect(parsed('group create Router Fans')).toEqual({ key: 'group create', options: { name: 'Router Fans' } });
    expect(parsed('help')).toEqual({ key: 'help', options: {} });
  });

  it('maps admin and help onto catalogue keys', () => {
    expect(parsed('admin stats')).toEqual({ key: 'quiz-admin stats', options: {} });
    expect(parsed('admin schedule 09:00 Europe/Berlin')).toEqual({ key: 'quiz-admin schedule', options: { time: '09:00', timezone: 'Europe/Berlin' } });
    expect(parsed('help race')).toEqual({ key: 'help', options: { command: 'quiz race' } });
    expect(parsed('help leaderboard')).toEqual({ key: 'help', options: { command: 'leaderboard' } });
    expect(parsed('help admin')).toEqual({ key: 'help', options: { command: 'quiz-admin' } });
    expect(parsed('help group join')).toEqual({ key: 'help', options: { command: 'group join' } });
  });

  it('explains what it cannot map, in the words typed on Slack', () => {
    expect(parsed('admin')).toEqual({ error: expect.stringMatching(/^Admin commands: schedule, stats, reports, end-season/) });
    expect(parsed('admin launch')).toEqual({ error: expect.stringContaining('There is no admin command "launch"') });
    expect(parsed('race 1 moe x')).toEqual({ error: 'Too many values for /quiz race: "x" is not expected.' });
    expect(parsed('admin reports now')).toEqual({ error: 'Too many values for /quiz admin reports: "now" is not expected.' });
    expect(typedCommand('leaderboard', 'slack')).toBe('/quiz leaderboard');
    expect(typedCommand('quiz race', 'slack')).toBe('/quiz race');
    expect(typedCommand('quiz-admin stats', 'slack')).toBe('/quiz admin stats');
  });
});
