import { describe, expect, it } from 'vitest';
import {
  formatReceiptText,
  interpretReceipt,
  isReceiptEsmClass,
  MESSAGE_STATE,
  parseReceiptDate,
  parseReceiptText,
} from '../../../src/gateways/carriers/delivery-receipt.js';

const STANDARD = 'id:0123456789 sub:001 dlvrd:001 submit date:2411251430 done date:2411251431 stat:DELIVRD err:000 text:Hello there';

describe('receipt text (SMPP 3.4 appendix B)', () => {
  it('reads every field of the standard text', () => {
    expect(parseReceiptText(STANDARD)).toEqual({
      id: '0123456789',
      sub: '001',
      dlvrd: '001',
      submitDate: new Date('2024-11-25T14:30:00Z'),
      doneDate: new Date('2024-11-25T14:31:00Z'),
      stat: 'DELIVRD',
      err: '000',
      text: 'Hello there',
    });
  });

  it('accepts capitalised field names, dates with seconds and a text with colons', () => {
    const parsed = parseReceiptText('Id:AB12 Sub:001 Dlvrd:000 Submit date:241125143005 Done date:241125143107 Stat:UNDELIV Err:034 Text:Ref: 12:30');
    expect(parsed).toMatchObject({ id: 'AB12', stat: 'UNDELIV', err: '034', text: 'Ref: 12:30', doneDate: new Date('2024-11-25T14:31:07Z') });
  });

  it('never reads fields from the echoed text', () => {
    expect(parseReceiptText('id:5 stat:DELIVRD err:000 text:stat:UNDELIV err:999')).toMatchObject({ stat: 'DELIVRD', err: '000', text: 'stat:UNDELIV err:999' });
    expect(parseReceiptText('id:5 text:stat:DELIVRD')).toMatchObject({ stat: null });
  });

  it('leaves missing fields null', () => {
    expect(parseReceiptText('id:77 stat:EXPIRED')).toMatchObject({ id: '77', stat: 'EXPIRED', err: null, submitDate: null, doneDate: null, text: null });
  });

  it.each([
    ['2411251430', '2024-11-25T14:30:00.000Z'],
    ['241125143059', '2024-11-25T14:30:59.000Z'],
    ['2402301200', null],
    ['24112514', null],
    ['24112514x0', null],
    ['2411251430-9', null],
    ['2411252430', null],
    ['2411251460', null],
    ['241125143060', null],
    ['2413251430', null],
    [null, null],
  ])('date %j reads as %j (UTC)', (value, expected) => {
    expect(parseReceiptDate(value)?.toISOString() ?? null).toBe(expected);
  });

  it('formats what it parses', () => {
    const text = formatReceiptText({ id: 'abc', stat: 'EXPIRED', submitDate: new Date('2026-01-02T03:04:05Z'), doneDate: new Date('2026-01-03T03:04:05Z'), text: 'A longer text than twenty characters' });
    expect(text).toBe('id:abc sub:001 dlvrd:000 submit date:260102030405 done date:260103030405 stat:EXPIRED err:000 text:A longer text than t');
    expect(parseReceiptText(text)).toMatchObject({ id: 'abc', stat: 'EXPIRED', doneDate: new Date('2026-01-03T03:04:05Z') });
  });
});

describe('interpreting a receipt', () => {
  it.each([
    ['DELIVRD', 'DELIVERED', true],
    ['UNDELIV', 'NOT_ISSUED', true],
    ['REJECTD', 'NOT_ISSUED', true],
    ['DELETED', 'NOT_ISSUED', true],
    ['EXPIRED', 'EXPIRED', true],
    ['ENROUTE', 'ENROUTE', false],
    ['ACCEPTD', 'ACCEPTED', false],
    ['UNKNOWN', 'UNKNOWN', false],
  ])('stat:%s is %s (final: %s)', (stat, status, final) => {
    const reading = interpretReceipt({ text: `id:42 stat:${stat} err:000` });
    expect(reading).toEqual({ ok: true, receipt: expect.objectContaining({ carrierMessageId: '42', status, final, carrierStatus: stat }) });
  });

  it('prefers the receipted_message_id and message_state TLVs to the text', () => {
    const reading = interpretReceipt({ receiptedMessageId: 'TLV-ID', messageState: MESSAGE_STATE.EXPIRED, text: 'id:TEXT-ID stat:DELIVRD err:000' });
    expect(reading).toMatchObject({ ok: true, receipt: { carrierMessageId: 'TLV-ID', status: 'EXPIRED' } });
  });

  it('works from the TLVs alone', () => {
    expect(interpretReceipt({ receiptedMessageId: 'X1', messageState: MESSAGE_STATE.DELIVERED, text: '' })).toMatchObject({
      ok: true,
      receipt: { carrierMessageId: 'X1', status: 'DELIVERED', carrierStatus: 'DELIVRD', doneAt: null },
    });
  });

  it('keeps a non-zero error code and drops 000', () => {
    expect(interpretReceipt({ text: 'id:1 stat:UNDELIV err:034' })).toMatchObject({ receipt: { errorCode: '034' } });
    expect(interpretReceipt({ text: 'id:1 stat:DELIVRD err:000' })).toMatchObject({ receipt: { errorCode: null } });
  });

  it('reports, without throwing, a receipt with no id or an unknown state', () => {
    expect(interpretReceipt({ text: 'stat:DELIVRD' })).toEqual({ ok: false, problem: expect.stringMatching(/no receipted_message_id/) });
    expect(interpretReceipt({ text: 'id:9 stat:LOST' })).toEqual({ ok: false, problem: expect.stringMatching(/unknown receipt state \(stat:LOST/) });
    expect(interpretReceipt({ text: 'garbage' })).toMatchObject({ ok: false });
  });

  it('recognises receipts and intermediate notifications by esm_class', () => {
    expect(isReceiptEsmClass(0x04)).toBe(true);
    expect(isReceiptEsmClass(0x20)).toBe(true);
    expect(isReceiptEsmClass(0x44)).toBe(true);
    expect(isReceiptEsmClass(0x00)).toBe(false);
    expect(isReceiptEsmClass(0x40)).toBe(false);
  });
});
