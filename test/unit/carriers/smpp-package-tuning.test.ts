import fc from 'fast-check';
import smpp from 'smpp';
import { describe, expect, it } from 'vitest';
import { packageGsmDecode } from '../../../src/gateways/carriers/smpp-package-tuning.js';

/** The tuned GSM 03.38 decoder gives the package's own decoder's text, byte for byte. */
describe('smpp package tuning: GSM 03.38 decoding', () => {
  const original = (bytes: Buffer, encoding?: number) => packageGsmDecode.call(smpp.gsmCoder, bytes, encoding);
  // Every septet and byte value, with ESC (0x1B) often, so that escape sequences are common.
  const bytes = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(0x1b)), { maxLength: 300 }).map((values) => Buffer.from(values));
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
