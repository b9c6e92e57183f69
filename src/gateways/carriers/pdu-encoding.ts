/**
 * From a text to the octets of submit_sm parts, and from SMPP addresses back to E.164.
 *
 * GSM-7 goes out with data_coding 0 (the carrier's default alphabet) as GSM 03.38 septets, one
 * per octet ("unpacked"): that is what SMPP 3.4 carriers expect in short_message, the carrier
 * packs them for the air interface. The `smpp` package would encode strings itself, but it tags
 * GSM text with data_coding 1 (IA5) and replaces what it cannot map by spaces, so parts are
 * always handed to it as ready buffers. UCS-2 is UTF-16 big-endian with data_coding 8 (an emoji
 * is a surrogate pair, never split across parts by `splitIntoParts`).
 */
import { GSM_BASIC_CHARACTERS, GSM_EXTENSION_CHARACTERS, type SmsEncoding } from '../../domain/messaging/encoding.js';
import { countSegments, splitIntoParts, MAX_PARTS } from '../../domain/messaging/segments.js';
import { concatenationHeader, ESM_CLASS_UDHI } from './udh.js';

export const DATA_CODING_DEFAULT_ALPHABET = 0x00;
export const DATA_CODING_UCS2 = 0x08;
const GSM_ESCAPE = 0x1b;

/** Extension-table characters and the code that follows the escape (3GPP TS 23.038 6.2.1.1). */
const EXTENSION_CODES: Readonly<Record<string, number>> = {
  '\f': 0x0a, '^': 0x14, '{': 0x28, '}': 0x29, '\\': 0x2f, '[': 0x3c, '~': 0x3d, ']': 0x3e, '|': 0x40, '€': 0x65,
};

// GSM code of each UTF-16 code unit: 0..0x7f for the basic table, 0x100 | code for an extension
// character, -1 when not in GSM 03.38. Built from the tables `segments.ts` counts with, so that
// what is counted as GSM is exactly what can be encoded.
const GSM_CODES: Int16Array = buildGsmCodes();

function buildGsmCodes(): Int16Array {
  const codes = new Int16Array(0x10000).fill(-1);
  for (let i = 0; i < GSM_BASIC_CHARACTERS.length; i++) {
    // The basic-table string leaves out 0x1B (the escape), so positions after it are one short.
    const code = i < GSM_ESCAPE ? i : i + 1;
    codes[GSM_BASIC_CHARACTERS.charCodeAt(i)] = code;
  }
  for (const character of GSM_EXTENSION_CHARACTERS) {
    const code = EXTENSION_CODES[character];
    if (code === undefined) throw new Error(`no GSM extension code for ${JSON.stringify(character)}`);
    codes[character.charCodeAt(0)] = 0x100 | code;
  }
  return codes;
}

export class UnencodableTextError extends Error {
  override readonly name = 'UnencodableTextError';
}

/** GSM 03.38 septets, one per octet; extension characters become ESC + code. */
export function encodeGsm7(text: string): Buffer {
  const codes = GSM_CODES;
  const out = Buffer.allocUnsafe(text.length * 2);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = codes[text.charCodeAt(i)] ?? -1;
    if (code < 0) throw new UnencodableTextError(`${JSON.stringify(text.charAt(i))} is not in the GSM 03.38 alphabet`);
    if (code > 0xff) {
      out[length++] = GSM_ESCAPE;
      out[length++] = code & 0xff;
    } else {
      out[length++] = code;
    }
  }
  return out.subarray(0, length);
}

/** UTF-16 big-endian, the byte order SMPP's data_coding 8 means. */
export function encodeUcs2(text: string): Buffer {
  const out = Buffer.from(text, 'utf16le');
  out.swap16();
  return out;
}

export interface EncodedPart {
  /** UDH (for concatenated messages) followed by the encoded text of the part. */
  shortMessage: Buffer;
  esmClass: number;
}

export interface EncodedMessage {
  encoding: SmsEncoding;
  dataCoding: number;
  parts: EncodedPart[];
}

/**
 * The submit_sm payloads of a message. `reference` identifies the concatenated set (0-255); it
 * only needs to differ between long messages to the same handset that are in transit together.
 */
export function encodeMessage(text: string, requested: SmsEncoding | undefined, reference: number): EncodedMessage {
  const natural = countSegments(text).encoding;
  if (requested === 'GSM7' && natural !== 'GSM7') throw new UnencodableTextError('GSM-7 was asked for a text with characters outside GSM 03.38');
  const encoding = requested ?? natural;
  const texts = splitIntoParts(text, encoding);
  if (texts.length > MAX_PARTS) throw new UnencodableTextError(`the text needs ${texts.length} parts, at most ${MAX_PARTS} are allowed`);
  const encode = encoding === 'GSM7' ? encodeGsm7 : encodeUcs2;
  const dataCoding = encoding === 'GSM7' ? DATA_CODING_DEFAULT_ALPHABET : DATA_CODING_UCS2;
  if (texts.length === 1) return { encoding, dataCoding, parts: [{ shortMessage: encode(texts[0] ?? ''), esmClass: 0 }] };
  const parts = texts.map((part, i) => ({
    shortMessage: Buffer.concat([concatenationHeader(reference & 0xff, texts.length, i + 1), encode(part)]),
    esmClass: ESM_CLASS_UDHI,
  }));
  return { encoding, dataCoding, parts };
}

export const TON_UNKNOWN = 0;
export const TON_INTERNATIONAL = 1;
export const TON_ALPHANUMERIC = 5;
export const NPI_UNKNOWN = 0;
export const NPI_ISDN = 1;

export interface SmppAddress {
  ton: number;
  npi: number;
  address: string;
}

const E164 = /^\+[1-9]\d{5,14}$/;
const SHORT_CODE = /^\d{3,15}$/;
const ALPHANUMERIC_SENDER = /^[A-Za-z0-9 ]{1,11}$/;

export class InvalidAddressError extends Error {
  override readonly name = 'InvalidAddressError';
}

/** A destination must be E.164: carriers route on the full international number. */
export function destinationAddress(to: string): SmppAddress {
  if (!E164.test(to)) throw new InvalidAddressError(`destination ${JSON.stringify(to)} is not an E.164 number (+ and 6-15 digits)`);
  return { ton: TON_INTERNATIONAL, npi: NPI_ISDN, address: to.slice(1) };
}

/** `+33...` international, all digits a short code / national number, otherwise an alphanumeric sender id. */
export function sourceAddress(from: string): SmppAddress {
  if (E164.test(from)) return { ton: TON_INTERNATIONAL, npi: NPI_ISDN, address: from.slice(1) };
  if (SHORT_CODE.test(from)) return { ton: TON_UNKNOWN, npi: NPI_ISDN, address: from };
  if (ALPHANUMERIC_SENDER.test(from) && /[A-Za-z]/.test(from)) return { ton: TON_ALPHANUMERIC, npi: NPI_UNKNOWN, address: from };
  throw new InvalidAddressError(`sender ${JSON.stringify(from)} is neither a number nor an alphanumeric id of 1-11 letters, digits and spaces`);
}

/** An address read from a PDU, as the platform writes numbers: `+` and digits when international. */
export function readAddress(ton: unknown, address: unknown): string {
  const text = typeof address === 'string' ? address : '';
  if (ton === TON_INTERNATIONAL && /^\d+$/.test(text)) return `+${text}`;
  return text;
}
