/**
 * Conversations (SPEC section 8): one thread per (account, platform number, contact number).
 *
 * Outbound messages are the account's `message` rows from the platform number to the contact
 * (replies, and two-way campaign or sendMessage messages alike), found by the index on
 * (recipient, sender, ...); inbound ones are `inbound_message` rows of the conversation.
 * Agents write through the normal sending pipeline (`queueMessages`: pricing, credit
 * reservation, transactional lane, idempotency) with the platform number as sender and the
 * two-way surcharge; the conversation changes in the same transaction as the message rows.
 *
 * Rights: `conversations:reply` starts, answers and closes; an agent only touches conversations
 * they may see (visibility.ts). Open conversations count against the plan (`openConversations`):
 * starting or reopening one is refused beyond it; a customer's reply is never refused, so inbound
 * SMS may reopen conversations past the limit.
 */
import { prisma, type Transaction } from '../../db/client.js';
import { isUuid } from '../../db/uuid7.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { queueMessages } from '../messages/send-message.js';
import { loadSendingProfile } from '../messaging/sending-profile.js';
import { sharedShortCodeFor } from '../numbers/short-codes.js';
import { config } from '../../config.js';
import { parsePhone } from '../phone.js';
import { ensureWithinLimit, lockAccount } from '../plans.js';
import { assignWaitingConversations, publishAssignments, type Assignment } from './assignment.js';
import { ConversationClosedError } from './conversation-errors.js';
import { publishConversationUpdates } from './conversation-events.js';
import { maySeeConversation, visibleConversations } from './visibility.js';

export interface StartConversationInput {
  /** A number (national format read in the account's country) ... */
  to?: string | null;
  /** ... or one of the account's contacts. */
  contactId?: string | null;
  /** The short code or virtual number to talk from; default: the shared short code of the contact's country. */
  platformNumber?: string | null;
  text: string;
  idempotencyKey?: string | null;
}

export interface ConversationMessageSent {
  conversationId: string;
  messageId: string;
  reserved: string;
}

/** Opens (or reopens) the conversation with a number and sends its first message. */
export async function startConversation(actor: Actor, input: StartConversationInput): Promise<ConversationMessageSent> {
  requirePermission(actor, 'conversations:reply');
  const profile = await loadSendingProfile(actor.accountId);
  const contactNumber = await contactNumberOf(actor, input);
  const parsed = parsePhone(contactNumber);
  const country = parsed.ok ? parsed.phone.country : null;
  const platformNumber = input.platformNumber?.trim() || sharedShortCodeFor(country, config.twoWay.sharedShortCodes) || profile.virtualNumbers[0];
  if (!platformNumber) {
    throw ValidationError.single('platformNumber', `no shared short code serves ${country ?? contactNumber}: give one of the account's numbers`);
  }
  let previousAssignee: string | null = null;
  let handedOut: Assignment[] = [];
  const sent = await queueMessages(
    actor,
    { to: [contactNumber], text: input.text, sender: platformNumber, type: 'TRANSACTIONAL', twoWay: true, idempotencyKey: input.idempotencyKey },
    {
      operation: 'startConversation',
      inTransaction: async (tx, queued) => {
        const id = await openConversation(tx, actor, queued.messageIds[0] as string);
        previousAssignee = id.previousAssignee;
        // Started by an API key (no member to take it): it waits, and the account's automatic
        // assignment hands it out like a new reply's conversation.
        if (actor.userId === null) handedOut = await assignWaitingConversations(tx, [actor.accountId]);
      },
    },
  );
  const conversation = await conversationOfMessage(actor.accountId, sent.messageIds[0] as string);
  publishConversationUpdates([
    { accountId: actor.accountId, conversationId: conversation.id, change: 'STARTED', assignedUserId: conversation.assignedUserId, previousAssignedUserId: previousAssignee },
  ]);
  publishAssignments(handedOut.filter((assignment) => assignment.conversationId !== conversation.id));
  return { conversationId: conversation.id, messageId: sent.messageIds[0] as string, reserved: sent.reserved };
}

/**
 * In the sending transaction: the conversation of the message just written, created or reopened
 * within the plan's open conversations, assigned to the member who starts it when nobody has it.
 */
async function openConversation(tx: Transaction, actor: Actor, messageId: string): Promise<{ previousAssignee: string | null }> {
  const plan = await lockAccount(tx, actor.accountId);
  // The sender as validated (a virtual number in E.164), as the message carries it.
  const [message] = await tx.$queryRaw<{ sender: string; recipient: string }[]>`SELECT sender, recipient FROM message WHERE id = ${BigInt(messageId)}`;
  if (!message) throw new Error(`message ${messageId} vanished in its own transaction`);
  const [existing] = await tx.$queryRaw<{ id: string; status: string; assigned_user_id: string | null }[]>`
    SELECT id::text, status::text, assigned_user_id::text FROM conversation
     WHERE account_id = ${actor.accountId}::uuid AND platform_number = ${message.sender} AND contact_number = ${message.recipient}
     FOR UPDATE`;
  if (existing && !maySeeConversation(actor, { accountId: actor.accountId, assignedUserId: existing.assigned_user_id })) {
    throw ValidationError.single('to', 'another agent already has the conversation with this number');
  }
  if (!existing || existing.status === 'CLOSED') {
    const [open] = await tx.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM conversation WHERE account_id = ${actor.accountId}::uuid AND status = 'OPEN'`;
    await ensureWithinLimit(tx, plan, 'openConversations', open?.count ?? 0);
  }
  await tx.$executeRaw`
    INSERT INTO conversation (id, account_id, platform_number, contact_number, status, assigned_user_id, last_message_at, opened_at, waiting_since)
    VALUES (uuidv7(), ${actor.accountId}::uuid, ${message.sender}, ${message.recipient}, 'OPEN', ${actor.userId}::uuid, now(), now(),
            CASE WHEN ${actor.userId}::uuid IS NULL THEN now() END)
    ON CONFLICT (account_id, platform_number, contact_number) DO UPDATE
       SET status = 'OPEN', closed_at = NULL, last_message_at = now(),
           opened_at = CASE WHEN conversation.status = 'CLOSED' THEN now() ELSE conversation.opened_at END,
           assigned_user_id = coalesce(conversation.assigned_user_id, EXCLUDED.assigned_user_id),
           waiting_since = CASE WHEN coalesce(conversation.assigned_user_id, EXCLUDED.assigned_user_id) IS NULL
                                THEN coalesce(conversation.waiting_since, now()) END`;
  return { previousAssignee: existing?.assigned_user_id ?? null };
}

async function conversationOfMessage(accountId: string, messageId: string): Promise<{ id: string; assignedUserId: string | null }> {
  const [row] = await prisma.$queryRaw<{ id: string; assigned_user_id: string | null }[]>`
    SELECT c.id::text, c.assigned_user_id::text FROM message m
      JOIN conversation c ON c.account_id = m.account_id AND c.platform_number = m.sender AND c.contact_number = m.recipient
     WHERE m.id = ${BigInt(messageId)} AND m.account_id = ${accountId}::uuid`;
  if (!row) throw new NotFoundError('Conversation');
  return { id: row.id, assignedUserId: row.assigned_user_id };
}

export interface ReplyInput {
  conversationId: string;
  text: string;
  idempotencyKey?: string | null;
}

/**
 * Answers in a conversation: one transactional two-way SMS from its platform number. An agent
 * answering an unassigned conversation takes it. A closed or invisible conversation is refused.
 */
export async function replyToConversation(actor: Actor, input: ReplyInput): Promise<ConversationMessageSent> {
  requirePermission(actor, 'conversations:reply');
  const conversation = await findVisibleConversation(actor, input.conversationId);
  if (conversation.status === 'CLOSED') throw new ConversationClosedError(conversation.id);
  let assignee = conversation.assignedUserId;
  const sent = await queueMessages(
    actor,
    {
      to: [conversation.contactNumber],
      text: input.text,
      sender: conversation.platformNumber,
      type: 'TRANSACTIONAL',
      twoWay: true,
      idempotencyKey: input.idempotencyKey,
    },
    {
      operation: 'replyToConversation',
      inTransaction: async (tx) => {
        // Checked again under the row lock: a close or a reassignment may have won the race.
        const [locked] = await tx.$queryRaw<{ status: string; assigned_user_id: string | null }[]>`
          SELECT status::text, assigned_user_id::text FROM conversation WHERE id = ${conversation.id}::uuid FOR UPDATE`;
        if (!locked || !maySeeConversation(actor, { accountId: conversation.accountId, assignedUserId: locked.assigned_user_id })) {
          throw new NotFoundError('Conversation');
        }
        if (locked.status === 'CLOSED') throw new ConversationClosedError(conversation.id);
        assignee = locked.assigned_user_id ?? actor.userId;
        // Answering reads the thread; an agent answering a waiting conversation takes it.
        await tx.$executeRaw`
          UPDATE conversation SET last_message_at = now(), unread_count = 0,
                 assigned_user_id = ${assignee}::uuid, waiting_since = CASE WHEN ${assignee}::uuid IS NULL THEN waiting_since END
           WHERE id = ${conversation.id}::uuid`;
      },
    },
  );
  publishConversationUpdates([
    {
      accountId: actor.accountId,
      conversationId: conversation.id,
      change: 'REPLIED',
      assignedUserId: assignee,
      previousAssignedUserId: conversation.assignedUserId,
      fromQueue: conversation.assignedUserId === null && assignee !== null,
    },
  ]);
  return { conversationId: conversation.id, messageId: sent.messageIds[0] as string, reserved: sent.reserved };
}

/** Closes a conversation (again: no change); the agent's freed seat goes to the oldest waiting one. */
export async function closeConversation(actor: Actor, conversationId: string): Promise<{ conversationId: string }> {
  requirePermission(actor, 'conversations:reply');
  const conversation = await findVisibleConversation(actor, conversationId);
  if (conversation.status === 'CLOSED') return { conversationId };
  const handedOut = await prisma.$transaction(async (tx) => {
    await tx.conversation.update({ where: { id: conversationId }, data: { status: 'CLOSED', closedAt: new Date(), waitingSince: null } });
    return assignWaitingConversations(tx, [actor.accountId]);
  });
  publishConversationUpdates([
    { accountId: actor.accountId, conversationId, change: 'CLOSED', assignedUserId: conversation.assignedUserId, previousAssignedUserId: null },
  ]);
  publishAssignments(handedOut);
  return { conversationId };
}

/** The inbound messages of the conversation have been read. */
export async function markConversationRead(actor: Actor, conversationId: string): Promise<{ conversationId: string }> {
  requirePermission(actor, 'conversations:read');
  const conversation = await findVisibleConversation(actor, conversationId);
  if (conversation.unreadCount === 0) return { conversationId };
  await prisma.conversation.update({ where: { id: conversationId }, data: { unreadCount: 0 } });
  publishConversationUpdates([
    { accountId: actor.accountId, conversationId, change: 'READ', assignedUserId: conversation.assignedUserId, previousAssignedUserId: null },
  ]);
  return { conversationId };
}

/** A conversation the actor may see, or NotFoundError (another account's looks like none). */
export async function findVisibleConversation(actor: Actor, conversationId: string) {
  requirePermission(actor, 'conversations:read');
  const conversation = isUuid(conversationId)
    ? await prisma.conversation.findFirst({ where: { AND: [{ id: conversationId }, visibleConversations(actor)] } })
    : null;
  if (!conversation) throw new NotFoundError('Conversation');
  return conversation;
}

export interface ThreadEntry {
  direction: 'INBOUND' | 'OUTBOUND';
  /** inbound_message id or message id. */
  id: string;
  text: string;
  /** Delivery status of an outbound message; null for inbound. */
  status: string | null;
  optOut: boolean;
  at: Date;
}

export const MAX_THREAD_PAGE = 200;

/** The last `last` messages of the conversation, oldest first. */
export async function conversationThread(
  conversation: { id: string; accountId: string; platformNumber: string; contactNumber: string },
  last: number,
): Promise<ThreadEntry[]> {
  const limit = Math.max(1, Math.min(MAX_THREAD_PAGE, last));
  const rows = await prisma.$queryRaw<ThreadEntry[]>`
    SELECT * FROM (
      SELECT 'INBOUND' AS direction, i.id::text AS id, i.text, NULL::text AS status, i.opt_out AS "optOut", i.received_at AS at
        FROM inbound_message i WHERE i.conversation_id = ${conversation.id}::uuid
      UNION ALL
      SELECT 'OUTBOUND', m.id::text, m.text, m.status::text, false, m.created_at
        FROM message m
       WHERE m.recipient = ${conversation.contactNumber} AND m.sender = ${conversation.platformNumber}
         AND m.account_id = ${conversation.accountId}::uuid AND m.kind <> 'SERVICE'
    ) thread
    ORDER BY at DESC, direction, id DESC
    LIMIT ${limit}`;
  return rows.reverse();
}

/** One received message as a thread entry. */
export async function inboundThreadEntry(inboundMessageId: string): Promise<ThreadEntry> {
  const [entry] = await prisma.$queryRaw<{ id: string; text: string; optOut: boolean; at: Date }[]>`
    SELECT id::text, text, opt_out AS "optOut", received_at AS at FROM inbound_message WHERE id = ${BigInt(inboundMessageId)}`;
  if (!entry) throw new NotFoundError('InboundMessage');
  return { direction: 'INBOUND', status: null, ...entry };
}

async function contactNumberOf(actor: Actor, input: StartConversationInput): Promise<string> {
  const given = [input.to?.trim() ? 'to' : null, input.contactId ? 'contactId' : null].filter(Boolean);
  if (given.length !== 1) throw ValidationError.single('to', 'give either a number (`to`) or a contact (`contactId`), not both nor neither');
  if (input.contactId) {
    const contact = await prisma.contact.findFirst({ where: { id: input.contactId, accountId: actor.accountId }, select: { number: true } });
    if (!contact) throw new NotFoundError('Contact');
    return contact.number;
  }
  const account = await prisma.account.findUniqueOrThrow({ where: { id: actor.accountId }, select: { country: true } });
  const parsed = parsePhone(input.to ?? '', { defaultCountry: account.country });
  if (!parsed.ok) throw ValidationError.single('to', parsed.message);
  return parsed.phone.e164;
}
