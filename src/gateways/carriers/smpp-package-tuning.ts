/**
 * Four changes to the `smpp` package's behaviour-free internals, applied once on import (by the
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
 *    go (as Latin-1 when every byte stands for the character of its own code, as in a receipt),
 *    and replaces escape sequences (ESC + character: the extension table) with the same
 *    expression, compiled once per table, only when the bytes hold an ESC. Same text for every
 *    input (a unit test compares it with the package's own decoder).
 * 4. `PDU.prototype.fromBuffer` (every PDU received: each submit_sm_resp and receipt on the
 *    platform side, each submission on the simulator's) binds a closure to read the four header
 *    fields, walks the command's parameters with `for...in` over their definitions, then walks
 *    every field of the decoded PDU again, twice looked up, to find those with a decoding
 *    filter: 9 % of the dispatching worker's CPU and 20 % of the simulator's. The replacement reads
 *    the same fields in the same order from a list built once per command and applies the same
 *    filters to the fields that have one, in the order the package visits them (a unit test
 *    decodes every command both ways and compares the results).
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
  /** 1 for the bytes that decode to the character of the same code (letters, digits, most punctuation), ESC excepted. */
  asLatin1: Uint8Array;
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
    const asLatin1 = new Uint8Array(256);
    for (let byte = 0; byte < 256; byte++) asLatin1[byte] = codes[byte] === byte ? 1 : 0;
    asLatin1[0x1b] = 0; // ESC starts an escape sequence, whatever it decodes to alone
    decoder = { codes, asLatin1, escapes: new RegExp('\x1B([' + (coder.escCharsDec ?? coder.escChars ?? '') + '])', 'g'), extensions: coder.extCharListDec };
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
  // Most texts (every delivery receipt) are bytes that stand for themselves: read as Latin-1, a
  // one-byte string, without the UTF-16 round.
  let same = 0;
  while (same < bytes.length && decoder.asLatin1[bytes[same]!] === 1) same++;
  if (same === bytes.length) return bytes.toString('latin1');
  const units = new Uint16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) units[i] = decoder.codes[bytes[i]!]!;
  const text = utf16.decode(units);
  return bytes.includes(0x1b) ? text.replace(decoder.escapes, (_match, escaped: string) => decoder.extensions[escaped] as string) : text;
};

for (const method of Object.keys(smpp.PDU.prototype)) Object.defineProperty(smpp.PDU.prototype, method, { enumerable: false });

interface FieldType {
  read(buffer: Buffer, offset: number, length?: number): unknown;
  size(value: unknown): number;
}
interface FieldFilter {
  decode(this: smpp.PDU, value: unknown, skipUdh?: unknown): unknown;
}
interface FieldDefinition {
  type: FieldType;
  filter?: FieldFilter;
  multiple?: boolean;
  tag?: string;
}
interface CommandDefinition {
  command: string;
  params?: Record<string, FieldDefinition>;
  tlvMap?: Record<string, string>;
}
interface PackageDefinitions {
  commands: Record<string, CommandDefinition>;
  commandsById: Record<number, CommandDefinition>;
  tlvs: Record<string, FieldDefinition>;
  tlvsById: Record<number, FieldDefinition & { tag: string }>;
}

const definitions = smpp as unknown as PackageDefinitions;
/** Each command's parameters in wire order, with their definitions (built on first use, per definition). */
const parameterLists = new WeakMap<CommandDefinition, [string, FieldDefinition][]>();

function parametersOf(command: CommandDefinition): [string, FieldDefinition][] {
  let list = parameterLists.get(command);
  if (list === undefined) {
    list = Object.entries(command.params ?? {});
    parameterLists.set(command, list);
  }
  return list;
}

/** The package's own decoding (unit tests compare the two). */
export const packageFromBuffer = smpp.PDU.prototype.fromBuffer as (this: smpp.PDU, buffer: Buffer) => void;
/** Read on each call, as the package does (it may be changed after this module loads). */
const pduClass = smpp.PDU as unknown as { maxLength: number };

function listedFromBuffer(this: Record<string | number, unknown>, buffer: Buffer): void {
  const length = buffer.readUInt32BE(0);
  this['command_length'] = length;
  this['command_id'] = buffer.readUInt32BE(4);
  this['command_status'] = buffer.readUInt32BE(8);
  this['sequence_number'] = buffer.readUInt32BE(12);
  if (length > pduClass.maxLength) throw Error('PDU length was too large (' + length + ', maximum is ' + pduClass.maxLength + ').');
  const definition = definitions.commandsById[this['command_id'] as number];
  if (!definition) {
    this['command'] = 'unknown';
    return;
  }
  const command = definition.command;
  this['command'] = command;
  const commandDefinition = definitions.commands[command]!;
  const params = commandDefinition.params ?? {};
  // The fields that may have a filter, in the order the package's `for...in` would visit them.
  const visited: string[] = [];
  let offset = 16;
  for (const [key, field] of parametersOf(commandDefinition)) {
    if (offset >= length) break;
    const value = field.type.read(buffer, offset);
    this[key] = value;
    visited.push(key);
    offset += field.type.size(value);
  }
  while (offset + 4 <= length) {
    const tlvId = buffer.readUInt16BE(offset);
    const tlvLength = buffer.readUInt16BE(offset + 2);
    offset += 4;
    const tlv = definitions.tlvsById[tlvId];
    if (!tlv) {
      this[tlvId] = buffer.slice(offset, offset + tlvLength);
      offset += tlvLength;
      continue;
    }
    const tag = (commandDefinition.tlvMap ?? {})[tlv.tag] ?? tlv.tag;
    if (!(tag in this)) visited.push(tag);
    if (tlv.multiple) {
      if (!this[tag]) this[tag] = [];
      (this[tag] as unknown[]).push(tlv.type.read(buffer, offset, tlvLength));
    } else {
      this[tag] = tlv.type.read(buffer, offset, tlvLength);
    }
    offset += tlvLength;
  }
  const pdu = this as unknown as smpp.PDU;
  for (const key of visited) {
    const param = params[key];
    if (param?.filter) {
      this[key] = param.filter.decode.call(pdu, this[key]);
      continue;
    }
    const tlv = definitions.tlvs[key];
    if (!tlv?.filter) continue;
    const filter = tlv.filter;
    if (tlv.multiple) {
      const values = this[key] as unknown[];
      for (let i = 0; i < values.length; i++) values[i] = filter.decode.call(pdu, values[i], true);
    } else if (key === 'message_payload') {
      const shortMessage = this['short_message'] as { message?: { length?: number } } | undefined;
      this[key] = filter.decode.call(pdu, this[key], shortMessage && shortMessage.message && shortMessage.message.length);
    } else {
      this[key] = filter.decode.call(pdu, this[key], true);
    }
  }
}

Object.defineProperty(smpp.PDU.prototype, 'fromBuffer', { value: listedFromBuffer, enumerable: false, writable: true, configurable: true });
