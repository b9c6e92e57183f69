import type { MessageStatus } from '../../generated/prisma/enums.js';
import type { ReceiptStatus } from '../../gateways/carriers/carrier.js';

/** Final statuses never change again (SPEC section 5). */
export const FINAL_STATUSES: readonly MessageStatus[] = ['DELIVERED', 'NOT_ISSUED', 'EXPIRED', 'BLACKLISTED'];

/** Statuses a receipt may still move a message out of; anything else ignores the receipt. */
export const OPEN_STATUSES: readonly MessageStatus[] = ['ON_HOLD', 'TRANSMITTED'];

/** The message status a carrier receipt leads to, or null for intermediate reports. */
export function statusOfReceipt(status: ReceiptStatus): MessageStatus | null {
  switch (status) {
    case 'DELIVERED':
    case 'NOT_ISSUED':
    case 'EXPIRED':
      return status;
    default:
      return null;
  }
}

/** A message's next status, or null when the change must be ignored (late, duplicate, backwards). */
export function nextStatus(current: MessageStatus, incoming: MessageStatus): MessageStatus | null {
  if (FINAL_STATUSES.includes(current)) return null;
  if (incoming === current) return null;
  if (incoming === 'ON_HOLD') return null;
  if (incoming === 'TRANSMITTED' && current !== 'ON_HOLD') return null;
  return incoming;
}

/** How long a message without a final receipt stays TRANSMITTED before it is EXPIRED. */
export const RECEIPT_DEADLINE_HOURS = 48;
