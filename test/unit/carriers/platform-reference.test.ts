import smpp from 'smpp';
import { describe, expect, it } from 'vitest';
import { readDeliverSm } from '../../../src/gateways/carriers/deliver-sm.js';
import { ESM_CLASS_DELIVERY_RECEIPT, formatReceiptText, RECEIPT_STAT } from '../../../src/gateways/carriers/delivery-receipt.js';
import { deliverSm, readPlatformReference, submitSm, TLV_PLATFORM_REFERENCE, type MessageFields } from '../../../src/gateways/carriers/encoded-pdu.js';
import { encodeGsm7 } from '../../../src/gateways/carriers/pdu-encoding.js';

const fields: MessageFields = {
  sourceTon: 5,
  sourceNpi: 0,
  source: 'ACME',
  destinationTon: 1,
  destinationNpi: 1,
  destination: '33612345678',
  esmClass: 0,
  priorityFlag: 0,
  registeredDelivery: 1,
  dataCoding: 0,
  shortMessage: encodeGsm7('Votre code : 4821'),
};

function decoded(pdu: { sequence_number: number; toBuffer(): Buffer }): smpp.PDU {
  pdu.sequence_number = 9;
  return new smpp.PDU(pdu.toBuffer());
}

describe('the platform message reference (vendor TLV 0x1400)', () => {
  it('travels with a submit_sm as a C-Octet String after the mandatory fields, which stay readable', () => {
    const pdu = decoded(submitSm({ ...fields, reference: '1234567890123' }));
    expect(pdu).toMatchObject({ command: 'submit_sm', destination_addr: '33612345678', registered_delivery: 1 });
    expect(pdu[TLV_PLATFORM_REFERENCE]).toEqual(Buffer.from('1234567890123\0', 'latin1'));
    expect(readPlatformReference(pdu)).toBe('1234567890123');
  });

  it('is absent when not given, and reads as null', () => {
    const pdu = decoded(submitSm(fields));
    expect(pdu[TLV_PLATFORM_REFERENCE]).toBeUndefined();
    expect(readPlatformReference(pdu)).toBeNull();
  });

  it.each([
    ['an empty value', Buffer.alloc(0)],
    ['a lone NUL', Buffer.from([0])],
    ['more than 64 characters', Buffer.from(`${'9'.repeat(70)}\0`)],
    ['not a buffer', '42'],
  ])('reads as null from %s', (_, value) => {
    expect(readPlatformReference({ [TLV_PLATFORM_REFERENCE]: value })).toBeNull();
  });

  it('comes back in a delivery receipt next to the SMPP 3.4 receipt fields', () => {
    const text = formatReceiptText({ id: 'abc00000001', stat: 'DELIVRD', submitDate: new Date('2026-03-02T10:00:00Z'), doneDate: new Date('2026-03-02T10:00:05Z') });
    const pdu = decoded(
      deliverSm(
        { ...fields, sourceTon: 1, source: '33612345678', destinationTon: 5, destination: 'ACME', esmClass: ESM_CLASS_DELIVERY_RECEIPT, registeredDelivery: 0, shortMessage: encodeGsm7(text) },
        { receiptedMessageId: 'abc00000001', messageState: RECEIPT_STAT.DELIVRD, reference: '77' },
      ),
    );
    expect(pdu).toMatchObject({ receipted_message_id: 'abc00000001', message_state: RECEIPT_STAT.DELIVRD });
    const read = readDeliverSm(pdu);
    expect(read).toMatchObject({ kind: 'receipt', reference: '77', recipient: '+33612345678', reading: { ok: true, receipt: { carrierMessageId: 'abc00000001', status: 'DELIVERED' } } });
  });

  it('a receipt without it reads with a null reference', () => {
    const text = formatReceiptText({ id: 'abc00000002', stat: 'UNDELIV', submitDate: new Date(), doneDate: new Date() });
    const pdu = decoded(deliverSm({ ...fields, esmClass: ESM_CLASS_DELIVERY_RECEIPT, shortMessage: encodeGsm7(text) }, { receiptedMessageId: 'abc00000002', messageState: RECEIPT_STAT.UNDELIV }));
    expect(readDeliverSm(pdu)).toMatchObject({ kind: 'receipt', reference: null });
  });
});
