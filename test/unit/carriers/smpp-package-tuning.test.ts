import fc from 'fast-check';
import smpp from 'smpp';
import { describe, expect, it } from 'vitest';
import { packageFromBuffer, packageGsmDecode } from '../../../src/gateways/carriers/smpp-package-tuning.js';

/** The tuned GSM 03.38 decoder gives the package's own decoder's text, byte for byte. */
describe('smpp package tuning: GSM 03.38 decoding', () => {
  const original = (bytes: Buffer, encoding?: number) => packageGsmDecode.call(smpp.gsmCoder, bytes, encoding);
  // Every septet and byte value, with ESC (0x1B) often, so that escape sequences are common.
  // And texts of printable ASCII alone (most of which decode as themselves), as receipts are.
  const bytes = fc.oneof(
    fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(0x1b)), { maxLength: 300 }),
    fc.array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: 300 }),
  ).map((values) => Buffer.from(values));
  // The default alphabet, the national shift tables the package knows (Turkish, Spanish, Portuguese) and one it does not.
  const encoding = fc.constantFrom(undefined, 0, 1, 2, 3, 7);

  it('is in place', () => {
    expect(smpp.gsmCoder.decode).not.toBe(packageGsmDecode);
  });

  it('decodes every byte sequence as the package does', () => {
    fc.assert(
      fc.property(bytes, encoding, (input, table) => {
        expect(smpp.gsmCoder.decode(input, table)).toBe(original(input, table));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes a receipt and the extension characters', () => {
    const receipt = Buffer.from('id:0000000001 sub:001 dlvrd:001 submit date:2611251200 done date:2611251201 stat:DELIVRD err:000 text:Hello', 'latin1');
    expect(smpp.gsmCoder.decode(receipt)).toBe(receipt.toString('latin1'));
    // ESC e is the euro sign, ESC ( and ESC ) are braces; 0x00 is @, 0x02 is $.
    const extended = Buffer.from([0x1b, 0x65, 0x1b, 0x28, 0x41, 0x1b, 0x29, 0x00, 0x02]);
    expect(smpp.gsmCoder.decode(extended)).toBe('€{A}@$');
    expect(smpp.gsmCoder.decode(extended)).toBe(original(extended));
  });

  it('decodes what a deliver_sm carries through the package', () => {
    const pdu = new smpp.PDU('deliver_sm', { source_addr: '33611', destination_addr: 'Shop', short_message: 'Prix: 10€ {promo} [ok] ~ ^ | \\' });
    const decoded = new smpp.PDU(pdu.toBuffer());
    expect((decoded.short_message as { message: string }).message).toBe('Prix: 10€ {promo} [ok] ~ ^ | \\');
  });
});

/** The tuned PDU decoding gives the package's own result: the same fields, values and order. */
describe('smpp package tuning: PDU decoding', () => {
  const original = (buffer: Buffer): Record<string, unknown> => {
    const pdu = Object.create(smpp.PDU.prototype) as Record<string, unknown>;
    packageFromBuffer.call(pdu as unknown as smpp.PDU, buffer);
    return pdu;
  };
  const outcome = (decode: () => Record<string, unknown>) => {
    try {
      const pdu = decode();
      return { keys: Object.keys(pdu), fields: { ...pdu } };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  const expectSameDecoding = (buffer: Buffer) => {
    expect(outcome(() => new smpp.PDU(buffer) as unknown as Record<string, unknown>)).toEqual(outcome(() => original(buffer)));
  };
  const definitions = smpp as unknown as { commands: Record<string, unknown>; ESME_RTHROTTLED: number; ESME_RINVCMDLEN: number };
  const commands = Object.keys(definitions.commands);

  it('is in place', () => {
    expect(smpp.PDU.prototype.fromBuffer).not.toBe(packageFromBuffer);
  });

  it('decodes every command with its defaults, and an unknown command id', () => {
    expect(commands.length).toBeGreaterThan(20);
    for (const command of commands) expectSameDecoding(new smpp.PDU(command, {}).toBuffer());
    const unknown = new smpp.PDU('enquire_link', {}).toBuffer();
    unknown.writeUInt32BE(0x0000_00ff, 4);
    expectSameDecoding(unknown);
  });

  it('decodes submissions, answers and receipts as the platform and the simulator exchange them', () => {
    const samples = [
      new smpp.PDU('submit_sm', { source_addr: 'Shop', destination_addr: '33612345678', registered_delivery: 1, short_message: 'Hello {you} €' }),
      new smpp.PDU('submit_sm', { source_addr: 'Shop', destination_addr: '33612345678', data_coding: 8, short_message: 'Привет 👋' }),
      new smpp.PDU('submit_sm', {
        source_addr: 'Shop',
        destination_addr: '33612345678',
        esm_class: 0x40,
        short_message: { udh: Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x02, 0x01]), message: 'first part' },
        user_message_reference: 7,
      }),
      new smpp.PDU('submit_sm', { source_addr: 'Shop', destination_addr: '33612345678', message_payload: 'a longer text in a payload', schedule_delivery_time: '261125120000000+' }),
      new smpp.PDU('submit_sm_resp', { sequence_number: 12, message_id: 'ab12cd34' }),
      new smpp.PDU('submit_sm_resp', { sequence_number: 13, command_status: definitions.ESME_RTHROTTLED }),
      new smpp.PDU('deliver_sm', {
        source_addr: '33612345678',
        destination_addr: 'Shop',
        esm_class: 4,
        short_message: 'id:ab12cd34 sub:001 dlvrd:001 submit date:2611251200 done date:2611251201 stat:DELIVRD err:000 text:Hello',
        receipted_message_id: 'ab12cd34',
        message_state: 2,
      }),
      new smpp.PDU('deliver_sm', { source_addr: '33612345678', destination_addr: '36111', data_coding: 8, short_message: 'Oui, réservé ✔' }),
      new smpp.PDU('generic_nack', { sequence_number: 9, command_status: definitions.ESME_RINVCMDLEN }),
    ];
    for (const pdu of samples) expectSameDecoding(pdu.toBuffer());
  });

  it('decodes repeated TLVs and TLVs a command renames as the package does', () => {
    const tlv = (tag: number, value: Buffer) => {
      const header = Buffer.alloc(4);
      header.writeUInt16BE(tag, 0);
      header.writeUInt16BE(value.length, 2);
      return Buffer.concat([header, value]);
    };
    const withTlvs = (command: string, options: Record<string, unknown>, tlvs: Buffer[]) => {
      const buffer = Buffer.concat([new smpp.PDU(command, options).toBuffer(), ...tlvs]);
      buffer.writeUInt32BE(buffer.length, 0);
      return buffer;
    };
    // callback_num (0x0381, several allowed, with a filter) twice on a deliver_sm.
    const callback = Buffer.from([0x01, 0x01, 0x00, 0x33, 0x36, 0x31, 0x31]);
    expectSameDecoding(withTlvs('deliver_sm', { source_addr: '33611', destination_addr: 'Shop', short_message: 'Oui' }, [tlv(0x0381, callback), tlv(0x0381, callback)]));
    // broadcast_area_identifier (0x0606), which broadcast_sm_resp names failed_broadcast_area_identifier.
    const area = Buffer.from([0x00, 0x41, 0x42, 0x43]);
    expectSameDecoding(withTlvs('broadcast_sm_resp', { message_id: 'b1' }, [tlv(0x0606, area), tlv(0x0606, area)]));
    expectSameDecoding(withTlvs('broadcast_sm', { message_id: 'b2' }, [tlv(0x0606, area)]));
  });

  it('decodes truncated parameters, unknown TLVs and arbitrary TLV bytes as the package does', () => {
    const receipt = new smpp.PDU('deliver_sm', { source_addr: '33612345678', destination_addr: 'Shop', esm_class: 4, short_message: 'stat:DELIVRD' }).toBuffer();
    fc.assert(
      fc.property(fc.integer({ min: 16, max: receipt.length }), fc.uint8Array({ maxLength: 40 }), fc.constantFrom(0x1e, 0x0427, 0x0424, 0x1403, 0x0204), (cut, tail, tag) => {
        const tlv = Buffer.alloc(4 + tail.length);
        tlv.writeUInt16BE(tag, 0);
        tlv.writeUInt16BE(tail.length, 2);
        Buffer.from(tail).copy(tlv, 4);
        const buffer = Buffer.concat([receipt.subarray(0, cut), tlv]);
        buffer.writeUInt32BE(buffer.length, 0);
        expectSameDecoding(buffer);
      }),
      { numRuns: 1000 },
    );
  });
});
