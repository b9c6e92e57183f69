import smpp from 'smpp';
import { describe, expect, it } from 'vitest';
import { readDeliverSm } from '../../../src/gateways/carriers/deliver-sm.js';
import { encodeGsm7, encodeUcs2 } from '../../../src/gateways/carriers/pdu-encoding.js';

/** A deliver_sm as it comes off the wire: encoded, then decoded by the `smpp` package. */
function received(fields: Record<string, unknown>): smpp.PDU {
  return new smpp.PDU(new smpp.PDU('deliver_sm', fields).toBuffer());
}

describe('readDeliverSm', () => {
  it('reads a receipt from its text and TLVs, with the handset number', () => {
    const pdu = received({
      source_addr_ton: 1,
      source_addr: '33612340001',
      esm_class: 0x04,
      data_coding: 0,
      short_message: encodeGsm7('id:abc sub:001 dlvrd:001 submit date:2601020304 done date:2601020305 stat:DELIVRD err:000 text:'),
      receipted_message_id: 'abc',
      message_state: 2,
    });
    expect(readDeliverSm(pdu)).toMatchObject({ kind: 'receipt', recipient: '+33612340001', reading: { ok: true, receipt: { carrierMessageId: 'abc', status: 'DELIVERED' } } });
  });

  it('reads an inbound GSM message with its addresses', () => {
    const pdu = received({ source_addr_ton: 1, source_addr: '33611112222', dest_addr_ton: 0, destination_addr: '36111', data_coding: 0, short_message: encodeGsm7('STOP {now} €') });
    expect(readDeliverSm(pdu)).toEqual({ kind: 'message', from: '+33611112222', to: '36111', text: 'STOP {now} €', concatenation: null });
  });

  it('reads a UCS-2 part with its UDH', () => {
    const udh = Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x02, 0x02]);
    const pdu = received({ source_addr_ton: 1, source_addr: '33611112222', esm_class: 0x40, data_coding: 8, short_message: Buffer.concat([udh, encodeUcs2('merci 😀')]) });
    expect(readDeliverSm(pdu)).toMatchObject({ kind: 'message', text: 'merci 😀', concatenation: { reference: 0x2a, total: 2, index: 2 } });
  });

  it('reads SAR TLVs when a carrier uses them instead of a UDH', () => {
    const pdu = received({ source_addr: '33611112222', data_coding: 0, short_message: encodeGsm7('part one'), sar_msg_ref_num: 513, sar_total_segments: 3, sar_segment_seqnum: 1 });
    expect(readDeliverSm(pdu)).toMatchObject({ concatenation: { reference: 513, total: 3, index: 1 } });
  });

  it('reads a long message sent in message_payload', () => {
    const text = 'x'.repeat(300);
    const pdu = received({ source_addr: '33611112222', data_coding: 0, message_payload: encodeGsm7(text) });
    expect(readDeliverSm(pdu)).toMatchObject({ kind: 'message', text });
  });
});
