/**
 * What a deliver_sm from a carrier carries: a delivery receipt, or (part of) an inbound message.
 * Reads the fields of a PDU as the `smpp` package decodes them (short_message / message_payload
 * become `{ udh?: Buffer[], message: string }` for the data codings it knows). Pure: no I/O.
 */
import { interpretReceipt, isReceiptEsmClass, type ReceiptReading } from './delivery-receipt.js';
import { readPlatformReference } from './encoded-pdu.js';
import { readAddress } from './pdu-encoding.js';
import { readConcatenation, type Concatenation } from './udh.js';

export type IncomingDeliverSm =
  | { kind: 'receipt'; reading: ReceiptReading; text: string; recipient: string; reference: string | null }
  | { kind: 'message'; from: string; to: string; text: string; concatenation: Concatenation | null };

type PduFields = Readonly<Record<string, unknown>>;

interface Content {
  text: string;
  udh: Buffer[];
}

function contentOf(value: unknown): Content | null {
  if (typeof value === 'string') return { text: value, udh: [] };
  // Data codings the package cannot decode (binary, ...) stay as bytes.
  if (Buffer.isBuffer(value)) return { text: value.toString('latin1'), udh: [] };
  if (value && typeof value === 'object' && 'message' in value) {
    const { message, udh } = value as { message: unknown; udh?: unknown };
    const text = typeof message === 'string' ? message : Buffer.isBuffer(message) ? message.toString('latin1') : '';
    const elements = Array.isArray(udh) ? udh.filter((element): element is Buffer => Buffer.isBuffer(element)) : [];
    return { text, udh: elements };
  }
  return null;
}

/** message_payload (TLV) when present and not empty, else short_message. */
export function messageContent(pdu: PduFields): Content {
  const payload = contentOf(pdu.message_payload);
  if (payload && (payload.text !== '' || payload.udh.length > 0)) return payload;
  return contentOf(pdu.short_message) ?? { text: '', udh: [] };
}

/** Concatenation from the UDH, or from the SAR TLVs some carriers use instead. */
function concatenationOf(pdu: PduFields, content: Content): Concatenation | null {
  const fromUdh = readConcatenation(content.udh);
  if (fromUdh) return fromUdh;
  const reference = pdu.sar_msg_ref_num;
  const total = pdu.sar_total_segments;
  const index = pdu.sar_segment_seqnum;
  if (typeof reference === 'number' && typeof total === 'number' && typeof index === 'number' && total >= 1 && index >= 1 && index <= total) {
    return { reference, total, index };
  }
  return null;
}

export function readDeliverSm(pdu: PduFields): IncomingDeliverSm {
  const content = messageContent(pdu);
  const esmClass = typeof pdu.esm_class === 'number' ? pdu.esm_class : 0;
  if (isReceiptEsmClass(esmClass)) {
    return {
      kind: 'receipt',
      reading: interpretReceipt({ receiptedMessageId: pdu.receipted_message_id, messageState: pdu.message_state, text: content.text }),
      text: content.text,
      recipient: readAddress(pdu.source_addr_ton, pdu.source_addr),
      reference: readPlatformReference(pdu),
    };
  }
  return {
    kind: 'message',
    from: readAddress(pdu.source_addr_ton, pdu.source_addr),
    to: readAddress(pdu.dest_addr_ton, pdu.destination_addr),
    text: content.text,
    concatenation: concatenationOf(pdu, content),
  };
}
