import { config } from '../config.js';
import type { Db } from '../db/client.js';

/**
 * E-mails to people (team invitations...). There is no mail transport yet: messages are written
 * to the `outbound_email` outbox in the caller's transaction, so one exists exactly when the
 * change that needs it commits; a mailer will deliver what waits there and set `sent_at`.
 */
export interface OutboundEmail {
  recipient: string;
  subject: string;
  body: string;
  purpose: 'TEAM_INVITATION';
}

export async function queueEmail(db: Db, email: OutboundEmail): Promise<void> {
  await db.outboundEmail.create({ data: email });
  if (config.env === 'development') {
    // Development only: without a mailer yet, the developer reads the message here.
    console.info(`[email] to ${email.recipient}: ${email.subject}\n${email.body}`);
  }
}
