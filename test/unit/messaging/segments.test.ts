import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GSM_BASIC_CHARACTERS, GSM_EXTENSION_CHARACTERS, GSM_SEPTETS, detectEncoding, isGsmText, nonGsmCharacters } from '../../../src/domain/messaging/encoding.js';
import { MAX_PARTS, countSegments, segmentMessage, splitIntoParts } from '../../../src/domain/messaging/segments.js';

const EMOJI = '😀';

describe('GSM 03.38 tables', () => {
  it('the basic table has 127 characters (128 codes minus the escape) and the extension table 10', () => {
    expect([...GSM_BASIC_CHARACTERS]).toHaveLength(127);
    expect(new Set(GSM_BASIC_CHARACTERS).size).toBe(127);
    expect([...GSM_EXTENSION_CHARACTERS]).toHaveLength(10);
  });

  it.each([...GSM_BASIC_CHARACTERS].map((c) => [c, c.codePointAt(0)]))('basic %j (U+%s) takes one septet', (character) => {
    expect(countSegments(character)).toMatchObject({ encoding: 'GSM7', units: 1, characters: 1, segments: 1 });
  });

  it.each([...GSM_EXTENSION_CHARACTERS].map((c) => [c, c.codePointAt(0)]))('extension %j (U+%s) takes two septets', (character) => {
    expect(countSegments(character)).toMatchObject({ encoding: 'GSM7', units: 2, characters: 1, segments: 1 });
  });

  it('accented letters of GSM stay GSM-7', () => {
    expect(detectEncoding('é è ù ì ò Ç Ø ø Å å Ä Ö Ñ Ü ä ö ñ ü à É Æ æ ß')).toBe('GSM7');
  });

  it.each([
    ['ç', 'lower-case c cedilla (GSM only has Ç)'],
    ['ê', 'e circumflex'],
    ['`', 'backtick'],
    ['\t', 'tab'],
    ['\u001B', 'the escape code itself'],
    ['’', 'curly apostrophe'],
    ['Ж', 'Cyrillic'],
    [EMOJI, 'emoji'],
  ])('%j (%s) forces UCS-2', (character) => {
    expect(detectEncoding(`Bonjour ${character}`)).toBe('UCS2');
  });

  it('exactly 137 code units are GSM in the lookup table', () => {
    let count = 0;
    for (const septets of GSM_SEPTETS) if (septets > 0) count++;
    expect(count).toBe(137);
  });

  it('nonGsmCharacters lists each offending character once, emoji whole', () => {
    expect(nonGsmCharacters(`Привет ${EMOJI} à ${EMOJI} ç`)).toEqual(['П', 'р', 'и', 'в', 'е', 'т', EMOJI, 'ç']);
  });
});

describe('countSegments: boundaries', () => {
  const a = (n: number) => 'a'.repeat(n);
  const zh = (n: number) => 'Ж'.repeat(n);
  it.each<[string, string, 'GSM7' | 'UCS2', number, number]>([
    ['empty', '', 'GSM7', 0, 1],
    ['160 GSM', a(160), 'GSM7', 160, 1],
    ['161 GSM', a(161), 'GSM7', 161, 2],
    ['306 GSM', a(306), 'GSM7', 306, 2],
    ['307 GSM', a(307), 'GSM7', 307, 3],
    ['1530 GSM', a(1530), 'GSM7', 1530, 10],
    ['1531 GSM', a(1531), 'GSM7', 1531, 11],
    ['80 euro signs = 160 septets', '€'.repeat(80), 'GSM7', 160, 1],
    ['81 euro signs = 162 septets', '€'.repeat(81), 'GSM7', 162, 2],
    ['159 GSM + one extension char', a(159) + '[', 'GSM7', 161, 2],
    ['70 UCS-2', zh(70), 'UCS2', 70, 1],
    ['71 UCS-2', zh(71), 'UCS2', 71, 2],
    ['134 UCS-2', zh(134), 'UCS2', 134, 2],
    ['135 UCS-2', zh(135), 'UCS2', 135, 3],
    ['35 emoji = 70 code units', EMOJI.repeat(35), 'UCS2', 70, 1],
    ['36 emoji = 72 code units', EMOJI.repeat(36), 'UCS2', 72, 2],
    ['one emoji in 69 Latin letters', a(69) + EMOJI, 'UCS2', 71, 2],
  ])('%s', (_name, text, encoding, units, segments) => {
    expect(countSegments(text)).toMatchObject({ encoding, units, segments });
  });

  it('counts an emoji as one character but two code units', () => {
    expect(countSegments(`Merci ${EMOJI}`)).toMatchObject({ characters: 7, units: 8 });
  });

  it('mixed Latin and Cyrillic is UCS-2 for the whole message', () => {
    const text = 'Votre code: 1234. Ваш код: 1234';
    expect(countSegments(text)).toMatchObject({ encoding: 'UCS2', units: text.length, segments: 1 });
  });

  it('says how many units are left in the last part', () => {
    expect(countSegments(a(150)).remaining).toBe(10);
    expect(countSegments(a(200)).remaining).toBe(153 - 47);
    expect(countSegments(zh(60)).remaining).toBe(10);
  });
});

describe('part boundaries', () => {
  it('an extension character that would straddle a GSM part boundary moves to the next part', () => {
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(10);
    const message = segmentMessage(text);
    expect(message.parts).toEqual(['a'.repeat(152), '€' + 'b'.repeat(10)]);
    expect(message.segments).toBe(2);
    expect(message.remaining).toBe(153 - 12);
  });

  it('escape pairs pushing the message into one more part are counted exactly', () => {
    // 153 extension characters = 306 septets, but a part holds only 76 of them (152 septets).
    const text = '{'.repeat(153);
    expect(countSegments(text).segments).toBe(3);
    expect(splitIntoParts(text).map((p) => p.length)).toEqual([76, 76, 1]);
  });

  it('a surrogate pair that would straddle a UCS-2 part boundary moves to the next part', () => {
    const text = 'Ж'.repeat(66) + EMOJI + 'Ж'.repeat(10);
    const message = segmentMessage(text);
    expect(message.parts).toEqual(['Ж'.repeat(66), EMOJI + 'Ж'.repeat(10)]);
    expect(message.segments).toBe(2);
  });

  it('emoji only: 33 per part', () => {
    expect(splitIntoParts(EMOJI.repeat(36))).toEqual([EMOJI.repeat(33), EMOJI.repeat(3)]);
  });

  it('a single SMS is sent whole', () => {
    expect(segmentMessage('Bonjour Zoé').parts).toEqual(['Bonjour Zoé']);
  });

  it(`more than ${MAX_PARTS} parts is a TOO_LONG problem, not an exception`, () => {
    expect(segmentMessage('a'.repeat(1530)).problem).toBeNull();
    const message = segmentMessage('a'.repeat(1531));
    expect(message.problem).toMatchObject({ code: 'TOO_LONG', segments: 11, maxSegments: 10 });
    expect(message.problem?.message).toContain('11 SMS');
    expect(segmentMessage('Ж'.repeat(671)).problem).toMatchObject({ code: 'TOO_LONG', segments: 11 });
  });
});

// Mostly GSM text with extension characters, non-GSM BMP characters and emoji sprinkled in.
const smsCharacter = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...GSM_BASIC_CHARACTERS) },
  { weight: 3, arbitrary: fc.constantFrom(...GSM_EXTENSION_CHARACTERS) },
  { weight: 1, arbitrary: fc.constantFrom('Ж', 'ç', '’', 'ê', '中', 'ا') },
  { weight: 1, arbitrary: fc.constantFrom(EMOJI, '👍🏽', '🇫🇷', '𝔸') },
);
const smsText = fc.array(smsCharacter, { maxLength: 1700 }).map((characters) => characters.join(''));
const gsmOnlyText = fc.array(fc.constantFrom(...GSM_BASIC_CHARACTERS, ...GSM_EXTENSION_CHARACTERS), { maxLength: 700 }).map((c) => c.join(''));

function unitsOf(part: string, encoding: 'GSM7' | 'UCS2'): number {
  if (encoding === 'UCS2') return part.length;
  let septets = 0;
  for (const character of part) septets += GSM_EXTENSION_CHARACTERS.includes(character) ? 2 : 1;
  return septets;
}

describe('segments: properties', () => {
  it('parts re-join to the text and their number is the segment count', () => {
    fc.assert(
      fc.property(fc.oneof(smsText, gsmOnlyText), (text) => {
        const message = segmentMessage(text);
        expect(message.parts.join('')).toBe(text);
        expect(message.parts).toHaveLength(message.segments);
      }),
      { numRuns: 500 },
    );
  });

  it('each part is within its limit and never ends inside a surrogate pair', () => {
    fc.assert(
      fc.property(fc.oneof(smsText, gsmOnlyText), (text) => {
        const message = segmentMessage(text);
        const limit = message.encoding === 'GSM7' ? (message.segments === 1 ? 160 : 153) : message.segments === 1 ? 70 : 67;
        for (const part of message.parts) {
          expect(unitsOf(part, message.encoding)).toBeLessThanOrEqual(limit);
          const last = part.charCodeAt(part.length - 1);
          expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
        }
        // Parts are filled greedily: the next part's first character would not have fitted.
        for (let p = 0; p + 1 < message.parts.length; p++) {
          const next = [...(message.parts[p + 1] ?? '')][0] ?? '';
          expect(unitsOf((message.parts[p] ?? '') + next, message.encoding)).toBeGreaterThan(limit);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the encoding is GSM-7 exactly when every character is in the GSM tables', () => {
    const gsm = new Set([...GSM_BASIC_CHARACTERS, ...GSM_EXTENSION_CHARACTERS]);
    fc.assert(
      fc.property(smsText, (text) => {
        const allGsm = [...text].every((c) => gsm.has(c));
        expect(countSegments(text).encoding).toBe(allGsm ? 'GSM7' : 'UCS2');
        expect(isGsmText(text)).toBe(allGsm);
      }),
      { numRuns: 500 },
    );
  });

  it('characters count code points and units count septets or code units', () => {
    fc.assert(
      fc.property(smsText, (text) => {
        const count = countSegments(text);
        expect(count.characters).toBe([...text].length);
        expect(count.units).toBe(unitsOf(text, count.encoding));
      }),
    );
  });
});
