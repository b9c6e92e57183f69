import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_LIST } from '../../../src/domain/messaging/default-price-list.js';
import { DEFAULT_SENDING_RULES } from '../../../src/domain/messaging/default-sending-rules.js';
import { previewMessage, type MessagePreviewInput } from '../../../src/domain/messaging/message-preview.js';

const tuesdayMorning = new Date('2025-06-10T10:00:00+02:00');
const base: MessagePreviewInput = {
  text: 'Bonjour {firstname|Client}, -20% sur tout le magasin ce mardi !',
  type: 'MARKETING',
  sender: 'BOUTIQUE',
  account: { dynamicFields: ['ville'], shortCodes: ['36111'], virtualNumbers: ['+33757001122'] },
  recipients: ['06 12 34 56 78'],
  defaultCountry: 'FR',
  priceList: DEFAULT_PRICE_LIST,
  rules: DEFAULT_SENDING_RULES,
  now: tuesdayMorning,
};
const codes = (preview: ReturnType<typeof previewMessage>) => preview.problems.map((p) => p.code);

describe('previewMessage', () => {
  it('renders with sample values, appends the STOP mention for France and prices it', () => {
    const preview = previewMessage(base);
    expect(preview.text).toBe('Bonjour Client, -20% sur tout le magasin ce mardi !\nSTOP au 30101');
    expect(preview).toMatchObject({ encoding: 'GSM7', segments: 1, canSend: true, problems: [] });
    expect(preview.recipients).toEqual([
      expect.objectContaining({ input: '06 12 34 56 78', accepted: true, e164: '+33612345678', country: 'FR', type: 'MOBILE', segments: 1, cost: 45_000, held: false, sendAt: tuesdayMorning }),
    ]);
    expect(preview.totals).toMatchObject({ recipients: 1, accepted: 1, segments: 1, cost: 45_000 });
  });

  it('per-country breakdown: the mention only for France, prices per country', () => {
    const preview = previewMessage({ ...base, recipients: ['+33612345678', '+32470123456', '+4915123456789', '+33698765432'] });
    expect(preview.recipients.map((r) => r.text?.endsWith('STOP au 30101'))).toEqual([true, false, false, true]);
    expect(preview.totals.byCountry).toEqual([
      { country: 'BE', messages: 1, segments: 1, cost: 72_000 },
      { country: 'DE', messages: 1, segments: 1, cost: 79_000 },
      { country: 'FR', messages: 2, segments: 2, cost: 90_000 },
    ]);
    expect(preview.totals.cost).toBe(241_000);
  });

  it('the STOP mention can push a French message into a second segment', () => {
    const text = 'x'.repeat(150);
    const preview = previewMessage({ ...base, text, recipients: ['+33612345678', '+32470123456'] });
    expect(preview.recipients.map((r) => r.segments)).toEqual([2, 1]);
    expect(preview.totals.cost).toBe(2 * 45_000 + 72_000);
  });

  it('reports invalid, non-mobile and duplicate numbers and excludes them from the cost', () => {
    const preview = previewMessage({ ...base, recipients: ['0612345678', 'abc', '01 23 45 67 89', '+33 6 12 34 56 78', '06123'] });
    expect(preview.recipients.map((r) => [r.accepted, r.problems.map((p) => p.code)])).toEqual([
      [true, []],
      [false, ['INVALID_NUMBER']],
      [false, ['NOT_MOBILE']],
      [false, ['DUPLICATE_NUMBER']],
      [false, ['INVALID_NUMBER']],
    ]);
    expect(preview.problems.filter((p) => p.number === 'abc')).toEqual([expect.objectContaining({ code: 'INVALID_NUMBER', field: 'recipients' })]);
    expect(preview.totals).toMatchObject({ recipients: 5, accepted: 1, cost: 45_000 });
    expect(preview.canSend).toBe(true);
  });

  it('unknown placeholder, invalid sender and two-way without a number are message problems', () => {
    expect(codes(previewMessage({ ...base, text: 'Bonjour {prenom}' }))).toEqual(['UNKNOWN_PLACEHOLDER']);
    expect(codes(previewMessage({ ...base, sender: 'AB' }))).toEqual(['SENDER_INVALID']);
    const twoWay = previewMessage({ ...base, options: { twoWay: true } });
    expect(codes(twoWay)).toEqual(['TWO_WAY_NEEDS_NUMBER']);
    expect(twoWay.canSend).toBe(false);
  });

  it('two-way from a short code adds the two-way surcharge', () => {
    const preview = previewMessage({ ...base, sender: '36111', options: { twoWay: true } });
    expect(preview.canSend).toBe(true);
    expect(preview.totals.cost).toBe(45_000 + 30_000);
  });

  it('{link} renders as a sample short link and the tracked link is charged', () => {
    const preview = previewMessage({ ...base, text: 'Votre offre: {link}', options: { trackedLink: true } });
    expect(preview.text).toBe('Votre offre: https://s.example/abcdefg\nSTOP au 30101');
    expect(preview.totals.cost).toBe(45_000 + 10_000);
    expect(codes(previewMessage({ ...base, text: 'Votre offre: {link}' }))).toEqual(['LINK_NOT_ENABLED']);
    expect(codes(previewMessage({ ...base, options: { trackedLink: true } }))).toEqual(['LINK_PLACEHOLDER_MISSING']);
  });

  it('{code} renders as a 6-digit sample, transactional: no mention, no window', () => {
    const sunday = new Date('2025-06-15T23:00:00+02:00');
    const preview = previewMessage({ ...base, type: 'TRANSACTIONAL', text: 'Votre code: {code}', now: sunday });
    expect(preview.text).toBe('Votre code: 123456');
    expect(preview.recipients[0]).toMatchObject({ sendAt: sunday, held: false });
  });

  it('marketing on Sunday is held until Monday 08:00, or refused with strict timing', () => {
    const sunday = new Date('2025-06-15T12:00:00+02:00');
    const held = previewMessage({ ...base, now: sunday, recipients: ['+33612345678', '+32470123456'] });
    expect(held.recipients.map((r) => [r.held, r.sendAt?.toISOString()])).toEqual([
      [true, '2025-06-16T06:00:00.000Z'],
      [false, sunday.toISOString()],
    ]);
    expect(held.firstSendAt).toEqual(sunday);
    expect(held.lastSendAt?.toISOString()).toBe('2025-06-16T06:00:00.000Z');
    expect(held.problems).toEqual([]);

    const strict = previewMessage({ ...base, now: sunday, options: { strictTiming: true } });
    expect(strict.problems).toEqual([
      expect.objectContaining({ code: 'OUTSIDE_SENDING_WINDOW', number: '06 12 34 56 78', message: expect.stringContaining('Monday-Saturday 08:00-20:00') }),
    ]);
    expect(strict.canSend).toBe(false);
    expect(strict.totals.cost).toBe(0);
  });

  it('a schedule in the window is kept', () => {
    const scheduledAt = new Date('2025-06-11T09:00:00+02:00');
    expect(previewMessage({ ...base, scheduledAt }).recipients[0]?.sendAt).toEqual(scheduledAt);
  });

  it('smart encoding keeps a French text in GSM-7 and reports what it replaced', () => {
    const text = 'L’offre “été” – jusqu’à ce soir';
    const plain = previewMessage({ ...base, text });
    expect(plain).toMatchObject({ encoding: 'UCS2', nonGsmCharacters: ['’', '“', '”', '–'] });
    const smart = previewMessage({ ...base, text, options: { smartEncoding: true } });
    expect(smart).toMatchObject({ encoding: 'GSM7', text: 'L\'offre "été" - jusqu\'à ce soir\nSTOP au 30101', nonGsmCharacters: [] });
    expect(smart.replacements).toContainEqual({ character: '’', replacement: "'", count: 2 });
  });

  it('an emoji makes the message UCS-2 and counts two code units', () => {
    const preview = previewMessage({ ...base, text: 'Joyeux anniversaire 🎂', type: 'TRANSACTIONAL' });
    expect(preview).toMatchObject({ encoding: 'UCS2', characters: 21, units: 22, segments: 1 });
  });

  it('a text over 10 parts is TOO_LONG', () => {
    const preview = previewMessage({ ...base, text: 'a'.repeat(1520) });
    expect(codes(preview)).toEqual(['TOO_LONG']); // 1520 + 14 characters of mention = 1534 > 1530
    expect(preview.canSend).toBe(false);
    expect(codes(previewMessage({ ...base, text: 'a'.repeat(1520), recipients: ['+32470123456'] }))).toEqual([]);
  });

  it('empty text and no recipients are problems', () => {
    const preview = previewMessage({ ...base, text: ' ', recipients: [] });
    expect(codes(preview)).toEqual(['EMPTY_TEXT', 'NO_RECIPIENTS']);
    expect(preview.canSend).toBe(false);
  });

  it('the parts are the ones dispatch would submit', () => {
    const preview = previewMessage({ ...base, text: 'b'.repeat(300), type: 'TRANSACTIONAL' });
    expect(preview.parts.map((p) => p.length)).toEqual([153, 147]);
  });
});
