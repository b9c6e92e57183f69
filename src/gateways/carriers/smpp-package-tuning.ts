/**
 * Three changes to the `smpp` package's behaviour-free internals, applied once on import (by the
 * carrier gateway and by the simulator).
 *
 * 1. Every GSM-7 message it decodes (every delivery receipt, on the platform side; every
 *    submission, on the simulator side) goes through `gsmCoder.getCoder`, which checks whether its
 *    tables are built with `Object.keys(table).length`: an array of 128 strings allocated per
 *    message, about 4 % of a process' CPU at 10,000 messages per second, plus the garbage. The
 *    tables never change once built, so the coder for each table is remembered after its first
 *    call.
 * 2. Encoding and decoding walk a PDU's fields with `for...in`, which also visits the methods the
 *    package assigns to `PDU.prototype` (they are enumerable), and that keeps V8 off its fast
 *    path for every PDU. The walks only act on the command's parameters and TLVs, never on a
 *    method, so the methods are made non-enumerable: a submit_sm encodes in two thirds of the
 *    time, a submit_sm_resp decodes in half (measured on 0.5.1).
 * 3. `gsmCoder.decode` builds its text one character at a time (`result += ...`) and compiles a
 *    regular expression per call: a delivery receipt's ~100 characters cost ~100 intermediate
 *    strings, 16 % of everything the dispatching worker allocated during a campaign (a sampling
 *    heap profile of bench:dispatch), which its young-generation collections then had to sweep.
 *    The replacement maps the bytes through a table to UTF-16 code units and decodes them in one
 *    go, and replaces escape sequences (ESC + character: the extension table) with the same
 *    expression, compiled once per table, only when the bytes hold an ESC. Same text for every
 *    input (a unit test compares it with the package's own decoder).
 */
import { endianness } from 'node:os';
import smpp from 'smpp';

const built = new Map<number | undefined, unknown>();
const getCoder = smpp.gsmCoder.getCoder;

smpp.gsmCoder.getCoder = function rememberedCoder(this: unknown, encoding?: number): unknown {
  let coder = built.get(encoding);
  if (coder === undefined) {
    coder = getCoder.call(this, encoding);
    built.set(encoding, coder);
  }
  return coder;
};

interface GsmCoderTables {
  /** Septet value to its character (the basic table; absent values decode as a space). */
  charListDec: Record<number, string>;
  /** Character after an ESC to the extension character it stands for. */
  extCharListDec: Record<string, string>;
  escChars?: string;
  escCharsDec?: string;
}

interface GsmDecoder {
  codes: Uint16Array;
  escapes: RegExp;
  extensions: Record<string, string>;
}

/** The package's own decoder (unit tests compare the two). */
export const packageGsmDecode = smpp.gsmCoder.decode;
const decoders = new Map<number | undefined, GsmDecoder>();
const utf16 = new TextDecoder('utf-16le');

function gsmDecoder(encoding: number | undefined): GsmDecoder {
  let decoder = decoders.get(encoding);
  if (decoder === undefined) {
    const coder = smpp.gsmCoder.getCoder(encoding) as GsmCoderTables;
    const codes = new Uint16Array(256).fill(0x20);
    for (let byte = 0; byte < 256; byte++) {
      const char = coder.charListDec[byte];
      if (char) codes[byte] = char.charCodeAt(0);
    }
    // As the package builds it (its character class included).
    decoder = { codes, escapes: new RegExp('\x1B([' + (coder.escCharsDec ?? coder.escChars ?? '') + '])', 'g'), extensions: coder.extCharListDec };
    decoders.set(encoding, decoder);
  }
  return decoder;
}

// The code units are decoded as UTF-16LE from the array's memory: on a little-endian machine
// only (every machine Node runs on but s390x); the package's decoder elsewhere, and for anything
// that is not bytes.
const littleEndian = endianness() === 'LE';

smpp.gsmCoder.decode = function tabledDecode(this: unknown, bytes: Buffer, encoding?: number): string {
  if (!littleEndian || !Buffer.isBuffer(bytes)) return packageGsmDecode.call(this, bytes, encoding);
  const decoder = gsmDecoder(encoding);
  const units = new Uint16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) units[i] = decoder.codes[bytes[i]!]!;
  const text = utf16.decode(units);
  return bytes.includes(0x1b) ? text.replace(decoder.escapes, (_match, escaped: string) => decoder.extensions[escaped] as string) : text;
};

for (const method of Object.keys(smpp.PDU.prototype)) Object.defineProperty(smpp.PDU.prototype, method, { enumerable: false });
