import { pool } from '../db/client.js';
import { statusOfReceipt } from '../domain/messages/delivery-status.js';
import { receiveInboundMessages } from '../domain/conversations/inbound.js';
import { publishEvent } from '../events/bus.js';
import type { CarrierEventBatch } from '../gateways/carriers/carrier.js';

interface ChangedMessage {
  id: string;
  account_id: string;
  status: string;
}

/**
 * Applies a batch of delivery receipts with one statement. A receipt only moves a message out
 * of ON_HOLD / TRANSMITTED, so late, duplicate and out-of-order receipts change nothing. A
 * receipt whose carrier id is not (yet) recorded is kept in `unmatched_receipt`: a fast carrier
 * can answer before the submission is written; `recordSubmissions` re-applies them.
 */
export async function applyCarrierEvents(batch: CarrierEventBatch): Promise<void> {
  for (const unreadable of batch.unreadableReceipts) console.warn(`[receipts] ${unreadable.connection}: ${unreadable.problem}`);
  if (batch.inbound.length > 0) await receiveInboundMessages(batch.inbound);
  const finals = batch.receipts.flatMap((receipt) => {
    const status = statusOfReceipt(receipt.status);
    return status ? [{ ...receipt, status }] : [];
  });
  if (finals.length === 0) return;
  const { rows } = await pool.query<ChangedMessage>(
    `WITH r AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::"MessageStatus"[], $4::text[], $5::text[], $6::timestamptz[])
         AS r(connection, carrier_message_id, status, carrier_status, error_code, done_at)
     ), matched AS (
       SELECT r.*, p.message_id FROM r
         LEFT JOIN carrier_part p ON p.connection = r.connection AND p.carrier_message_id = r.carrier_message_id
     ), kept AS (
       INSERT INTO unmatched_receipt (connection, carrier_message_id, status, carrier_status, error_code, done_at)
       SELECT connection, carrier_message_id, status, carrier_status, error_code, done_at FROM matched WHERE message_id IS NULL
     )
     UPDATE message m
        SET status = matched.status, final_at = coalesce(matched.done_at, now()),
            carrier_status = matched.carrier_status, error_code = matched.error_code
       FROM matched
      WHERE m.id = matched.message_id AND m.status IN ('ON_HOLD', 'TRANSMITTED')
     RETURNING m.id::text, m.account_id::text, m.status::text`,
    [
      finals.map((receipt) => receipt.connection),
      finals.map((receipt) => receipt.carrierMessageId),
      finals.map((receipt) => receipt.status),
      finals.map((receipt) => receipt.carrierStatus),
      finals.map((receipt) => receipt.errorCode),
      finals.map((receipt) => receipt.doneAt),
    ],
  );
  publishStatusChanges(rows);
}

/** Re-applies receipts that arrived before their submission was recorded. */
export async function applyUnmatchedReceipts(connection: string, carrierMessageIds: string[]): Promise<void> {
  if (carrierMessageIds.length === 0) return;
  const { rows } = await pool.query<ChangedMessage>(
    `WITH found AS (
       DELETE FROM unmatched_receipt u USING carrier_part p
        WHERE u.connection = $1 AND u.carrier_message_id = ANY($2::text[])
          AND p.connection = u.connection AND p.carrier_message_id = u.carrier_message_id
       RETURNING p.message_id, u.status, u.carrier_status, u.error_code, u.done_at
     )
     UPDATE message m
        SET status = found.status, final_at = coalesce(found.done_at, now()),
            carrier_status = found.carrier_status, error_code = found.error_code
       FROM found
      WHERE m.id = found.message_id AND m.status IN ('ON_HOLD', 'TRANSMITTED')
     RETURNING m.id::text, m.account_id::text, m.status::text`,
    [connection, carrierMessageIds],
  );
  publishStatusChanges(rows);
}

export function publishStatusChanges(rows: readonly ChangedMessage[]): void {
  for (const row of rows) {
    publishEvent('messageStatusChanged', row.account_id, { accountId: row.account_id, messageId: row.id, status: row.status, campaignId: null });
  }
}

/**
 * Ends what the carrier never answered: TRANSMITTED for RECEIPT_DEADLINE_HOURS becomes
 * EXPIRED; receipts unmatched for an hour are for nobody we know, logged and dropped.
 */
export async function expireStaleMessages(deadlineHours: number): Promise<{ expired: number; droppedReceipts: number }> {
  const { rows } = await pool.query<ChangedMessage>(
    `UPDATE message SET status = 'EXPIRED', final_at = now(), carrier_status = 'NO_RECEIPT'
      WHERE status = 'TRANSMITTED' AND submitted_at < now() - make_interval(hours => $1::int)
     RETURNING id::text, account_id::text, status::text`,
    [deadlineHours],
  );
  publishStatusChanges(rows);
  const dropped = await pool.query(`DELETE FROM unmatched_receipt WHERE received_at < now() - interval '1 hour'`);
  if ((dropped.rowCount ?? 0) > 0) console.warn(`[receipts] dropped ${dropped.rowCount} receipt(s) for unknown message ids`);
  return { expired: rows.length, droppedReceipts: dropped.rowCount ?? 0 };
}
