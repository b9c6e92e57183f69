import type { MessageStatus } from '../../generated/prisma/enums.js';
import type { ReceiptStatus } from '../../gateways/carriers/carrier.js';

/** Final statuses never change again (SPEC section 5). */
export const FINAL_STATUSES: readonly MessageStatus[] = ['DELIVERED', 'NOT_ISSUED', 'EXPIRED', 'BLACKLISTED', 'CANCELLED'];

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

/**
 * The status of a message sent in `parts` parts, from the final receipts of its parts so far
 * (in order of arrival, null for a part without one), or null while it must wait for more.
 *
 * - DELIVERED only once every part's receipt says delivered.
 * - The first part that reports NOT_ISSUED or EXPIRED ends the message at once with that status,
 *   without waiting for the other parts: a handset cannot show a concatenated message with a part
 *   missing, so the message as written can no longer be delivered whatever the other parts say,
 *   and their receipts may take as long as the carrier's validity period (or never come) while
 *   the sender deserves to know now. Later receipts are kept on their parts (for support) and
 *   change nothing, as for any final status.
 *
 * `applyReceipts` in src/jobs/carrier-events.ts applies this rule in SQL, for a batch at a time.
 */
export function statusOfParts(partStatuses: readonly (MessageStatus | null)[], parts: number): MessageStatus | null {
  const failed = partStatuses.find((status) => status === 'NOT_ISSUED' || status === 'EXPIRED');
  if (failed) return failed;
  const delivered = partStatuses.filter((status) => status === 'DELIVERED').length;
  return delivered >= Math.max(1, parts) ? 'DELIVERED' : null;
}

/** How long a message without a final receipt stays TRANSMITTED before it is EXPIRED. */
export const RECEIPT_DEADLINE_HOURS = 48;
