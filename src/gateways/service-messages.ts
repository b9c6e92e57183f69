import { config } from '../config.js';
import type { Db } from '../db/client.js';
import { countSegments, tooLongProblem } from '../domain/messaging/segments.js';
import { parsePhone } from '../domain/phone.js';
import { publishEvent } from '../events/bus.js';

/**
 * The platform's own messages to users (confirmation codes, security alerts). Each is a
 * `message` row of kind SERVICE, written in the caller's transaction so that it exists exactly
 * when the change that needs it commits. It goes out through the carrier like any message, on
 * the transactional lane (ahead of campaigns), from SERVICE_SENDER; it is never charged (price
 * 0, no credit hold, so the dispatcher settles nothing for it) and is never shown to the
 * account as one of its messages.
 *
 * Call `dispatchServiceMessagesNow()` once the transaction has committed, so the dispatchers
 * claim it at once rather than at their next poll.
 */
export interface ServiceMessage {
  /** The account concerned: the message is stored with it (and deleted with it). */
  accountId: string;
  /** E.164. */
  recipient: string;
  body: string;
  purpose: 'MOBILE_CONFIRMATION' | 'SECURITY_ALERT';
}

export async function queueServiceMessage(db: Db, message: ServiceMessage): Promise<void> {
  const count = countSegments(message.body);
  const tooLong = tooLongProblem(count);
  // Our own texts: one that does not fit is a defect, not a user error.
  if (tooLong) throw new Error(`service message ${message.purpose} is too long: ${tooLong.message}`);
  const parsed = parsePhone(message.recipient);
  if (!parsed.ok) throw new Error(`service message ${message.purpose}: recipient ${message.recipient} is not a valid number (${parsed.message})`);
  await db.message.create({
    data: {
      accountId: message.accountId,
      kind: 'SERVICE',
      priority: 0,
      sender: config.serviceMessages.sender,
      recipient: parsed.phone.e164,
      country: parsed.phone.country,
      text: message.body,
      segments: count.segments,
      price: '0',
      charged: false,
      reservationId: null,
    },
  });
  if (config.env === 'development') {
    // Development only: the simulator swallows the SMS, so the developer reads the code here.
    console.info(`[service-message] to ${message.recipient}: ${message.body}`);
  }
}

/** After commit: every dispatcher, in whichever process, claims the queued service messages now. */
export function dispatchServiceMessagesNow(): void {
  publishEvent('dispatchRequested', 'platform', { accountId: 'platform' });
}
