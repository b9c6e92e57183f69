import { prisma, type Transaction } from '../../db/client.js';
import type { RawSql } from '../../db/raw-sql.js';
import { Prisma } from '../../generated/prisma/client.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { authorOf, availableCredit, insufficientCredit, reserveCredit } from '../credit/ledger.js';
import { ValidationError, type FieldProblem } from '../errors.js';
import { withIdempotency } from '../idempotency.js';
import { publishEvent } from '../../events/bus.js';
import { formatEuros } from '../messaging/prices.js';
import { previewMessage, type MessagePreview } from '../messaging/message-preview.js';
import { loadSendingProfile } from '../messaging/sending-profile.js';
import type { MessageType } from '../messaging/sending-windows.js';

/** "One message to one or a few numbers": beyond this, a campaign is the tool. */
export const MAX_SEND_MESSAGE_NUMBERS = 100;

export interface SendMessageInput {
  to: readonly string[];
  text: string;
  sender: string;
  /** Transactional by default (SPEC section 21). */
  type?: MessageType | null;
  defaultCountry?: string | null;
  smartEncoding?: boolean | null;
  /** Refuse rather than hold a marketing message outside the sending window. */
  strictTiming?: boolean | null;
  idempotencyKey?: string | null;
  /** Two-way (issue 7): the recipient may answer; the sender must be a short code or number, and the two-way surcharge applies. */
  twoWay?: boolean | null;
  /**
   * Everything checked and priced as for a send (the balance too), nothing reserved, written or
   * sent (SPEC section 3). An idempotency key is not used by a simulation.
   */
  simulation?: boolean | null;
}

/** How another operation sends through this pipeline (conversations, issue 7). */
export interface QueueMessagesOptions {
  /** The idempotency operation name (default `sendMessage`). */
  operation?: string;
  /** Runs in the sending transaction after the rows are written: the caller's own writes commit with them. */
  inTransaction?: (tx: Transaction, sent: SentMessages) => Promise<void>;
}

// A type, not an interface: it is also the JSON an idempotency key keeps.
export type SentMessages = {
  /** Database ids of the messages, in the order of `to`. */
  messageIds: string[];
  /** Decimal euros reserved now and charged as each message is handed to the carrier. */
  reserved: string;
};

/** What `sendMessage` answers: the messages sent, or for a simulation none and the preview they were checked with. */
export type SendMessageResult = SentMessages & { simulated: boolean; preview: MessagePreview | null };

/**
 * Validates and prices the messages exactly as `messagePreview` does, reserves their cost
 * (refused with the amount missing when the balance cannot cover it), and queues them on the
 * transactional lane; the dispatcher hands them to the carrier at once. The hold and the messages
 * are one statement, run in one transaction with the idempotency key (or the caller's writes)
 * when there is one: everything is written, or nothing is. A marketing message to a blacklisted
 * number is recorded as BLACKLISTED and never sent or charged.
 */
export async function sendMessage(actor: Actor, input: SendMessageInput, now = new Date()): Promise<SendMessageResult> {
  requirePermission(actor, 'messages:send');
  return queueMessages(actor, input, {}, now);
}

/** `sendMessage` without its permission check: for callers that checked their own right. */
export async function queueMessages(actor: Actor, input: SendMessageInput, queueOptions: QueueMessagesOptions, now = new Date()): Promise<SendMessageResult> {
  const type = input.type ?? 'TRANSACTIONAL';
  const problems: FieldProblem[] = [];
  if (input.to.length === 0) problems.push({ field: 'to', message: 'give at least one number' });
  if (input.to.length > MAX_SEND_MESSAGE_NUMBERS) {
    problems.push({ field: 'to', message: `at most ${MAX_SEND_MESSAGE_NUMBERS} numbers per call (${input.to.length} given); use a campaign` });
  }
  if (problems.length > 0) throw new ValidationError(problems);

  const profile = await loadSendingProfile(actor.accountId);
  const preview = previewMessage({
    text: input.text,
    type,
    sender: input.sender,
    options: { smartEncoding: input.smartEncoding === true, strictTiming: input.strictTiming === true, twoWay: input.twoWay === true },
    account: profile,
    recipients: input.to,
    defaultCountry: input.defaultCountry?.trim().toUpperCase() || profile.country,
    priceList: profile.priceList,
    rules: profile.sendingRules,
    now,
  });
  // Unlike a preview, a send refuses the whole request when anything is wrong.
  const refused = preview.problems.filter((problem) => problem.code !== 'OUTSIDE_SENDING_WINDOW' || input.strictTiming === true);
  if (refused.length > 0) {
    throw new ValidationError(
      refused.map((problem) => ({
        field: problem.field === 'recipients' ? 'to' : (problem.field ?? 'text'),
        message: problem.number ? `${problem.number}: ${problem.message}` : problem.message,
      })),
    );
  }

  const numbers = preview.recipients.map((recipient) => recipient.e164 as string);
  const blacklisted =
    type === 'MARKETING'
      ? new Set(
          (await prisma.blacklistEntry.findMany({ where: { accountId: actor.accountId, number: { in: numbers } }, select: { number: true } })).map(
            (entry) => entry.number,
          ),
        )
      : new Set<string>();
  const rows = preview.recipients.map((recipient) => ({
    recipient: recipient.e164 as string,
    country: recipient.country,
    text: recipient.text as string,
    segments: recipient.segments,
    price: recipient.cost,
    sendAfter: recipient.sendAt ?? now,
    blacklisted: blacklisted.has(recipient.e164 as string),
  }));
  const toReserve = rows.reduce((sum, row) => sum + (row.blacklisted ? 0 : row.price), 0);

  const reserved = formatEuros(toReserve, { trim: true, minDecimals: 0 });
  if (input.simulation === true) {
    // Refused as the send's hold would be, with the amount missing.
    const available = await availableCredit(prisma, actor.accountId);
    if (toReserve > available) throw insufficientCredit(toReserve, available);
    return { messageIds: [], reserved, simulated: true, preview };
  }
  const sender = preview.sender?.value ?? input.sender;
  // The rows, written only when `gate` holds (the hold is taken), ids in the order of `to`.
  const insertRows = (reservationId: string | null, gate: Prisma.Sql) => Prisma.sql`
    INSERT INTO message (account_id, kind, priority, strict_timing, sender, recipient, country, text, segments, price, reservation_id, status, send_after, final_at)
    SELECT ${actor.accountId}::uuid, ${type}::"MessageKind", ${type === 'TRANSACTIONAL' ? 0 : 1}::smallint, ${type === 'MARKETING' && input.strictTiming === true}, ${sender},
           r.recipient, r.country, r.text, r.segments, r.price::numeric, ${reservationId}::uuid,
           CASE WHEN r.blacklisted THEN 'BLACKLISTED' ELSE 'ON_HOLD' END::"MessageStatus", r.send_after,
           CASE WHEN r.blacklisted THEN now() END
      FROM unnest(${rows.map((row) => row.recipient)}::text[], ${rows.map((row) => row.country)}::text[], ${rows.map((row) => row.text)}::text[],
                  ${rows.map((row) => row.segments)}::int[], ${rows.map((row) => formatEuros(row.price))}::text[],
                  ${rows.map((row) => row.sendAfter.toISOString())}::timestamptz[], ${rows.map((row) => row.blacklisted)}::boolean[])
           WITH ORDINALITY AS r(recipient, country, text, segments, price, send_after, blacklisted, position)
     ${gate}
     ORDER BY r.position
    RETURNING id`;
  // Ids are drawn in insertion order, which follows `to`.
  const idsOf = Prisma.sql`SELECT array_agg(id::text ORDER BY id) FROM sent`;
  /** The hold, its ledger entry and the messages: one statement. */
  const write = async (db: RawSql): Promise<SentMessages> => {
    if (toReserve > 0) {
      const hold = await reserveCredit(db, actor.accountId, toReserve, { reason: `SMS to ${rows.length} number(s)`, referenceType: 'Message', author: authorOf(actor) }, (holdId) => ({
        ctes: Prisma.sql`, sent AS (${insertRows(holdId, Prisma.sql`WHERE EXISTS (SELECT 1 FROM debited)`)})`,
        result: idsOf,
      }));
      return { messageIds: hold.paidFor as string[], reserved };
    }
    const [written] = await db.$queryRaw<{ ids: string[] }[]>`WITH sent AS (${insertRows(null, Prisma.empty)}) SELECT (${idsOf}) AS ids`;
    return { messageIds: written!.ids, reserved };
  };

  const { inTransaction } = queueOptions;
  // A transaction only when something else must commit with the messages (an idempotency key,
  // the caller's writes); otherwise the one statement commits by itself, one round trip to the
  // database instead of four (begin, hold, messages, commit) on the transactional lane's path.
  const sent =
    (input.idempotencyKey !== null && input.idempotencyKey !== undefined) || inTransaction
      ? await withIdempotency(
          {
            accountId: actor.accountId,
            key: input.idempotencyKey,
            operation: queueOptions.operation ?? 'sendMessage',
            // Every input that changes what is sent (options only when set: keys stored before them still match).
            input: {
              to: [...input.to],
              text: input.text,
              sender: input.sender,
              type,
              defaultCountry: input.defaultCountry ?? null,
              ...(input.twoWay === true ? { twoWay: true } : {}),
              ...(input.smartEncoding === true ? { smartEncoding: true } : {}),
              ...(input.strictTiming === true ? { strictTiming: true } : {}),
            },
          },
          async (tx) => {
            const result = await write(tx);
            await inTransaction?.(tx, result);
            return result;
          },
        )
      : await write(prisma);
  // After commit: every dispatcher, in whichever process, claims the new messages now.
  publishEvent('dispatchRequested', 'platform', { accountId: 'platform' });
  return { ...sent, simulated: false, preview: null };
}

