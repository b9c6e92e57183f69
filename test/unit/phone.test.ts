import { describe, expect, it } from 'vitest';
import { isMobileType, parsePhone, type PhoneInvalidReason, type PhoneNumberType, type PhoneParseOptions } from '../../src/domain/phone.js';

const FR: PhoneParseOptions = { defaultCountry: 'FR' };

describe('parsePhone: valid numbers', () => {
  const cases: Array<[string, PhoneParseOptions, string, string | null, PhoneNumberType]> = [
    ['06 12 34 56 78', FR, '+33612345678', 'FR', 'MOBILE'],
    ['07.81.23.45.67', FR, '+33781234567', 'FR', 'MOBILE'],
    ['0612345678', { defaultCallingCode: '+33' }, '+33612345678', 'FR', 'MOBILE'],
    ['0612345678', { defaultCallingCode: '33' }, '+33612345678', 'FR', 'MOBILE'],
    ['0612345678', { defaultCallingCode: '0033' }, '+33612345678', 'FR', 'MOBILE'],
    ['+33 6 12 34 56 78', {}, '+33612345678', 'FR', 'MOBILE'],
    ['0033612345678', {}, '+33612345678', 'FR', 'MOBILE'],
    ['  +33 (0)6-12-34-56-78  ', {}, '+33612345678', 'FR', 'MOBILE'],
    ['01 23 45 67 89', FR, '+33123456789', 'FR', 'FIXED_LINE'],
    ['+33 9 12 34 56 78', {}, '+33912345678', 'FR', 'VOIP'],
    ['+33 8 12 34 56 78', {}, '+33812345678', 'FR', 'PREMIUM_RATE'],
    ['+44 7400 123456', {}, '+447400123456', 'GB', 'MOBILE'],
    ['07400 123456', { defaultCountry: 'GB' }, '+447400123456', 'GB', 'MOBILE'],
    ['07400 123456', { defaultCallingCode: '+44' }, '+447400123456', 'GB', 'MOBILE'],
    // +44 is shared: 07911 12.... is a Guernsey mobile range.
    ['+44 7911 123456', {}, '+447911123456', 'GG', 'MOBILE'],
    ['+49 151 23456789', FR, '+4915123456789', 'DE', 'MOBILE'],
    ['+1 201 555 0123', {}, '+12015550123', 'US', 'FIXED_LINE_OR_MOBILE'],
    ['+1 800 555 0123', {}, '+18005550123', 'US', 'TOLL_FREE'],
    ['011 33 6 12 34 56 78', { defaultCountry: 'US' }, '+33612345678', 'FR', 'MOBILE'],
    ['+870 773 111 632', {}, '+870773111632', null, 'MOBILE'],
  ];
  it.each(cases)('%j with %j is %s (%s, %s)', (input, options, e164, country, type) => {
    const result = parsePhone(input, options);
    expect(result).toMatchObject({ ok: true, phone: { e164, country, type } });
  });

  it('an international number ignores the default country', () => {
    expect(parsePhone('+44 7400 123456', FR)).toMatchObject({ ok: true, phone: { country: 'GB', callingCode: '44', nationalNumber: '7400123456' } });
  });
});

describe('parsePhone: refused numbers', () => {
  const cases: Array<[string, PhoneParseOptions, PhoneInvalidReason]> = [
    ['', FR, 'EMPTY'],
    ['   ', FR, 'EMPTY'],
    ['abc', FR, 'NOT_A_NUMBER'],
    ['+', {}, 'NOT_A_NUMBER'],
    ['06 12 34 56 7a', FR, 'NOT_A_NUMBER'],
    ['+33 6 12 34 56 78 ext 12', {}, 'NOT_A_NUMBER'],
    ['+33612345678#12', {}, 'NOT_A_NUMBER'],
    ['0612345678', {}, 'NO_COUNTRY'],
    ['0612345678', { defaultCountry: 'XX' }, 'INVALID_COUNTRY'],
    ['0612345678', { defaultCallingCode: '999' }, 'INVALID_COUNTRY'],
    ['+999 123456', {}, 'INVALID_COUNTRY'],
    ['+33 6 12 34', {}, 'TOO_SHORT'],
    ['+33 6 12 34 56 7', {}, 'TOO_SHORT'],
    // The library keeps the 0 when stripping it would leave too few digits: 9 digits, none assigned.
    ['06 12 34 56 7', FR, 'INVALID_FOR_REGION'],
    ['0612345678', { defaultCallingCode: '+' }, 'INVALID_COUNTRY'],
    ['+33', {}, 'TOO_SHORT'],
    ['+33 6 12 34 56 78 90 12', {}, 'TOO_LONG'],
    ['06 12 34 56 78 9', FR, 'TOO_LONG'],
    ['+33 0 12 34 56 78', {}, 'INVALID_FOR_REGION'],
  ];
  it.each(cases)('%j with %j is refused as %s', (input, options, reason) => {
    const result = parsePhone(input, options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(reason);
    expect(result.message.length).toBeGreaterThan(10);
  });

  it('the message names the input', () => {
    const result = parsePhone('06 12 34', FR);
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining('06 12 34') });
  });
});

describe('isMobileType', () => {
  it.each<[PhoneNumberType, boolean]>([
    ['MOBILE', true],
    ['FIXED_LINE_OR_MOBILE', true],
    ['FIXED_LINE', false],
    ['VOIP', false],
    ['TOLL_FREE', false],
    ['UNKNOWN', false],
  ])('%s -> %s', (type, expected) => expect(isMobileType(type)).toBe(expected));
});
