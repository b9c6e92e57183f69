/**
 * Inbound SMS (replies) into conversations, a carrier batch at a time, in one transaction of a
 * few set-based statements:
 *
 * 1. Routing. A reply to a number an account owns (a dedicated short code, a virtual number)
 *    goes to that account. A reply to a shared short code goes to the account that last handed
 *    a message for that number to the carrier through that short code, within
 *    SHORT_CODE_REPLY_ROUTING_DAYS and not after the reply arrived (the index on message
 *    (recipient, sender, id) narrows the rows; ordered by submission time, since a message
 *    created earlier may leave later: scheduled, retried): when several accounts wrote to the
 *    number through the same short code, the last one gets the reply. Anything else is kept with no account
 *    (`inbound_message.account_id` null) and logged; platform operators list such replies and
 *    hand them to an account (unrouted.ts).
 * 2. Every inbound SMS is stored; routed ones land in the conversation of (account, platform
 *    number, contact number), created or reopened as needed, with its unread count raised.
 * 3. A STOP-type reply (see messaging/opt-out.ts) blacklists the number for that account
 *    (source STOP_REPLY) in the same transaction: the dispatcher checks the blacklist when it
 *    claims marketing messages, so nothing more goes out from the next claim on. The reply stays
 *    in the conversation, flagged.
 * 4. Conversations left waiting are handed to agents when the account assigns automatically.
 * Live events (`messageReceived`, `conversationUpdated`) follow the commit.
 */
import { config } from '../../config.js';
import { prisma, type Transaction } from '../../db/client.js';
import type { InboundPart, InboundSms } from '../../gateways/carriers/carrier.js';
import { isOptOutReply } from '../messaging/opt-out.js';
import { isE164, normaliseInboundAddress } from '../numbers/inbound-addresses.js';
import { isShortCode } from '../numbers/short-codes.js';
import { assignWaitingConversations, publishAssignments, type Assignment } from './assignment.js';
import { publishConversationUpdates, publishMessagesReceived } from './conversation-events.js';
import { assembleInboundParts, overdueInboundSets, takeOverdueInboundParts } from './inbound-parts.js';

export interface ReceivedMessage {
  id: string;
  /** Null when unrouted. */
  accountId: string | null;
  conversationId: string | null;
  from: string;
  to: string;
  text: string;
  optOut: boolean;
  receivedAt: Date;
}

interface StoredRow {
  id: string;
  account_id: string | null;
  from_number: string;
  to_number: string;
  text: string;
  opt_out: boolean;
  received_at: Date;
}

interface ConversationRow {
  id: string;
  account_id: string;
  platform_number: string;
  contact_number: string;
  assigned_user_id: string | null;
}

const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

/**
 * The end of `INSERT INTO conversation ... SELECT` for replies: a reply opens the conversation
 * of (account, platform number, contact number) or reopens it, counts as unread, and leaves it
 * waiting for an agent when nobody has it.
 */
export const REOPEN_CONVERSATION = `ON CONFLICT (account_id, platform_number, contact_number) DO UPDATE
          SET unread_count = conversation.unread_count + EXCLUDED.unread_count,
              last_message_at = greatest(conversation.last_message_at, EXCLUDED.last_message_at),
              status = 'OPEN',
              opened_at = CASE WHEN conversation.status = 'CLOSED' THEN now() ELSE conversation.opened_at END,
              closed_at = NULL,
              waiting_since = CASE WHEN conversation.assigned_user_id IS NULL THEN coalesce(conversation.waiting_since, EXCLUDED.waiting_since) END
       RETURNING id, account_id, platform_number, contact_number, assigned_user_id`;

/**
 * Stores a carrier batch's replies: those that came in one part, and the parts of longer ones,
 * kept until their set is complete (inbound-parts.ts); a set completed here is stored as its
 * message in the same transaction.
 */
export async function receiveInboundMessages(inbound: readonly InboundSms[], parts: readonly InboundPart[] = []): Promise<ReceivedMessage[]> {
  if (inbound.length === 0 && parts.length === 0) return [];
  return receive(async (tx) => [...inbound, ...(await assembleInboundParts(tx, parts))]);
}

/**
 * Hands over, incomplete, the long replies whose parts stopped coming more than `timeoutSeconds`
 * ago (INBOUND_PARTS_TIMEOUT_SECONDS): every worker sweeps for them (jobs/inbound-sweep.ts).
 */
export async function receiveOverdueInboundParts(timeoutSeconds: number): Promise<ReceivedMessage[]> {
  const keys = await overdueInboundSets(prisma, timeoutSeconds);
  if (keys.length === 0) return [];
  return receive(async (tx) => {
    const overdue = await takeOverdueInboundParts(tx, keys, timeoutSeconds);
    for (const sms of overdue) console.warn(`[inbound] ${sms.connection}: a reply from ${sms.from} in ${sms.parts} parts is incomplete after ${timeoutSeconds} s; stored with the parts that came`);
    return overdue;
  });
}

async function receive(collect: (tx: Transaction) => Promise<InboundSms[]>): Promise<ReceivedMessage[]> {
  const { received, conversations, handedOut } = await prisma.$transaction(async (tx) => storeInbound(tx, await collect(tx)), TRANSACTION_OPTIONS);

  for (const message of received) {
    if (message.accountId === null) console.warn(`[inbound] unrouted SMS ${message.id} from ${message.from} to ${message.to}: no account sent to this number through it recently`);
  }
  const assignedTo = new Map(conversations.map((conversation) => [conversation.id, conversation.assigned_user_id]));
  publishMessagesReceived(
    received.flatMap((message) =>
      message.accountId !== null && message.conversationId !== null
        ? [
            {
              accountId: message.accountId,
              conversationId: message.conversationId,
              inboundMessageId: message.id,
              assignedUserId: assignedTo.get(message.conversationId) ?? null,
              text: message.text,
              optOut: message.optOut,
              receivedAt: message.receivedAt,
            },
          ]
        : [],
    ),
  );
  publishConversationUpdates(
    conversations.map((conversation) => ({
      accountId: conversation.account_id,
      conversationId: conversation.id,
      change: 'MESSAGE_RECEIVED' as const,
      assignedUserId: conversation.assigned_user_id,
      previousAssignedUserId: null,
    })),
  );
  publishAssignments(handedOut);
  return received;
}

async function storeInbound(
  tx: Transaction,
  inbound: readonly InboundSms[],
): Promise<{ received: ReceivedMessage[]; conversations: ConversationRow[]; handedOut: Assignment[] }> {
  if (inbound.length === 0) return { received: [], conversations: [], handedOut: [] };
  const shared = config.twoWay.sharedShortCodes;
  const rows = inbound.map((sms) => {
    const to = normaliseInboundAddress(sms.to);
    const codeCountry = isShortCode(to) ? (shared.find((entry) => entry.code === to)?.country ?? null) : null;
    const from = normaliseInboundAddress(sms.from, codeCountry);
    return {
      connection: sms.connection,
      from,
      to,
      text: sms.text,
      parts: sms.parts,
      complete: sms.complete,
      // Only a whole reply is an opt-out: a STOP whose parts did not all arrive is not a STOP.
      optOut: sms.complete && isOptOutReply(sms.text),
      receivedAt: sms.receivedAt,
      shared: codeCountry !== null,
      routable: isE164(from),
    };
  });

  // One statement: route each reply, open or update its conversation (one row per conversation:
  // a statement may not upsert a row twice), store the replies with their conversation, and
  // blacklist the numbers that said STOP. Rows come back replies first, in arrival order (ids
  // grow with it), then conversations.
  const result = await tx.$queryRawUnsafe<(StoredRow & { kind: 'reply' | 'conversation'; conversation_id: string | null } & Partial<ConversationRow>)[]>(
    `WITH i AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::boolean[], $7::boolean[], $8::timestamptz[], $9::boolean[], $10::boolean[])
         WITH ORDINALITY AS i(connection, from_number, to_number, text, parts, complete, opt_out, received_at, shared, routable, position)
     ), routed AS (
       SELECT i.*, CASE WHEN i.routable THEN coalesce(owned.account_id, last_sender.account_id) END AS account_id
         FROM i
         LEFT JOIN account_number owned ON owned.number = i.to_number
         LEFT JOIN LATERAL (
           SELECT m.account_id FROM message m
            WHERE i.shared AND i.routable AND m.recipient = i.from_number AND m.sender = i.to_number
              AND m.submitted_at > i.received_at - make_interval(days => $11::int) AND m.submitted_at <= i.received_at
              AND m.kind <> 'SERVICE'
            ORDER BY m.submitted_at DESC, m.id DESC
            LIMIT 1
         ) last_sender ON true
     ), conversations AS (
       INSERT INTO conversation (id, account_id, platform_number, contact_number, status, unread_count, last_message_at, waiting_since, opened_at)
       SELECT uuidv7(), account_id, to_number, from_number, 'OPEN', count(*)::int, max(received_at), max(received_at), now()
         FROM routed WHERE account_id IS NOT NULL
        GROUP BY account_id, to_number, from_number
       ${REOPEN_CONVERSATION}
     ), stored AS (
       INSERT INTO inbound_message (account_id, conversation_id, connection, from_number, to_number, text, parts, complete, opt_out, received_at)
       SELECT r.account_id, c.id, r.connection, r.from_number, r.to_number, r.text, r.parts, r.complete, r.opt_out AND r.account_id IS NOT NULL, r.received_at
         FROM routed r
         LEFT JOIN conversations c ON c.account_id = r.account_id AND c.platform_number = r.to_number AND c.contact_number = r.from_number
        ORDER BY r.position
       RETURNING id, account_id, conversation_id, from_number, to_number, text, opt_out, received_at
     ), blacklisted AS (
       INSERT INTO blacklist_entry (id, account_id, number, reason, source)
       SELECT uuidv7(), account_id, from_number, 'STOP reply to ' || min(to_number), 'STOP_REPLY'
         FROM stored WHERE opt_out
        GROUP BY account_id, from_number
       ON CONFLICT (account_id, number) DO NOTHING
     )
     SELECT 'reply' AS kind, id::text, account_id::text, conversation_id::text, from_number, to_number, text, opt_out, received_at,
            NULL AS platform_number, NULL AS contact_number, NULL AS assigned_user_id
       FROM stored
     UNION ALL
     SELECT 'conversation', id::text, account_id::text, NULL, NULL, NULL, NULL, NULL, NULL, platform_number, contact_number, assigned_user_id::text
       FROM conversations`,
    rows.map((row) => row.connection),
    rows.map((row) => row.from),
    rows.map((row) => row.to),
    rows.map((row) => row.text),
    rows.map((row) => row.parts),
    rows.map((row) => row.complete),
    rows.map((row) => row.optOut),
    rows.map((row) => row.receivedAt),
    rows.map((row) => row.shared),
    rows.map((row) => row.routable),
    config.twoWay.replyRoutingDays,
  );
  const stored = result.filter((row) => row.kind === 'reply').sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  const conversations: ConversationRow[] = result
    .filter((row) => row.kind === 'conversation')
    .map((row) => ({
      id: row.id,
      account_id: row.account_id as string,
      platform_number: row.platform_number as string,
      contact_number: row.contact_number as string,
      assigned_user_id: row.assigned_user_id ?? null,
    }));
  if (conversations.length === 0) return { received: stored.map((row) => receivedOf(row, null)), conversations: [], handedOut: [] };

  const handedOut = await assignWaitingConversations(tx, [...new Set(conversations.filter((row) => row.assigned_user_id === null).map((row) => row.account_id))]);
  for (const assignment of handedOut) {
    const conversation = conversations.find((row) => row.id === assignment.conversationId);
    if (conversation) conversation.assigned_user_id = assignment.userId;
  }
  return {
    received: stored.map((row) => receivedOf(row, row.conversation_id)),
    conversations,
    // Conversations of this batch are announced with their agent already; others handed out now are announced apart.
    handedOut: handedOut.filter((assignment) => !conversations.some((row) => row.id === assignment.conversationId)),
  };
}

function receivedOf(row: StoredRow, conversationId: string | null): ReceivedMessage {
  return {
    id: row.id,
    accountId: row.account_id,
    conversationId,
    from: row.from_number,
    to: row.to_number,
    text: row.text,
    optOut: row.opt_out,
    receivedAt: row.received_at,
  };
}
