/**
 * Hand-built encodings of the PDUs sent by the thousand (submit_sm, submit_sm_resp,
 * deliver_sm, deliver_sm_resp): the `smpp` package builds each PDU by walking every field and filter of its
 * command table, which was the largest CPU cost of a submission. These objects have what
 * `Session.send` uses (`isResponse`, `sequence_number`, `toBuffer`), so they go through the
 * package's session as any PDU would: it numbers requests and matches their responses. Unit
 * tests decode every one of them with the package's own decoder.
 */
import type { OutgoingPdu } from 'smpp';

const HEADER_LENGTH = 16;
const SUBMIT_SM = 0x00000004;
const SUBMIT_SM_RESP = 0x80000004;
const DELIVER_SM = 0x00000005;
const DELIVER_SM_RESP = 0x80000005;
const TLV_RECEIPTED_MESSAGE_ID = 0x001e;
const TLV_MESSAGE_STATE = 0x0427;
/**
 * Vendor-specific TLV (SMPP 3.4 section 5.3.2: 0x1400-0x3FFF are the SMSC vendors') carrying
 * our message id in every submit_sm part, C-Octet String. SMSCs commonly support such a client
 * reference and echo it in delivery receipts: a receipt that carries it proves that the message
 * reached the carrier even when our own record of the submission was lost (a worker killed
 * between the socket write and the database write; see src/jobs/dispatcher.ts).
 */
export const TLV_PLATFORM_REFERENCE = 0x1400;
/** What the reference may hold: our message ids are decimal integers. */
const MAX_REFERENCE_LENGTH = 64;

export class EncodedPdu implements OutgoingPdu {
  sequence_number: number;
  private handedOut = false;

  /** `pdu` has room for the 16-octet header in front of the body; the header is written by `toBuffer`. */
  constructor(
    readonly commandId: number,
    private readonly pdu: Buffer,
    readonly commandStatus = 0,
    sequenceNumber = 0,
  ) {
    this.sequence_number = sequenceNumber;
  }

  isResponse(): boolean {
    return (this.commandId & 0x80000000) !== 0;
  }

  /** Called by `Session.send` after it has numbered the request. */
  toBuffer(): Buffer {
    // The first send writes the header in place; a redelivery gets a copy, since the socket
    // may still hold the earlier buffer.
    const buffer = this.handedOut ? Buffer.from(this.pdu) : this.pdu;
    this.handedOut = true;
    buffer.writeUInt32BE(buffer.length, 0);
    buffer.writeUInt32BE(this.commandId >>> 0, 4);
    buffer.writeUInt32BE(this.commandStatus, 8);
    buffer.writeUInt32BE(this.sequence_number, 12);
    return buffer;
  }
}

/** Sequential writer of a PDU body; sized generously, then trimmed. */
class BodyWriter {
  private readonly buffer: Buffer;
  private offset = HEADER_LENGTH;

  constructor(bodyCapacity: number) {
    this.buffer = Buffer.allocUnsafe(HEADER_LENGTH + bodyCapacity);
  }

  byte(value: number): this {
    this.buffer[this.offset++] = value & 0xff;
    return this;
  }

  /** C-Octet String: ASCII then a NUL. */
  cstring(value: string): this {
    this.offset += this.buffer.write(value, this.offset, 'latin1');
    this.buffer[this.offset++] = 0;
    return this;
  }

  /** sm_length then the octets. */
  shortMessage(octets: Buffer): this {
    if (octets.length > 254) throw new RangeError(`short_message is ${octets.length} octets, at most 254`);
    this.buffer[this.offset++] = octets.length;
    octets.copy(this.buffer, this.offset);
    this.offset += octets.length;
    return this;
  }

  tlvCString(tag: number, value: string): this {
    const length = Buffer.byteLength(value, 'latin1') + 1;
    this.buffer.writeUInt16BE(tag, this.offset);
    this.buffer.writeUInt16BE(length, this.offset + 2);
    this.offset += 4;
    return this.cstring(value);
  }

  tlvByte(tag: number, value: number): this {
    this.buffer.writeUInt16BE(tag, this.offset);
    this.buffer.writeUInt16BE(1, this.offset + 2);
    this.offset += 4;
    return this.byte(value);
  }

  done(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }
}

export interface MessageFields {
  sourceTon: number;
  sourceNpi: number;
  source: string;
  destinationTon: number;
  destinationNpi: number;
  destination: string;
  esmClass: number;
  priorityFlag: number;
  registeredDelivery: number;
  dataCoding: number;
  shortMessage: Buffer;
  /** Platform message reference (TLV_PLATFORM_REFERENCE), when given. */
  reference?: string | null;
}

/** submit_sm and deliver_sm share their mandatory fields (SMPP 3.4 sections 4.4.1 and 4.6.1). */
function messageBody(fields: MessageFields, extra: number): BodyWriter {
  return new BodyWriter(64 + fields.source.length + fields.destination.length + fields.shortMessage.length + extra)
    .cstring('') // service_type
    .byte(fields.sourceTon)
    .byte(fields.sourceNpi)
    .cstring(fields.source)
    .byte(fields.destinationTon)
    .byte(fields.destinationNpi)
    .cstring(fields.destination)
    .byte(fields.esmClass)
    .byte(0) // protocol_id
    .byte(fields.priorityFlag)
    .cstring('') // schedule_delivery_time: at once
    .cstring('') // validity_period: the carrier's default
    .byte(fields.registeredDelivery)
    .byte(0) // replace_if_present_flag
    .byte(fields.dataCoding)
    .byte(0) // sm_default_msg_id
    .shortMessage(fields.shortMessage);
}

export function submitSm(fields: MessageFields): EncodedPdu {
  const reference = fields.reference ?? null;
  const body = messageBody(fields, reference === null ? 0 : reference.length + 5);
  if (reference !== null) body.tlvCString(TLV_PLATFORM_REFERENCE, reference);
  return new EncodedPdu(SUBMIT_SM, body.done());
}

/** The platform reference of a decoded PDU (the `smpp` package keeps unknown TLVs as buffers under their tag). */
export function readPlatformReference(pdu: Readonly<Record<string | number, unknown>>): string | null {
  const value = pdu[TLV_PLATFORM_REFERENCE];
  if (!Buffer.isBuffer(value) || value.length === 0 || value.length > MAX_REFERENCE_LENGTH + 1) return null;
  const end = value.indexOf(0);
  const text = value.toString('latin1', 0, end === -1 ? value.length : end);
  return text === '' ? null : text;
}

export function submitSmResp(sequenceNumber: number, messageId: string): EncodedPdu {
  return new EncodedPdu(SUBMIT_SM_RESP, new BodyWriter(messageId.length + 1).cstring(messageId).done(), 0, sequenceNumber);
}

/** An error answer has no body (SMPP 3.4 section 4.4.2). */
export function submitSmError(sequenceNumber: number, commandStatus: number): EncodedPdu {
  return new EncodedPdu(SUBMIT_SM_RESP, Buffer.allocUnsafe(HEADER_LENGTH), commandStatus, sequenceNumber);
}

/** message_id is unused in deliver_sm_resp and set to NULL (SMPP 3.4 section 4.6.2); an error answer has no body. */
export function deliverSmResp(sequenceNumber: number, commandStatus: number): EncodedPdu {
  const body = new BodyWriter(1);
  if (commandStatus === 0) body.byte(0);
  return new EncodedPdu(DELIVER_SM_RESP, body.done(), commandStatus, sequenceNumber);
}

export function deliverSm(fields: MessageFields, receipt?: { receiptedMessageId: string; messageState: number; reference?: string | null }): EncodedPdu {
  const reference = receipt?.reference ?? null;
  const body = messageBody(fields, receipt ? receipt.receiptedMessageId.length + 16 + (reference === null ? 0 : reference.length + 5) : 0);
  if (receipt) body.tlvCString(TLV_RECEIPTED_MESSAGE_ID, receipt.receiptedMessageId).tlvByte(TLV_MESSAGE_STATE, receipt.messageState);
  if (reference !== null) body.tlvCString(TLV_PLATFORM_REFERENCE, reference);
  return new EncodedPdu(DELIVER_SM, body.done());
}
