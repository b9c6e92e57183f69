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

const FIELDS = ['id', 'sub', 'dlvrd', 'submit date', 'done date', 'stat', 'err'] as const;

/**
 * Where `name:` starts, at the beginning or after a blank, before `end`; -1 when absent. `lower`
 * is the text in lower case: carriers vary in case (`Id:`, `STAT:`).
 */
function fieldAt(lower: string, name: string, end: number): number {
  for (let from = 0; ; ) {
    const at = lower.indexOf(name, from);
    if (at < 0 || at >= end) return -1;
    if (at === 0 || lower.charCodeAt(at - 1) <= 0x20) return at;
    from = at + 1;
  }
}

/**
 * Reads the fields of a receipt text; absent fields are null. Values stop at a blank, except
 * `text:`, which runs to the end. Every receipt goes through here (thousands per second during a
 * campaign), hence a scan with `indexOf` rather than one regular expression per field.
 */
export function parseReceiptText(receipt: string): ReceiptText {
  const lower = receipt.toLowerCase();
  // Lower-casing a few non-ASCII letters changes the length: read values from the lowered copy then.
  const text = lower.length === receipt.length ? receipt : lower;
  const textAt = fieldAt(lower, 'text:', lower.length);
  const end = textAt < 0 ? lower.length : textAt;
  const values: Record<(typeof FIELDS)[number], string | null> = { id: null, sub: null, dlvrd: null, 'submit date': null, 'done date': null, stat: null, err: null };
  for (const name of FIELDS) {
    const at = fieldAt(lower, `${name}:`, end);
    if (at < 0) continue;
    const from = at + name.length + 1;
    let to = from;
    while (to < text.length && text.charCodeAt(to) > 0x20) to++;
    if (to > from) values[name] = text.slice(from, to);
  }
  return {
    id: values.id,
    sub: values.sub,
    dlvrd: values.dlvrd,
    submitDate: parseReceiptDate(values['submit date']),
    doneDate: parseReceiptDate(values['done date']),
    stat: values.stat,
    err: values.err,
    text: textAt < 0 ? null : text.slice(textAt + 5),
  };
}

/** `YYMMDDhhmm` or `YYMMDDhhmmss`, read as UTC in this century; null when absent or not a date. */
export function parseReceiptDate(value: string | null): Date | null {
  if (!value || (value.length !== 10 && value.length !== 12)) return null;
  const yy = digitPair(value, 0);
  const mm = digitPair(value, 2);
  const dd = digitPair(value, 4);
  const hh = digitPair(value, 6);
  const mi = digitPair(value, 8);
  const ss = value.length === 12 ? digitPair(value, 10) : 0;
  if (yy < 0 || mm < 0 || dd < 0 || hh < 0 || mi < 0 || ss < 0) return null;
  if (hh > 23 || mi > 59 || ss > 59) return null;
  const date = new Date(Date.UTC(2000 + yy, mm - 1, dd, hh, mi, ss));
  // Date.UTC rolls 31 February over to March: refuse instead of guessing.
  if (date.getUTCMonth() !== mm - 1 || date.getUTCDate() !== dd) return null;
  return date;
}

/**
 * Two digits at `at` as a number, -1 when they are not digits (every receipt: no array per date).
 * Helpers here are module functions, not closures: tsx (esbuild's keepNames) names each closure
 * with a property definition every time it is created, a cost per receipt.
 */
function digitPair(value: string, at: number): number {
  const tens = value.charCodeAt(at) - 0x30;
  const units = value.charCodeAt(at + 1) - 0x30;
  return tens < 0 || tens > 9 || units < 0 || units > 9 ? -1 : tens * 10 + units;
}

export function formatReceiptDate(date: Date): string {
  return `${twoDigits(date.getUTCFullYear() % 100)}${twoDigits(date.getUTCMonth() + 1)}${twoDigits(date.getUTCDate())}${twoDigits(date.getUTCHours())}${twoDigits(date.getUTCMinutes())}${twoDigits(date.getUTCSeconds())}`;
}

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
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
