/**
 * Delivery receipts: the de facto standard text of SMPP 3.4 Appendix B carried in a deliver_sm
 * (esm_class 0x04), and the receipted_message_id / message_state TLVs that SMPP 3.4 carriers
 * add. The TLVs win when both are present: they are typed, the text is free-form.
 *
 *   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
 *
 * Pure: no I/O. `formatReceiptText` is what the carrier simulator sends.
 */
import type { ReceiptStatus } from './carrier.js';

/** esm_class message-type bits (2-5) of a deliver_sm carrying a receipt or an intermediate notification. */
export const ESM_CLASS_MESSAGE_TYPE_MASK = 0x3c;
export const ESM_CLASS_DELIVERY_RECEIPT = 0x04;
export const ESM_CLASS_INTERMEDIATE_NOTIFICATION = 0x20;

export function isReceiptEsmClass(esmClass: number): boolean {
  const type = esmClass & ESM_CLASS_MESSAGE_TYPE_MASK;
  return type === ESM_CLASS_DELIVERY_RECEIPT || type === ESM_CLASS_INTERMEDIATE_NOTIFICATION;
}

/** SMPP 3.4 section 5.2.28 message_state values. */
export const MESSAGE_STATE = {
  ENROUTE: 1,
  DELIVERED: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIVERABLE: 5,
  ACCEPTED: 6,
  UNKNOWN: 7,
  REJECTED: 8,
} as const;

/** Receipt `stat:` words (SMPP 3.4 Appendix B) and the message_state each stands for. */
export const RECEIPT_STAT = {
  ENROUTE: MESSAGE_STATE.ENROUTE,
  DELIVRD: MESSAGE_STATE.DELIVERED,
  EXPIRED: MESSAGE_STATE.EXPIRED,
  DELETED: MESSAGE_STATE.DELETED,
  UNDELIV: MESSAGE_STATE.UNDELIVERABLE,
  ACCEPTD: MESSAGE_STATE.ACCEPTED,
  UNKNOWN: MESSAGE_STATE.UNKNOWN,
  REJECTD: MESSAGE_STATE.REJECTED,
} as const;

export type ReceiptStat = keyof typeof RECEIPT_STAT;

const STATUS_OF_STATE: Readonly<Record<number, ReceiptStatus>> = {
  [MESSAGE_STATE.ENROUTE]: 'ENROUTE',
  [MESSAGE_STATE.DELIVERED]: 'DELIVERED',
  [MESSAGE_STATE.EXPIRED]: 'EXPIRED',
  // Deleted by the carrier, undeliverable, rejected: the handset never got it.
  [MESSAGE_STATE.DELETED]: 'NOT_ISSUED',
  [MESSAGE_STATE.UNDELIVERABLE]: 'NOT_ISSUED',
  [MESSAGE_STATE.REJECTED]: 'NOT_ISSUED',
  [MESSAGE_STATE.ACCEPTED]: 'ACCEPTED',
  [MESSAGE_STATE.UNKNOWN]: 'UNKNOWN',
};

const FINAL_STATUSES: ReadonlySet<ReceiptStatus> = new Set(['DELIVERED', 'NOT_ISSUED', 'EXPIRED']);

export function isFinalStatus(status: ReceiptStatus): boolean {
  return FINAL_STATUSES.has(status);
}

export function statusOfMessageState(state: number): ReceiptStatus | null {
  return STATUS_OF_STATE[state] ?? null;
}

export function statusOfStat(stat: string): ReceiptStatus | null {
  const state = (RECEIPT_STAT as Record<string, number>)[stat.toUpperCase()];
  return state === undefined ? null : statusOfMessageState(state);
}

export interface ReceiptText {
  id: string | null;
  sub: string | null;
  dlvrd: string | null;
  submitDate: Date | null;
  doneDate: Date | null;
  stat: string | null;
  err: string | null;
  text: string | null;
}

// Field names are matched case-insensitively: carriers vary (`Id:`, `STAT:`); values stop at a blank.
const FIELD = (name: string): RegExp => new RegExp(`(?:^|\\s)${name}:(\\S*)`, 'i');
const ID = FIELD('id');
const SUB = FIELD('sub');
const DLVRD = FIELD('dlvrd');
const SUBMIT_DATE = FIELD('submit date');
const DONE_DATE = FIELD('done date');
const STAT = FIELD('stat');
const ERR = FIELD('err');
const TEXT = /(?:^|\s)text:(.*)$/is;

export function parseReceiptText(text: string): ReceiptText {
  const value = (pattern: RegExp): string | null => {
    const found = pattern.exec(text)?.[1];
    return found === undefined || found === '' ? null : found;
  };
  return {
    id: value(ID),
    sub: value(SUB),
    dlvrd: value(DLVRD),
    submitDate: parseReceiptDate(value(SUBMIT_DATE)),
    doneDate: parseReceiptDate(value(DONE_DATE)),
    stat: value(STAT),
    err: value(ERR),
    text: TEXT.exec(text)?.[1] ?? null,
  };
}

/** `YYMMDDhhmm` or `YYMMDDhhmmss`, read as UTC in this century; null when absent or not a date. */
export function parseReceiptDate(value: string | null): Date | null {
  if (!value) return null;
  const match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/.exec(value);
  if (!match) return null;
  const [, yy, mm, dd, hh, mi, ss] = match;
  const date = new Date(Date.UTC(2000 + Number(yy), Number(mm) - 1, Number(dd), Number(hh), Number(mi), Number(ss ?? 0)));
  // Date.UTC rolls 31 February over to March: refuse instead of guessing.
  if (date.getUTCMonth() !== Number(mm) - 1 || date.getUTCDate() !== Number(dd)) return null;
  return date;
}

export function formatReceiptDate(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}`;
}

export interface ReceiptFields {
  /** receipted_message_id TLV. */
  receiptedMessageId?: unknown;
  /** message_state TLV. */
  messageState?: unknown;
  /** short_message (or message_payload) decoded to text. */
  text: string;
}

export interface InterpretedReceipt {
  carrierMessageId: string;
  status: ReceiptStatus;
  final: boolean;
  carrierStatus: string;
  errorCode: string | null;
  submittedAt: Date | null;
  doneAt: Date | null;
}

export type ReceiptReading = { ok: true; receipt: InterpretedReceipt } | { ok: false; problem: string };

/** What a receipt says, from its TLVs and text. Never throws: an unreadable receipt is reported as such. */
export function interpretReceipt(fields: ReceiptFields): ReceiptReading {
  const parsed = parseReceiptText(fields.text);
  const tlvId = typeof fields.receiptedMessageId === 'string' && fields.receiptedMessageId !== '' ? fields.receiptedMessageId : null;
  const carrierMessageId = tlvId ?? parsed.id;
  if (!carrierMessageId) return { ok: false, problem: 'no receipted_message_id TLV and no id: in the text' };
  const tlvStatus = typeof fields.messageState === 'number' ? statusOfMessageState(fields.messageState) : null;
  const textStatus = parsed.stat ? statusOfStat(parsed.stat) : null;
  const status = tlvStatus ?? textStatus;
  if (!status) {
    return { ok: false, problem: `unknown receipt state (stat:${parsed.stat ?? 'missing'}, message_state ${String(fields.messageState ?? 'missing')})` };
  }
  const carrierStatus = parsed.stat?.toUpperCase() ?? statName(status);
  return {
    ok: true,
    receipt: {
      carrierMessageId,
      status,
      final: isFinalStatus(status),
      carrierStatus,
      errorCode: parsed.err && !/^0+$/.test(parsed.err) ? parsed.err : null,
      submittedAt: parsed.submitDate,
      doneAt: parsed.doneDate,
    },
  };
}

function statName(status: ReceiptStatus): string {
  switch (status) {
    case 'DELIVERED':
      return 'DELIVRD';
    case 'NOT_ISSUED':
      return 'UNDELIV';
    case 'EXPIRED':
      return 'EXPIRED';
    case 'ENROUTE':
      return 'ENROUTE';
    case 'ACCEPTED':
      return 'ACCEPTD';
    case 'UNKNOWN':
      return 'UNKNOWN';
  }
}

export interface ReceiptTextInput {
  id: string;
  stat: ReceiptStat;
  err?: string;
  submitDate: Date;
  doneDate: Date;
  /** Beginning of the message, as carriers echo it (20 characters at most). */
  text?: string;
  parts?: number;
}

export function formatReceiptText(input: ReceiptTextInput): string {
  const parts = String(input.parts ?? 1).padStart(3, '0');
  const delivered = input.stat === 'DELIVRD' ? parts : '000';
  return (
    `id:${input.id} sub:${parts} dlvrd:${delivered} submit date:${formatReceiptDate(input.submitDate)} ` +
    `done date:${formatReceiptDate(input.doneDate)} stat:${input.stat} err:${input.err ?? '000'} text:${(input.text ?? '').slice(0, 20)}`
  );
}
