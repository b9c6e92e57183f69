import { config } from '../config.js';
import type { Db } from '../db/client.js';

/**
 * Security and service messages to users (confirmation codes, alerts). They are written to the
 * `service_message` outbox in the caller's transaction, so a message exists exactly when the
 * change that needs it commits; the carrier dispatch sends what waits there.
 */
export interface ServiceMessage {
  recipient: string;
  body: string;
  purpose: 'MOBILE_CONFIRMATION' | 'SECURITY_ALERT';
}

export async function queueServiceMessage(db: Db, message: ServiceMessage): Promise<void> {
  await db.serviceMessage.create({ data: message });
  if (config.env === 'development') {
    // Development only: without a carrier yet, the developer reads the code here.
    console.info(`[service-message] to ${message.recipient}: ${message.body}`);
  }
}
