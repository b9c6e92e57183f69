import { pool, prisma } from '../db/client.js';
import type { RawSql } from '../db/raw-sql.js';
import { withIndexPlans } from '../db/index-plans.js';
import { campaignMessagesWait } from '../domain/campaigns/campaign-progress.js';
import { chargeOrLog, PLATFORM, queueSettlement, releaseReservation } from '../domain/credit/ledger.js';
import { statusOfReceipt } from '../domain/messages/delivery-status.js';
import { receiveInboundMessages } from '../domain/conversations/inbound.js';
import { parseEuros, type Micros } from '../domain/messaging/prices.js';
import { publishEvent } from '../events/bus.js';
import type { EventPayloads } from '../events/channels.js';
import type { CarrierEventBatch, DeliveryReceipt } from '../gateways/carriers/carrier.js';
import type { MessageStatus } from '../generated/prisma/enums.js';
import { settleSoon } from './settlements.js';

/**
 * Receipts, and the evidence they carry.
 *
 * A batch of receipts is applied with a few set-based statements: step 1 alone (the common case,
 * one statement that is atomic by itself), the rest in one transaction when some receipts match
 * no known part:
 * 1. Each receipt is matched to its part (`carrier_part`, by connection and carrier id; or, for a
 *    single-part message on a connection whose receipts carry our reference, to the message row
 *    named by the reference whose connection and carrier id are the receipt's). The
 *    receipt of a single-part message sets the message's status; a part of a longer message
 *    takes the receipt's final status on its row, once: duplicates and late receipts of a part
 *    that already has one change nothing, and are kept in `ignored_receipt` (30 days).
 * 2. A receipt whose part we do not know but which carries our message reference (the TLV the
 *    gateway sends with every submission, echoed by the carrier) proves that the message reached
 *    the carrier although its submission was never recorded: a worker was killed between the
 *    socket write and the database write, or a connection dropped before the carrier's answer.
 *    Such a message (ON_HOLD, and no live lease: nobody is about to record it) is recorded here
 *    as the dispatcher would have: TRANSMITTED, charged against its reservation, its part
 *    attached; then the receipt applies. The dispatcher does not claim such "in doubt" messages
 *    again before DISPATCH_RECONCILE_SECONDS (see dispatcher.ts), so this evidence arrives first.
 * 3. A fast carrier can answer before the submission is recorded: when a dispatcher of this
 *    process holds the message, the receipt waits in memory for that record (milliseconds) and
 *    applies then. What still matches nothing waits in `unmatched_receipt`: re-applied by the
 *    record it raced, or by `reconcileInDoubtMessages` (every dispatcher, every few seconds) once
 *    the message's lease has ended.
 * 4. Messages of several parts whose parts changed take their status from all their parts
 *    (`statusOfParts`): DELIVERED once every part is, NOT_ISSUED / EXPIRED as soon as one part is.
 *    Only ON_HOLD / TRANSMITTED messages move, so a final status never changes.
 */

export interface ChangedMessage {
  id: string;
  account_id: string;
  status: string;
  kind: string;
  campaign_id: string | null;
}

/** A receipt as applied and kept: a final status, or TRANSMITTED for an intermediate report (kept only as evidence). */
export interface ReceiptRow {
  connection: string;
  carrierMessageId: string;
  status: MessageStatus;
  carrierStatus: string;
  errorCode: string | null;
  doneAt: Date | null;
  submittedAt: Date | null;
  /** Our message id, when the carrier echoed the reference and it is one of ours (digits). */
  reference: string | null;
}

export interface ReceiptsApplied {
  changed: ChangedMessage[];
  /** Reservations charged by submissions recorded from receipts, with their campaign. */
  reservations: Map<string, string | null>;
}

const REFERENCE = /^\d{1,18}$/;

export function receiptRowOf(receipt: DeliveryReceipt): ReceiptRow | null {
  const reference = receipt.reference !== null && REFERENCE.test(receipt.reference) ? receipt.reference : null;
  // Intermediate reports (ENROUTE, ACCEPTD) end nothing, but one that carries our reference still
  // proves the submission.
  const status = statusOfReceipt(receipt.status) ?? (reference !== null ? 'TRANSMITTED' : null);
  if (status === null) return null;
  return {
    connection: receipt.connection,
    carrierMessageId: receipt.carrierMessageId,
    status,
    carrierStatus: receipt.carrierStatus,
    errorCode: receipt.errorCode,
    doneAt: receipt.doneAt,
    submittedAt: receipt.submittedAt,
    reference,
  };
}

/** The gateway's event handler: resolves once the batch is committed (the carrier is acknowledged then). */
export async function applyCarrierEvents(batch: CarrierEventBatch): Promise<void> {
  for (const unreadable of batch.unreadableReceipts) console.warn(`[receipts] ${unreadable.connection}: ${unreadable.problem}`);
  await applyCarrierReceipts(batch.receipts);
  // Replies last, in their own transaction: receipts may be applied twice harmlessly (a failed
  // batch is delivered again), a reply may not, so nothing that can fail comes after it.
  if (batch.inbound.length > 0 || batch.inboundParts.length > 0) await receiveInboundMessages(batch.inbound, batch.inboundParts);
}

async function applyCarrierReceipts(receipts: CarrierEventBatch['receipts']): Promise<void> {
  const rows = receipts.flatMap((receipt) => receiptRowOf(receipt) ?? []);
  if (rows.length === 0) return;
  // The common case in a transaction of its own (usually one statement): known parts. Should a
  // later step fail, the carrier delivers the batch again and this one changes nothing more,
  // while the settling of multipart messages is repeated (see `markParts`).
  const first = await markPartsAtomically(rows);
  const applied: ReceiptsApplied = { changed: first.changed, reservations: new Map() };
  const touched = [...first.touched];
  let unmatched = first.unmatched;
  // Receipts faster than the record of their submission, by a dispatcher of this process: wait
  // for that record (milliseconds) and apply them then, rather than store and re-apply them.
  const local = unmatched.filter((receipt) => receipt.reference !== null && heldLocally(receipt.reference));
  if (local.length > 0) {
    await whenRecordedLocally(local.map((receipt) => receipt.reference as string));
    const again = await markPartsAtomically(local);
    applied.changed.push(...again.changed);
    touched.push(...again.touched);
    unmatched = [...unmatched.filter((receipt) => !local.includes(receipt)), ...again.unmatched];
  }
  if (touched.length > 0) applied.changed.push(...(await settleMessageStatuses(onPool, [...new Set(touched)])));
  if (unmatched.length > 0) {
    const rest = await withIndexPlans((tx) => applyUnmatched(onTransaction(tx), tx, unmatched));
    applied.changed.push(...rest.changed);
    for (const [id, campaign] of rest.reservations) applied.reservations.set(id, campaign);
  }
  await afterReceipts(applied);
}

/** The dispatchers of this process, which know which messages they are about to record. */
export interface LocalRecorder {
  holds(messageId: string): boolean;
  whenRecorded(messageIds: readonly string[]): Promise<void>;
  /** Its carrier link has been up long enough for the receipts a carrier kept to have come (see dispatcher.ts). */
  inDoubtDecidable(): boolean;
}

const localRecorders = new Set<LocalRecorder>();
/** A receipt waits at most this long for a local record; then it takes the `unmatched_receipt` way. */
const LOCAL_RECORD_WAIT_MS = 5000;

export function registerLocalRecorder(recorder: LocalRecorder): () => void {
  localRecorders.add(recorder);
  return () => localRecorders.delete(recorder);
}

/**
 * Whether a message in doubt may be decided by this process: one of its dispatchers has had its
 * carrier link up for the reconciliation delay, so a receipt that proves the message was sent
 * would have come (the campaign life cycle cancels a cancelled campaign's in-doubt messages only then).
 */
export function inDoubtDecidableInThisProcess(): boolean {
  for (const recorder of localRecorders) if (recorder.inDoubtDecidable()) return true;
  return false;
}

function heldLocally(messageId: string): boolean {
  for (const recorder of localRecorders) if (recorder.holds(messageId)) return true;
  return false;
}

async function whenRecordedLocally(messageIds: readonly string[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([...localRecorders].map((recorder) => recorder.whenRecorded(messageIds))),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, LOCAL_RECORD_WAIT_MS))),
  ]);
  clearTimeout(timer);
}

/** Runs one statement: on the pool (autocommit) or in a transaction; rows come back as the statement casts them. */
type Sql = <Row>(text: string, ...values: unknown[]) => Promise<Row[]>;

/** A statement on its own (atomic by itself), planned with index lookups (see db/index-plans.ts). */
const onPool: Sql = (text, ...values) => withIndexPlans((tx) => onTransaction(tx)(text, ...values));

/** Step 1 in one transaction (its one or two statements), planned with index lookups. */
function markPartsAtomically(receipts: readonly ReceiptRow[]): ReturnType<typeof markParts> {
  return withIndexPlans((tx) => markParts(onTransaction(tx), receipts));
}

function onTransaction(tx: RawSql): Sql {
  return async <Row>(text: string, ...values: unknown[]) => tx.$queryRawUnsafe<Row[]>(text, ...values);
}

/** After commit: live events, settlements, and holds that recorded submissions may have finished. */
export async function afterReceipts(applied: ReceiptsApplied): Promise<void> {
  publishStatusChanges(applied.changed);
  if (applied.reservations.size > 0) {
    settleSoon(applied.reservations.keys());
    await closeFinishedReservations(applied.reservations);
  }
}

/** The whole sequence in the caller's transaction (records, sweeps). */
export async function applyReceipts(tx: RawSql, receipts: readonly ReceiptRow[]): Promise<ReceiptsApplied> {
  if (receipts.length === 0) return { changed: [], reservations: new Map() };
  const sql = onTransaction(tx);
  const first = await markParts(sql, receipts);
  const rest = await applyUnmatched(sql, tx, first.unmatched);
  const changed = [...first.changed, ...rest.changed];
  if (first.touched.length > 0) changed.push(...(await settleMessageStatuses(sql, first.touched)));
  return { changed, reservations: rest.reservations };
}

/** Steps 2 to 4 for the receipts whose part was unknown. */
async function applyUnmatched(sql: Sql, tx: RawSql, receipts: readonly ReceiptRow[]): Promise<ReceiptsApplied> {
  const applied: ReceiptsApplied = { changed: [], reservations: new Map() };
  if (receipts.length === 0) return applied;
  let unmatched = receipts;
  const evidence = unmatched.filter((receipt) => receipt.reference !== null);
  if (evidence.length > 0) {
    const recorded = await recordSubmissionsFromReceipts(tx, evidence);
    applied.changed.push(...recorded.changed);
    for (const [id, campaign] of recorded.reservations) applied.reservations.set(id, campaign);
    const second = await markParts(sql, evidence);
    applied.changed.push(...second.changed);
    if (second.touched.length > 0) applied.changed.push(...(await settleMessageStatuses(sql, second.touched)));
    unmatched = [...unmatched.filter((receipt) => receipt.reference === null), ...second.unmatched];
  }
  await keepUnmatched(
    tx,
    unmatched.filter((receipt) => receipt.status !== 'TRANSMITTED' || receipt.reference !== null),
  );
  return applied;
}

/**
 * Step 1, in one statement or two: a receipt for a single-part message sets the message's final
 * status directly (its own status is its part's: one row written per receipt, the common case at
 * volume); a receipt for a part of a longer message is kept on its `carrier_part` row (once per
 * part) and the message is settled from all its parts afterwards. Returns the messages changed,
 * the multipart messages a final receipt names (whether or not its part was new: settling is
 * idempotent, and a batch delivered again must settle what a failed first try did not) and the
 * receipts of unknown parts.
 */
async function markParts(sql: Sql, receipts: readonly ReceiptRow[]): Promise<{ changed: ChangedMessage[]; touched: string[]; unmatched: ReceiptRow[] }> {
  const own = await markOwnMessages(sql, receipts);
  const rest = own.size === 0 ? receipts : receipts.filter((_receipt, index) => !own.has(index + 1));
  const changed = [...own.values()];
  if (rest.length === 0) return { changed, touched: [], unmatched: [] };
  const general = await markPartsByCarrierId(sql, rest);
  return { ...general, changed: [...changed, ...general.changed] };
}

/** A receipt as a record of the JSON the statements read with `json_to_recordset` (`position` from 1 in its batch). */
function receiptRecord(receipt: ReceiptRow, position: number) {
  return {
    position,
    connection: receipt.connection,
    carrier_message_id: receipt.carrierMessageId,
    status: receipt.status,
    carrier_status: receipt.carrierStatus,
    error_code: receipt.errorCode,
    // Milliseconds: a Date would cost an ISO string to write and to parse for every receipt.
    done_ms: receipt.doneAt?.getTime() ?? null,
    reference: receipt.reference,
  };
}

/** The records of `receiptRecord`, sent as JSON in parameter $1, as a relation. */
const RECEIPT_RECORDS = `(SELECT position, connection, carrier_message_id, status, carrier_status, error_code, to_timestamp(done_ms / 1000) AS done_at, reference
    FROM json_to_recordset($1::json)
      AS j(position int, connection text, carrier_message_id text, status "MessageStatus", carrier_status text, error_code text, done_ms float8, reference bigint))`;

/**
 * The common case first, with one index lookup per receipt: a final receipt that names one of
 * our single-part messages (by the reference it echoes), on the connection and with the carrier
 * id the message row holds, sets that message's status. Returns the messages changed by their
 * receipt's position (from 1); every other receipt (another part, a duplicate, an intermediate
 * report, no reference, faster than the record) goes through `markPartsByCarrierId`.
 */
async function markOwnMessages(sql: Sql, receipts: readonly ReceiptRow[]): Promise<Map<number, ChangedMessage>> {
  const finals = receipts.flatMap((receipt, index) => (receipt.reference !== null && receipt.status !== 'TRANSMITTED' ? [receiptRecord(receipt, index + 1)] : []));
  const changed = new Map<number, ChangedMessage>();
  if (finals.length === 0) return changed;
  // Grouped by what a campaign's messages share (a few rows, not one per receipt), with the
  // receipts' positions and the messages' ids joined in the same order.
  const groups = await sql<Omit<ChangedMessage, 'id'> & { positions: string; ids: string }>(
    `WITH marked AS (
       UPDATE message m
          SET status = r.status, final_at = coalesce(r.done_at, now()), carrier_status = r.carrier_status, error_code = r.error_code
         FROM ${RECEIPT_RECORDS} r
        WHERE m.id = r.reference AND m.connection = r.connection AND m.carrier_message_id = r.carrier_message_id
          AND m.segments <= 1 AND m.status IN ('ON_HOLD', 'TRANSMITTED')
       RETURNING r.position, m.id, m.account_id, m.status, m.kind, m.campaign_id
     )
     SELECT account_id::text, status::text, kind::text, campaign_id::text,
            string_agg(position::text, ',' ORDER BY position) AS positions, string_agg(id::text, ',' ORDER BY position) AS ids
       FROM marked GROUP BY account_id, status, kind, campaign_id`,
    JSON.stringify(finals),
  );
  for (const { positions, ids, ...shared } of groups) {
    const messageIds = ids.split(',');
    positions.split(',').forEach((position, index) => changed.set(Number(position), { id: messageIds[index]!, ...shared }));
  }
  return changed;
}

/**
 * Step 1 for the rest, one statement: a receipt for a single-part message sets its status, a
 * receipt for a part of a longer message is kept on its `carrier_part` row (once per part).
 */
async function markPartsByCarrierId(sql: Sql, receipts: readonly ReceiptRow[]): Promise<{ changed: ChangedMessage[]; touched: string[]; unmatched: ReceiptRow[] }> {
  const rows = await sql<Partial<ChangedMessage> & { what: 'changed' | 'part' | 'unmatched'; id: string | null; position: number | null }>(
    `WITH r AS (
       SELECT * FROM ${RECEIPT_RECORDS} r
     ), matched AS (
       -- By carrier_part, or for a single-part message handed over on a connection whose
       -- receipts carry our reference, by that reference and the carrier id on the message row.
       SELECT r.*, coalesce(p.message_id, own.id) AS message_id, coalesce(m.segments, own.segments) AS segments,
              coalesce(m.status, own.status) AS message_status
         FROM r
         LEFT JOIN carrier_part p ON p.connection = r.connection AND p.carrier_message_id = r.carrier_message_id
         LEFT JOIN message m ON m.id = p.message_id
         LEFT JOIN message own ON own.id = r.reference AND own.connection = r.connection AND own.carrier_message_id = r.carrier_message_id
     ), parts AS (
       UPDATE carrier_part p
          SET receipt_status = x.status, carrier_status = x.carrier_status, error_code = x.error_code, done_at = x.done_at, receipt_at = now()
         FROM matched x
        WHERE x.segments > 1 AND x.status <> 'TRANSMITTED'
          AND p.connection = x.connection AND p.carrier_message_id = x.carrier_message_id AND p.receipt_status IS NULL
       RETURNING p.message_id, p.connection, p.carrier_message_id
     ), singles AS (
       UPDATE message m
          SET status = x.status, final_at = coalesce(x.done_at, now()), carrier_status = x.carrier_status, error_code = x.error_code
         FROM matched x
        WHERE x.segments <= 1 AND x.status <> 'TRANSMITTED' AND m.id = x.message_id AND m.status IN ('ON_HOLD', 'TRANSMITTED')
       RETURNING m.id, m.account_id, m.status, m.kind, m.campaign_id
     ), ignored AS (
       -- Receipts of a known message or part that changed nothing: a final one for a message
       -- final already or a part that had its receipt (duplicate, late), an intermediate one for
       -- a message final already (out of order). Recorded, and ignored (SPEC section 5).
       INSERT INTO ignored_receipt (connection, carrier_message_id, message_id, status, carrier_status, error_code, done_at)
       SELECT x.connection, x.carrier_message_id, x.message_id, x.status, x.carrier_status, x.error_code, x.done_at
         FROM matched x
        WHERE x.message_id IS NOT NULL
          AND CASE WHEN x.status = 'TRANSMITTED' THEN x.message_status NOT IN ('ON_HOLD', 'TRANSMITTED')
                   WHEN x.segments > 1
                   THEN NOT EXISTS (SELECT 1 FROM parts p WHERE p.connection = x.connection AND p.carrier_message_id = x.carrier_message_id)
                   ELSE NOT EXISTS (SELECT 1 FROM singles s WHERE s.id = x.message_id) END
     )
     SELECT 'changed' AS what, id::text, account_id::text, status::text, kind::text, campaign_id::text, NULL::int AS position FROM singles
     UNION ALL
     SELECT DISTINCT 'part', message_id::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::int FROM matched
      WHERE segments > 1 AND status <> 'TRANSMITTED'
     UNION ALL
     SELECT 'unmatched', NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, position FROM matched WHERE message_id IS NULL`,
    JSON.stringify(receipts.map((receipt, index) => receiptRecord(receipt, index + 1))),
  );
  const changed: ChangedMessage[] = [];
  const touched: string[] = [];
  const unmatched: ReceiptRow[] = [];
  for (const row of rows) {
    if (row.what === 'unmatched') unmatched.push(receipts[(row.position ?? 0) - 1] as ReceiptRow);
    else if (row.what === 'part') touched.push(row.id as string);
    else changed.push({ id: row.id as string, account_id: row.account_id as string, status: row.status as string, kind: row.kind as string, campaign_id: row.campaign_id ?? null });
  }
  return { changed, touched, unmatched };
}

/**
 * Step 2: receipts naming one of our messages prove its submission. A message still ON_HOLD
 * without a live lease is recorded as handed over (and charged against its hold); so is a
 * cancelled campaign's message that had been claimed (in doubt when it was cancelled: its
 * receipt came after the reconciliation delay), or strict marketing refused when it was taken up
 * in doubt after its window closed: charged against its hold too, or from the balance once the
 * hold is released. Then every such receipt's part is attached to its message, unless the message is
 * ON_HOLD under a live lease (its dispatcher is about to record it, parts included).
 */
async function recordSubmissionsFromReceipts(
  tx: RawSql,
  evidence: readonly ReceiptRow[],
): Promise<{ changed: ChangedMessage[]; reservations: Map<string, string | null> }> {
  const recorded = await tx.$queryRawUnsafe<(ChangedMessage & { reservation_id: string | null; price: string; was_ended: boolean })[]>(
    `WITH e AS (
       SELECT * FROM json_to_recordset($1::json) AS e(id bigint, connection text, carrier_message_id text, submitted_at timestamptz)
     ), target AS (
       SELECT m.id, m.status FROM message m WHERE m.id IN (SELECT id FROM e)
     ), gate AS (
       -- Queued and not under a live lease, locked: a dispatcher that claimed it meanwhile (a new
       -- lease committed after this statement's snapshot) is seen here, on the latest row version,
       -- and wins; one that claims after this lock skips the row (SKIP LOCKED).
       SELECT q.message_id, q.attempts FROM dispatch_queue q
        WHERE q.message_id IN (SELECT id FROM e) AND (q.claimed_until IS NULL OR q.claimed_until < now())
          FOR UPDATE
     ), recorded AS (
       UPDATE message m
          SET status = 'TRANSMITTED', submitted_at = coalesce(d.submitted_at, now()), connection = d.connection, charged = m.price > 0,
              attempts = coalesce(g.attempts, m.attempts), final_at = NULL, error_code = NULL, carrier_status = NULL
         FROM (SELECT DISTINCT ON (id) id, connection, submitted_at FROM e ORDER BY id, submitted_at) d
         LEFT JOIN gate g ON g.message_id = d.id
        WHERE m.id = d.id
          AND ((m.status = 'ON_HOLD' AND g.message_id IS NOT NULL)
               OR ((m.status = 'CANCELLED' OR (m.status = 'NOT_ISSUED' AND m.error_code = 'OUTSIDE_SENDING_WINDOW')) AND m.attempts > 0))
       RETURNING m.id, m.account_id, m.status, m.kind, m.campaign_id, m.reservation_id, m.price
     ), attached AS (
       INSERT INTO carrier_part (connection, carrier_message_id, message_id)
       SELECT e.connection, e.carrier_message_id, e.id FROM e JOIN target t ON t.id = e.id
        WHERE t.status <> 'ON_HOLD' OR t.id IN (SELECT id FROM recorded)
       ON CONFLICT DO NOTHING
     )
     SELECT r.id::text, r.account_id::text, r.status::text, r.kind::text, r.campaign_id::text, r.reservation_id::text, r.price::text,
            t.status <> 'ON_HOLD' AS was_ended
       FROM recorded r JOIN target t ON t.id = r.id`,
    JSON.stringify(
      evidence.map((receipt) => ({ id: receipt.reference, connection: receipt.connection, carrier_message_id: receipt.carrierMessageId, submitted_at: receipt.submittedAt })),
    ),
  );
  const reservations = new Map<string, string | null>();
  if (recorded.length > 0) {
    const ended = recorded.filter((row) => row.was_ended).length;
    console.warn(
      `[dispatch] ${recorded.length} message(s) found handed over by their receipts (their submission had not been recorded)` +
        (ended > 0 ? `, ${ended} of them cancelled or refused meanwhile: recorded as sent, and charged` : ''),
    );
    // Against its hold (a cancelled campaign's may be released already: then from the balance, see applyQueued).
    await chargeHandedOver(tx, recorded.map((row) => ({ ...row, count: 1 })));
    for (const row of recorded) if (row.reservation_id) reservations.set(row.reservation_id, row.campaign_id);
  }
  return { changed: recorded.map(({ id, account_id, status, kind, campaign_id }) => ({ id, account_id, status, kind, campaign_id })), reservations };
}

/** Step 3. */
async function keepUnmatched(tx: RawSql, receipts: readonly ReceiptRow[]): Promise<void> {
  if (receipts.length === 0) return;
  await tx.$executeRawUnsafe(
    `INSERT INTO unmatched_receipt (connection, carrier_message_id, status, carrier_status, error_code, done_at, reference)
     SELECT connection, carrier_message_id, status, carrier_status, error_code, done_at, reference FROM ${RECEIPT_RECORDS} r`,
    JSON.stringify(receipts.map((receipt, index) => receiptRecord(receipt, index + 1))),
  );
}

/**
 * Step 4: the status of each message from all its parts (see `statusOfParts`): the first failed
 * part decides at once; otherwise DELIVERED when at least `segments` parts are delivered.
 */
async function settleMessageStatuses(sql: Sql, messageIds: readonly string[]): Promise<ChangedMessage[]> {
  return sql<ChangedMessage>(
    `WITH parts AS (
       SELECT p.message_id,
              count(*) FILTER (WHERE p.receipt_status = 'DELIVERED') AS delivered,
              max(p.done_at) FILTER (WHERE p.receipt_status = 'DELIVERED') AS delivered_at,
              (array_agg(p.carrier_status ORDER BY p.receipt_at DESC, p.carrier_message_id DESC) FILTER (WHERE p.receipt_status = 'DELIVERED'))[1] AS delivered_carrier_status,
              (array_agg(p.receipt_status ORDER BY p.receipt_at, p.carrier_message_id) FILTER (WHERE p.receipt_status IN ('NOT_ISSUED', 'EXPIRED')))[1] AS failed,
              (array_agg(p.carrier_status ORDER BY p.receipt_at, p.carrier_message_id) FILTER (WHERE p.receipt_status IN ('NOT_ISSUED', 'EXPIRED')))[1] AS failed_carrier_status,
              (array_agg(p.error_code ORDER BY p.receipt_at, p.carrier_message_id) FILTER (WHERE p.receipt_status IN ('NOT_ISSUED', 'EXPIRED')))[1] AS failed_error_code,
              (array_agg(p.done_at ORDER BY p.receipt_at, p.carrier_message_id) FILTER (WHERE p.receipt_status IN ('NOT_ISSUED', 'EXPIRED')))[1] AS failed_done_at
         FROM carrier_part p
        WHERE p.message_id = ANY($1::bigint[])
        GROUP BY p.message_id
     )
     UPDATE message m
        SET status = coalesce(parts.failed, 'DELIVERED'),
            final_at = coalesce(CASE WHEN parts.failed IS NULL THEN parts.delivered_at ELSE parts.failed_done_at END, now()),
            carrier_status = CASE WHEN parts.failed IS NULL THEN parts.delivered_carrier_status ELSE parts.failed_carrier_status END,
            error_code = CASE WHEN parts.failed IS NULL THEN NULL ELSE parts.failed_error_code END
       FROM parts
      WHERE m.id = parts.message_id AND m.status IN ('ON_HOLD', 'TRANSMITTED')
        AND (parts.failed IS NOT NULL OR parts.delivered >= greatest(m.segments, 1))
     RETURNING m.id::text, m.account_id::text, m.status::text, m.kind::text, m.campaign_id::text`,
    messageIds,
  );
}

/**
 * Charges messages handed to the carrier: one settlement per reservation (a RELEASE and a CHARGE
 * of the batch's total), queued in this transaction and applied right after its commit
 * (`settleQueued`, and in any case before the hold is released), or a direct charge for a priced
 * message without a hold. Free messages (the platform's own service messages) charge nothing.
 * Runs in the transaction that marks them TRANSMITTED, and only for the rows that statement
 * changed, so a message is charged once whoever records it (the dispatcher, or its receipt).
 */
export async function chargeHandedOver(
  tx: RawSql,
  rows: readonly { account_id: string; reservation_id: string | null; price: string; count: number }[],
): Promise<void> {
  const byReservation = new Map<string, { accountId: string; amount: Micros; count: number }>();
  const byAccount = new Map<string, { amount: Micros; count: number }>();
  // A row is `count` messages and their total price.
  for (const row of rows) {
    const price = parseEuros(row.price);
    if (price <= 0) continue;
    const { count } = row;
    if (row.reservation_id) {
      const entry = byReservation.get(row.reservation_id) ?? { accountId: row.account_id, amount: 0, count: 0 };
      entry.amount += price;
      entry.count += count;
      byReservation.set(row.reservation_id, entry);
    } else {
      const entry = byAccount.get(row.account_id) ?? { amount: 0, count: 0 };
      entry.amount += price;
      entry.count += count;
      byAccount.set(row.account_id, entry);
    }
  }
  const details = (count: number) => ({ reason: `${count} SMS handed to the carrier`, referenceType: 'Message', author: PLATFORM });
  // Settled on the hold after the commit (settleQueued), without holding the account row meanwhile.
  for (const [reservationId, { amount, count }] of byReservation) await queueSettlement(tx, reservationId, amount, count);
  for (const [accountId, { amount, count }] of byAccount) await chargeOrLog(tx, accountId, amount, details(count));
}

/**
 * Gives back what holds still hold once none of their messages waits any more. `reservations`
 * maps each hold to the campaign its messages belong to (null for sendMessage holds): what still
 * waits is looked up in dispatch_queue by hold for sendMessage, in the tally by campaign, and a
 * campaign's hold stays open while its messages are still being written (materialized_at null):
 * the campaign life cycle (src/jobs/campaign-lifecycle.ts) releases it once they all are and none waits.
 */
export async function closeFinishedReservations(reservations: ReadonlyMap<string, string | null>): Promise<void> {
  if (reservations.size === 0) return;
  const ids = [...reservations.keys()];
  const { rows } = await pool.query<{ id: string }>(
    `SELECT r.id::text FROM credit_reservation r
       JOIN unnest($1::uuid[], $2::uuid[]) AS t(id, campaign_id) ON t.id = r.id
      WHERE r.state = 'OPEN'
        AND CASE WHEN t.campaign_id IS NULL
                 THEN NOT EXISTS (SELECT 1 FROM dispatch_queue q WHERE q.reservation_id = r.id AND q.campaign_id IS NULL)
                 ELSE NOT ${campaignMessagesWait('t.campaign_id')}
            END`,
    [ids, ids.map((id) => reservations.get(id) ?? null)],
  );
  for (const { id } of rows) {
    const campaignId = reservations.get(id) ?? null;
    if (campaignId === null) {
      await releaseReservation(prisma, id, { reason: 'Messages sent; unused hold returned', author: PLATFORM });
      continue;
    }
    // Rarely reached (once per finished hold). A campaign's last chunk of messages may commit
    // after the check above: the campaign row is locked first (its writer holds that lock while
    // it writes a chunk), then "all written and none waiting" is decided again, in one transaction.
    await prisma.$transaction(async (tx) => {
      const written = await tx.$queryRaw<unknown[]>`
        SELECT 1 FROM campaign WHERE id = ${campaignId}::uuid AND reservation_id = ${id}::uuid AND materialized_at IS NOT NULL FOR SHARE`;
      if (written.length === 0) return;
      const [{ waiting }] = await tx.$queryRawUnsafe<[{ waiting: boolean }]>(`SELECT ${campaignMessagesWait('$1::uuid')} AS waiting`, campaignId);
      if (!waiting) await releaseReservation(tx, id, { reason: 'Messages sent; unused hold returned', author: PLATFORM });
    });
  }
}

/**
 * sendMessage holds (not a campaign's) none of whose messages waits any more, still open a
 * minute after they were taken: the close that follows each record runs after its commit, so a
 * process that died in between, or a close that failed, left them open (the credit held, and a
 * sub-account that cannot be deleted). Closed here, by every dispatcher now and then.
 */
export async function closeAbandonedMessageHolds(): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT r.id::text FROM credit_reservation r
      WHERE r.state = 'OPEN' AND r.created_at < localtimestamp - interval '1 minute' AND r.reference_type = 'Message'
        AND NOT EXISTS (SELECT 1 FROM dispatch_queue q WHERE q.reservation_id = r.id AND q.campaign_id IS NULL)
      ORDER BY r.created_at LIMIT 100`,
  );
  if (rows.length === 0) return 0;
  await closeFinishedReservations(new Map(rows.map(({ id }) => [id, null])));
  return rows.length;
}

/**
 * Receipts that waited: for a message whose lease has since run out (its dispatcher died before
 * recording it) or that left ON_HOLD, they are applied as evidence or as receipts; so is a
 * receipt whose part was recorded by a transaction that committed just after the receipt's
 * (each could not see the other). Run by every dispatcher every few seconds, well inside
 * DISPATCH_RECONCILE_SECONDS, so that evidence always comes before a message is sent again.
 */
export async function reconcileInDoubtMessages(minimumAgeSeconds = 2): Promise<number> {
  const applied = await withIndexPlans(async (tx) => {
    // Receipts younger than a few seconds are normally taken by the record they raced; OR-ed
    // EXISTS stay per-row index probes (the message table is large).
    const rows = await tx.$queryRawUnsafe<StoredReceipt[]>(
      `DELETE FROM unmatched_receipt u
        WHERE u.id IN (
          SELECT w.id FROM unmatched_receipt w
           WHERE w.received_at < now() - make_interval(secs => $1::float8)
             AND (EXISTS (SELECT 1 FROM carrier_part p WHERE p.connection = w.connection AND p.carrier_message_id = w.carrier_message_id)
                  OR EXISTS (SELECT 1 FROM message m WHERE m.id = w.reference
                                AND (m.status <> 'ON_HOLD'
                                     OR NOT EXISTS (SELECT 1 FROM dispatch_queue q WHERE q.message_id = m.id AND q.claimed_until >= now()))))
           ORDER BY w.id LIMIT 5000)
       RETURNING ${STORED_RECEIPT_COLUMNS}`,
      minimumAgeSeconds,
    );
    return applyReceipts(tx, rows.map(receiptRowOfStored));
  });
  await afterReceipts(applied);
  return applied.changed.length;
}

/** Receipts that arrived before these parts were recorded: applied in the transaction that records them. */
export async function applyUnmatchedReceipts(tx: RawSql, parts: readonly { connection: string; carrierMessageId: string }[]): Promise<ReceiptsApplied> {
  if (parts.length === 0) return { changed: [], reservations: new Map() };
  const rows = await tx.$queryRawUnsafe<StoredReceipt[]>(
    // Usually nothing waits there: one look at the table, not a lookup per part (the EXISTS is
    // computed once and gates the join).
    `DELETE FROM unmatched_receipt u USING json_to_recordset($1::json) AS k(connection text, carrier_message_id text)
      WHERE EXISTS (SELECT 1 FROM unmatched_receipt) AND u.connection = k.connection AND u.carrier_message_id = k.carrier_message_id
     RETURNING ${STORED_RECEIPT_COLUMNS}`,
    JSON.stringify(parts.map((part) => ({ connection: part.connection, carrier_message_id: part.carrierMessageId }))),
  );
  return applyReceipts(tx, rows.map(receiptRowOfStored));
}

interface StoredReceipt {
  connection: string;
  carrier_message_id: string;
  status: MessageStatus;
  carrier_status: string;
  error_code: string | null;
  done_at: Date | null;
  reference: string | null;
}

// done_at with its time zone: pg reads a timestamp without one in the process' local time, Prisma in UTC.
const STORED_RECEIPT_COLUMNS = `u.connection, u.carrier_message_id, u.status::text AS status, u.carrier_status, u.error_code,
  u.done_at AT TIME ZONE 'UTC' AS done_at, u.reference::text AS reference`;

function receiptRowOfStored(row: StoredReceipt): ReceiptRow {
  return {
    connection: row.connection,
    carrierMessageId: row.carrier_message_id,
    status: row.status,
    carrierStatus: row.carrier_status,
    errorCode: row.error_code,
    doneAt: row.done_at,
    submittedAt: null,
    reference: row.reference,
  };
}

/** Live events for status changes (after commit). The platform's own service messages are not the account's: no event. */
export function publishStatusChanges(rows: readonly ChangedMessage[]): void {
  for (const event of statusEventsOf(rows)) publishEvent('messageStatusesChanged', event.accountId, event);
}

/**
 * The `messageStatusesChanged` events for these changes: one per account, campaign and status
 * (split to stay well under a notification's 8000 bytes), those handed over first. Within one
 * call a message may appear twice (recorded from its receipt, then the receipt's status), and
 * its subscribers must see the two in that order. Exported for the unit test.
 */
export function statusEventsOf(rows: readonly ChangedMessage[]): EventPayloads['messageStatusesChanged'][] {
  const groups = new Map<string, { event: EventPayloads['messageStatusesChanged']; bytes: number }[]>();
  for (const row of rows) {
    if (row.kind === 'SERVICE') continue;
    const key = `${row.account_id} ${row.campaign_id ?? ''} ${row.status}`;
    let events = groups.get(key);
    if (!events) groups.set(key, (events = []));
    let last = events.at(-1);
    if (!last || last.bytes + row.id.length + 3 > STATUS_EVENT_ID_BYTES) {
      last = { event: { accountId: row.account_id, campaignId: row.campaign_id, status: row.status, messageIds: [] }, bytes: 0 };
      events.push(last);
    }
    last.event.messageIds.push(row.id);
    last.bytes += row.id.length + 3;
  }
  const all = [...groups.values()].flat().map(({ event }) => event);
  return [...all.filter((event) => event.status === 'TRANSMITTED'), ...all.filter((event) => event.status !== 'TRANSMITTED')];
}

/** The bytes of message ids (quoted, with commas) one `messageStatusesChanged` event carries at most. */
const STATUS_EVENT_ID_BYTES = 6000;

/** How long receipts that changed nothing (duplicates, late ones) are kept. */
const IGNORED_RECEIPT_RETENTION_DAYS = 30;

/**
 * Ends what the carrier never answered: TRANSMITTED for RECEIPT_DEADLINE_HOURS becomes
 * EXPIRED; receipts unmatched for an hour are for nobody we know, logged (per connection, with
 * examples) and dropped; ignored receipts older than their retention go. The
 * messages handed over are listed by batch in `awaiting_receipt` (a trigger on message writes
 * one row per statement that hands messages over), so no index on message follows its status.
 */
export async function expireStaleMessages(deadlineHours: number): Promise<{ expired: number; droppedReceipts: number }> {
  let expired = 0;
  for (;;) {
    // A hundred batches at a time, each taken once (deleted with the update of its messages).
    const { rows: due } = await pool.query<{ id: string }>(
      `SELECT id::text FROM awaiting_receipt WHERE submitted_at < now() - make_interval(hours => $1::int) ORDER BY id LIMIT 100`,
      [deadlineHours],
    );
    if (due.length === 0) break;
    const { rows } = await pool.query<ChangedMessage>(
      `WITH taken AS (DELETE FROM awaiting_receipt WHERE id = ANY($1::bigint[]) RETURNING message_ids)
       UPDATE message m SET status = 'EXPIRED', final_at = now(), carrier_status = 'NO_RECEIPT'
        WHERE m.id IN (SELECT unnest(message_ids) FROM taken) AND m.status = 'TRANSMITTED'
       RETURNING m.id::text, m.account_id::text, m.status::text, m.kind::text, m.campaign_id::text`,
      [due.map((row) => row.id)],
    );
    publishStatusChanges(rows);
    expired += rows.length;
  }
  const { rows: dropped } = await pool.query<{ connection: string; n: number; examples: string[] }>(
    `WITH dropped AS (DELETE FROM unmatched_receipt WHERE received_at < now() - interval '1 hour' RETURNING connection, carrier_message_id)
     SELECT connection, count(*)::int AS n, (array_agg(carrier_message_id ORDER BY carrier_message_id))[1:5] AS examples FROM dropped GROUP BY connection`,
  );
  for (const { connection, n, examples } of dropped) {
    console.warn(`[receipts] ${connection}: dropped ${n} receipt(s) for carrier ids we never sent, unmatched for an hour (e.g. ${examples.join(', ')})`);
  }
  await pool.query(`DELETE FROM ignored_receipt WHERE received_at < now() - make_interval(days => $1::int)`, [IGNORED_RECEIPT_RETENTION_DAYS]);
  return { expired, droppedReceipts: dropped.reduce((sum, row) => sum + row.n, 0) };
}
