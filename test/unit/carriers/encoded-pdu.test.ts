import smpp from 'smpp';
import { describe, expect, it } from 'vitest';
import { deliverSm, submitSm, submitSmError, submitSmResp, type MessageFields } from '../../../src/gateways/carriers/encoded-pdu.js';
import { encodeGsm7, encodeUcs2 } from '../../../src/gateways/carriers/pdu-encoding.js';

const fields: MessageFields = {
  sourceTon: 5,
  sourceNpi: 0,
  source: 'ACME',
  destinationTon: 1,
  destinationNpi: 1,
  destination: '33612345678',
  esmClass: 0x40,
  priorityFlag: 1,
  registeredDelivery: 1,
  dataCoding: 8,
  shortMessage: Buffer.concat([Buffer.from([5, 0, 3, 9, 2, 1]), encodeUcs2('Bonjour 😀')]),
};

/** Decoded by the `smpp` package, as a carrier using it would. */
function decoded(pdu: { sequence_number: number; toBuffer(): Buffer }, sequence = 77): smpp.PDU {
  pdu.sequence_number = sequence;
  return new smpp.PDU(pdu.toBuffer());
}

describe('hand-encoded PDUs decode with the smpp package', () => {
  it('submit_sm carries every field', () => {
    const pdu = decoded(submitSm(fields));
    expect(pdu).toMatchObject({
      command: 'submit_sm',
      command_status: 0,
      sequence_number: 77,
      service_type: '',
      source_addr_ton: 5,
      source_addr_npi: 0,
      source_addr: 'ACME',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: '33612345678',
      esm_class: 0x40,
      protocol_id: 0,
      priority_flag: 1,
      schedule_delivery_time: '',
      validity_period: '',
      registered_delivery: 1,
      data_coding: 8,
      short_message: { udh: [Buffer.from([0, 3, 9, 2, 1])], message: 'Bonjour 😀' },
    });
    expect(pdu.command_length).toBe(submitSm(fields).toBuffer().length);
  });

  it('is a request that the session numbers', () => {
    const pdu = submitSm(fields);
    expect(pdu.isResponse()).toBe(false);
    expect(pdu.sequence_number).toBe(0);
  });

  it('submit_sm_resp carries the message id; an error answer has no body', () => {
    expect(decoded(submitSmResp(5, 'abc123'), 5)).toMatchObject({ command: 'submit_sm_resp', sequence_number: 5, command_status: 0, message_id: 'abc123' });
    const error = decoded(submitSmError(6, 0x58), 6);
    expect(error).toMatchObject({ command: 'submit_sm_resp', sequence_number: 6, command_status: 0x58, command_length: 16 });
    expect(submitSmResp(1, 'x').isResponse()).toBe(true);
  });

  it('deliver_sm carries a receipt with the receipted_message_id and message_state TLVs', () => {
    const text = 'id:abc sub:001 dlvrd:001 submit date:2601020304 done date:2601020305 stat:DELIVRD err:000 text:';
    const pdu = decoded(deliverSm({ ...fields, esmClass: 0x04, dataCoding: 0, shortMessage: encodeGsm7(text) }, { receiptedMessageId: 'abc', messageState: 2 }));
    expect(pdu).toMatchObject({ command: 'deliver_sm', esm_class: 0x04, short_message: { message: text }, receipted_message_id: 'abc', message_state: 2 });
  });

  it('sent again (redelivery), it is renumbered in a new buffer, leaving the first one as it was', () => {
    const pdu = deliverSm({ ...fields, esmClass: 0, dataCoding: 0, shortMessage: encodeGsm7('hello') });
    pdu.sequence_number = 1;
    const first = pdu.toBuffer();
    pdu.sequence_number = 2;
    const second = pdu.toBuffer();
    expect(first.readUInt32BE(12)).toBe(1);
    expect(second.readUInt32BE(12)).toBe(2);
    expect(new smpp.PDU(second)).toMatchObject({ command: 'deliver_sm', short_message: { message: 'hello' } });
  });

  it('refuses a short_message longer than SMPP allows', () => {
    expect(() => submitSm({ ...fields, shortMessage: Buffer.alloc(255) })).toThrow(/at most 254/);
  });
});
