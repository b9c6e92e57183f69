import { describe, expect, it } from 'vitest';
import { validateSender, type AccountSenderNumbers, type SenderRule } from '../../../src/domain/messaging/sender-id.js';

const account: AccountSenderNumbers = { shortCodes: ['36111'], virtualNumbers: ['+33757001122'] };

describe('validateSender: accepted', () => {
  it.each([
    ['ACME', 'ALPHANUMERIC', 'ACME'],
    ['Boulangerie', 'ALPHANUMERIC', 'Boulangerie'], // 11 characters
    ['Abc', 'ALPHANUMERIC', 'Abc'],
    ['Pizza 2000', 'ALPHANUMERIC', 'Pizza 2000'],
    ['36111', 'SHORT_CODE', '36111'],
    ['+33 7 57 00 11 22', 'VIRTUAL_NUMBER', '+33757001122'],
  ])('%j is a %s sender', (input, kind, value) => {
    expect(validateSender(input, account)).toEqual({ ok: true, sender: { kind, value } });
  });
});

describe('validateSender: refused, naming the rule', () => {
  it.each<[string, SenderRule]>([
    ['', 'EMPTY'],
    ['  ', 'EMPTY'],
    ['AB', 'LENGTH'],
    ['Boulangeries', 'LENGTH'], // 12 characters
    ['Café', 'CHARACTERS'],
    ['ACME-SHOP', 'CHARACTERS'],
    ['ACME!', 'CHARACTERS'],
    [' ACME', 'SPACES'],
    ['AC  ME', 'SPACES'],
    ['123', 'NO_LETTER'],
    ['12345678', 'NO_LETTER'],
    ['0612345678', 'NO_LETTER'],
    ['1234', 'NO_LETTER'],
    ['+33 6 12', 'INVALID_NUMBER'],
    ['36222', 'SHORT_CODE_NOT_AVAILABLE'],
    ['+33 6 12 34 56 78', 'NUMBER_NOT_OWNED'],
  ])('%j breaks %s', (input, rule) => {
    const result = validateSender(input, account);
    expect(result).toMatchObject({ ok: false, problem: { code: 'SENDER_INVALID', rule, field: 'sender' } });
  });
});

describe('validateSender: two-way', () => {
  it('refuses an alphanumeric sender for a two-way message', () => {
    expect(validateSender('ACME', account, { twoWay: true })).toMatchObject({
      ok: false,
      problem: { code: 'TWO_WAY_NEEDS_NUMBER', field: 'sender' },
    });
  });

  it.each(['36111', '+33757001122'])('accepts %s for a two-way message', (sender) => {
    expect(validateSender(sender, account, { twoWay: true }).ok).toBe(true);
  });

  it('reports the sender rule before the two-way rule when the sender is invalid anyway', () => {
    expect(validateSender('A', account, { twoWay: true })).toMatchObject({ ok: false, problem: { code: 'SENDER_INVALID', rule: 'LENGTH' } });
  });
});
