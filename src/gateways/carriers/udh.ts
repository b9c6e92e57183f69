/**
 * User Data Header concatenation (3GPP TS 23.040 section 9.2.3.24.1): each part of a long SMS
 * starts with `05 00 03 <reference> <total> <index>`, so the handset joins parts carrying the
 * same reference. The 8-bit reference form is the one the part sizes in `segments.ts` assume
 * (153 septets / 67 UCS-2 units after a 6-octet header); the 16-bit form (IEI 0x08) is read too,
 * since handsets send it.
 */

export const IEI_CONCATENATION_8BIT = 0x00;
export const IEI_CONCATENATION_16BIT = 0x08;
/** esm_class bit telling the carrier that short_message starts with a UDH. */
export const ESM_CLASS_UDHI = 0x40;

export interface Concatenation {
  reference: number;
  total: number;
  /** 1-based, as on the wire. */
  index: number;
}

/** The complete UDH (with its length octet) for one part of a concatenated message. */
export function concatenationHeader(reference: number, total: number, index: number): Buffer {
  if (!Number.isInteger(reference) || reference < 0 || reference > 0xff) throw new RangeError(`UDH reference must be 0-255, got ${reference}`);
  if (!Number.isInteger(total) || total < 1 || total > 0xff) throw new RangeError(`UDH part count must be 1-255, got ${total}`);
  if (!Number.isInteger(index) || index < 1 || index > total) throw new RangeError(`UDH part index must be 1-${total}, got ${index}`);
  return Buffer.from([0x05, IEI_CONCATENATION_8BIT, 0x03, reference, total, index]);
}

/**
 * Reads the concatenation element among the information elements of a UDH, as the `smpp` package
 * returns them (one buffer per element: IEI, length, data). Null when the message is not a part.
 */
export function readConcatenation(elements: readonly Buffer[]): Concatenation | null {
  for (const element of elements) {
    const iei = element[0];
    const length = element[1];
    if (iei === IEI_CONCATENATION_8BIT && length === 3 && element.length >= 5) {
      return validConcatenation(element[2] ?? 0, element[3] ?? 0, element[4] ?? 0);
    }
    if (iei === IEI_CONCATENATION_16BIT && length === 4 && element.length >= 6) {
      return validConcatenation(element.readUInt16BE(2), element[4] ?? 0, element[5] ?? 0);
    }
  }
  return null;
}

/** Splits a raw UDH (length octet first) into its information elements. */
export function udhElements(udh: Buffer): Buffer[] {
  const elements: Buffer[] = [];
  const end = Math.min(udh.length, (udh[0] ?? 0) + 1);
  for (let cursor = 1; cursor + 1 < end; ) {
    const length = udh[cursor + 1] ?? 0;
    elements.push(udh.subarray(cursor, cursor + 2 + length));
    cursor += 2 + length;
  }
  return elements;
}

function validConcatenation(reference: number, total: number, index: number): Concatenation | null {
  // A header with 0 parts or an index outside 1..total is malformed; treat the part as a whole message.
  if (total < 1 || index < 1 || index > total) return null;
  return { reference, total, index };
}
