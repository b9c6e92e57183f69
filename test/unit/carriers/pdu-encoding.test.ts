import fc from 'fast-check';
import smpp from 'smpp';
import { describe, expect, it } from 'vitest';
import { GSM_BASIC_CHARACTERS, GSM_EXTENSION_CHARACTERS } from '../../../src/domain/messaging/encoding.js';
import { messageContent } from '../../../src/gateways/carriers/deliver-sm.js';
import {
  DATA_CODING_DEFAULT_ALPHABET,
  DATA_CODING_UCS2,
  destinationAddress,
  encodeGsm7,
  encodeMessage,
  encodeUcs2,
  readAddress,
  sourceAddress,
} from '../../../src/gateways/carriers/pdu-encoding.js';
import { readConcatenation } from '../../../src/gateways/carriers/udh.js';

/**
 * What a carrier sees: the parts go through the `smpp` package's own encoder into bytes and its
 * decoder back (an independent GSM 03.38 / UCS-2 implementation), then reassemble by their UDH.
 */
function throughTheWire(text: string, encoding?: 'GSM7' | 'UCS2'): { text: string; dataCoding: number; parts: number; references: Set<number> } {
  const encoded = encodeMessage(text, encoding, 42);
  const texts: string[] = new Array<string>(encoded.parts.length);
  const references = new Set<number>();
  encoded.parts.forEach((part, i) => {
    const pdu = new smpp.PDU('submit_sm', { destination_addr: '33612345678', esm_class: part.esmClass, data_coding: encoded.dataCoding, short_message: part.shortMessage });
    const received = new smpp.PDU(pdu.toBuffer());
    const content = messageContent(received);
    const concatenation = readConcatenation(content.udh);
    if (encoded.parts.length === 1) {
      expect(concatenation).toBeNull();
      texts[0] = content.text;
      return;
    }
    expect(concatenation).toMatchObject({ total: encoded.parts.length, index: i + 1 });
    references.add(concatenation?.reference ?? -1);
    texts[(concatenation?.index ?? 0) - 1] = content.text;
  });
  return { text: texts.join(''), dataCoding: encoded.dataCoding, parts: encoded.parts.length, references };
}

describe('GSM-7 (data_coding 0, one septet per octet)', () => {
  it('maps the basic table to its positions, skipping the escape at 0x1B', () => {
    expect([...encodeGsm7('@£$')]).toEqual([0x00, 0x01, 0x02]);
    expect([...encodeGsm7('ÆæßÉ')]).toEqual([0x1c, 0x1d, 0x1e, 0x1f]);
    expect([...encodeGsm7('Hi!')]).toEqual([0x48, 0x69, 0x21]);
    expect([...encodeGsm7('¿à')]).toEqual([0x60, 0x7f]);
  });

  it('sends extension characters as escape + code', () => {
    expect([...encodeGsm7('€[]{}')]).toEqual([0x1b, 0x65, 0x1b, 0x3c, 0x1b, 0x3e, 0x1b, 0x28, 0x1b, 0x29]);
  });

  it('encodes every GSM character to one octet, or two for the extension table', () => {
    expect(encodeGsm7(GSM_BASIC_CHARACTERS)).toHaveLength(127);
    expect(encodeGsm7(GSM_EXTENSION_CHARACTERS)).toHaveLength(20);
  });

  it('refuses a character outside GSM 03.38, naming it', () => {
    expect(() => encodeGsm7('ça')).toThrow(/"ç" is not in the GSM 03.38 alphabet/);
  });
});

describe('UCS-2 (data_coding 8)', () => {
  it('is UTF-16 big-endian, an emoji being a surrogate pair', () => {
    expect([...encodeUcs2('Aé😀')]).toEqual([0x00, 0x41, 0x00, 0xe9, 0xd8, 0x3d, 0xde, 0x00]);
  });
});

describe('messages as parts with UDH', () => {
  it('a short GSM text is one part, no UDH, data_coding 0', () => {
    const encoded = encodeMessage('Hello', undefined, 1);
    expect(encoded).toMatchObject({ encoding: 'GSM7', dataCoding: DATA_CODING_DEFAULT_ALPHABET });
    expect(encoded.parts).toEqual([{ shortMessage: encodeGsm7('Hello'), esmClass: 0 }]);
  });

  it('a 161-character GSM text is two parts with the UDH flag and the same reference', () => {
    const encoded = encodeMessage('a'.repeat(161), undefined, 300);
    expect(encoded.parts).toHaveLength(2);
    expect(encoded.parts.map((part) => part.esmClass)).toEqual([0x40, 0x40]);
    expect([...(encoded.parts[0]?.shortMessage.subarray(0, 6) ?? [])]).toEqual([5, 0, 3, 300 & 0xff, 2, 1]);
    expect(encoded.parts[0]?.shortMessage).toHaveLength(6 + 153);
    expect(encoded.parts[1]?.shortMessage).toHaveLength(6 + 8);
  });

  it('an emoji makes it UCS-2, parts of 67 code units never splitting the pair', () => {
    const text = `${'x'.repeat(66)}😀 and more`;
    const encoded = encodeMessage(text, undefined, 1);
    expect(encoded).toMatchObject({ encoding: 'UCS2', dataCoding: DATA_CODING_UCS2 });
    expect(encoded.parts).toHaveLength(2);
    expect(encoded.parts[0]?.shortMessage).toHaveLength(6 + 66 * 2);
  });

  it('honours UCS-2 asked for a GSM text, and refuses GSM-7 asked for a non-GSM one', () => {
    expect(encodeMessage('Hello', 'UCS2', 1).dataCoding).toBe(DATA_CODING_UCS2);
    expect(() => encodeMessage('Привет', 'GSM7', 1)).toThrow(/GSM-7 was asked/);
  });

  it('refuses more than 10 parts', () => {
    expect(() => encodeMessage('a'.repeat(153 * 10 + 1), undefined, 1)).toThrow(/11 parts, at most 10/);
  });

  it.each([
    ['multi-part GSM with extension characters', `Promo {SOLDES} -20% sur [tout] le ~magasin~ | 10€ offerts ^^ \\o/ `.repeat(6)],
    ['UCS-2 with emoji across parts', `Merci 🙏 pour votre commande 😀! ${'🎉'.repeat(40)} à bientôt Ж`],
    ['single GSM', 'Votre code: 123456'],
    ['escape pair right at a part boundary', `${'a'.repeat(152)}€${'b'.repeat(10)}`],
  ])('%s reassembles to the original text after the smpp package decodes it', (_case, text) => {
    const received = throughTheWire(text);
    expect(received.text).toBe(text);
    if (received.parts > 1) expect(received.references.size).toBe(1);
  });

  it('any GSM or Unicode text of up to 10 parts survives the wire (property)', () => {
    const gsmCharacter = fc.constantFrom(...GSM_BASIC_CHARACTERS, ...GSM_EXTENSION_CHARACTERS);
    const anyCharacter = fc.oneof(gsmCharacter, fc.constantFrom('😀', 'Ж', 'ç', '’', '中', '🇫🇷'));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: gsmCharacter, maxLength: 760 }), fc.string({ unit: anyCharacter, maxLength: 160 })), (text) => {
        expect(throughTheWire(text).text).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});

describe('addresses', () => {
  it.each([
    ['+33612345678', { ton: 1, npi: 1, address: '33612345678' }],
    ['36111', { ton: 0, npi: 1, address: '36111' }],
    ['ACME Shop', { ton: 5, npi: 0, address: 'ACME Shop' }],
  ])('sender %j', (from, expected) => {
    expect(sourceAddress(from)).toEqual(expected);
  });

  it.each(['', 'ACME-SHOP', 'A very long name', '+0123'])('refuses sender %j', (from) => {
    expect(() => sourceAddress(from)).toThrow(/sender/);
  });

  it('destinations must be E.164', () => {
    expect(destinationAddress('+447700900123')).toEqual({ ton: 1, npi: 1, address: '447700900123' });
    expect(() => destinationAddress('0612345678')).toThrow(/not an E.164 number/);
  });

  it('reads international numbers back with their +', () => {
    expect(readAddress(1, '33612345678')).toBe('+33612345678');
    expect(readAddress(0, '36111')).toBe('36111');
    expect(readAddress(5, 'ACME')).toBe('ACME');
  });
});
