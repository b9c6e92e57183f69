/**
 * Replies nobody could be found for (inbound.ts keeps them with no account): a platform
 * operator hands one to the account it belongs to, and it lands as if it had been routed on
 * arrival: in the conversation of (account, platform number, contact number), opened or
 * reopened, unread, handed to an agent when the account assigns automatically, a STOP
 * blacklisting the number for that account, and the live events sent. Who routed it and when
 * are kept on the reply.
 */
import { config } from '../../config.js';
import { prisma } from '../../db/client.js';
import { isUuid } from '../../db/uuid7.js';
import type { Actor } from '../auth/actor.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { isOptOutReply } from '../messaging/opt-out.js';
import { isE164 } from '../numbers/inbound-addresses.js';
import { requirePlatformOperator } from '../operators/platform-operators.js';
import { assignWaitingConversations, publishAssignments } from './assignment.js';
import { publishConversationUpdates, publishMessagesReceived } from './conversation-events.js';
import { REOPEN_CONVERSATION } from './inbound.js';

/** As for replies on arrival: the hand-out to agents may wait for the account's assignment lock. */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

interface UnroutedRow {
  id: string;
  account_id: string | null;
  from_number: string;
  to_number: string;
  text: string;
  complete: boolean;
  received_at: Date;
}

export async function routeUnroutedReply(actor: Actor, inboundMessageId: string, accountId: string): Promise<{ conversationId: string }> {
  const operatorId = await requirePlatformOperator(actor);
  if (!/^[0-9]{1,18}$/.test(inboundMessageId)) throw new NotFoundError('Unrouted message');
  if (!isUuid(accountId)) throw new NotFoundError('Account');
  const account = await prisma.account.findUnique({ where: { id: accountId }, select: { id: true } });
  if (!account) throw new NotFoundError('Account');

  const outcome = await prisma.$transaction(async (tx) => {
    const [reply] = await tx.$queryRawUnsafe<UnroutedRow[]>(
      `SELECT id::text, account_id::text, from_number, to_number, text, complete, received_at FROM inbound_message WHERE id = $1::bigint FOR UPDATE`,
      inboundMessageId,
    );
    if (!reply) throw new NotFoundError('Unrouted message');
    if (reply.account_id !== null) throw ValidationError.single('id', 'This reply already went to an account.');
    if (!isE164(reply.from_number)) {
      throw ValidationError.single('id', `The reply comes from "${reply.from_number}", not a phone number: no conversation can answer it.`);
    }
    const owner = await tx.accountNumber.findUnique({ where: { number: reply.to_number }, select: { accountId: true } });
    const shared = config.twoWay.sharedShortCodes.some((entry) => entry.code === reply.to_number);
    if (owner ? owner.accountId !== accountId : !shared) {
      throw ValidationError.single(
        'accountId',
        owner ? `${reply.to_number} is another account's number: the reply can only go there.` : `${reply.to_number} is not a platform number this account can answer from.`,
      );
    }

    const [conversation] = await tx.$queryRawUnsafe<{ id: string; account_id: string; assigned_user_id: string | null }[]>(
      `INSERT INTO conversation (id, account_id, platform_number, contact_number, status, unread_count, last_message_at, waiting_since, opened_at)
       VALUES (uuidv7(), $1::uuid, $2, $3, 'OPEN', 1, $4::timestamptz, $4::timestamptz, now())
       ${REOPEN_CONVERSATION}`,
      accountId,
      reply.to_number,
      reply.from_number,
      reply.received_at,
    );
    const optOut = reply.complete && isOptOutReply(reply.text);
    await tx.inboundMessage.update({
      where: { id: BigInt(reply.id) },
      data: { accountId, conversationId: conversation!.id, optOut, routedById: operatorId, routedAt: new Date() },
    });
    if (optOut) {
      await tx.$executeRawUnsafe(
        `INSERT INTO blacklist_entry (id, account_id, number, reason, source) VALUES (uuidv7(), $1::uuid, $2, 'STOP reply to ' || $3, 'STOP_REPLY')
         ON CONFLICT (account_id, number) DO NOTHING`,
        accountId,
        reply.from_number,
        reply.to_number,
      );
    }
    const handedOut = conversation!.assigned_user_id === null ? await assignWaitingConversations(tx, [accountId]) : [];
    const assignedUserId = handedOut.find((assignment) => assignment.conversationId === conversation!.id)?.userId ?? conversation!.assigned_user_id;
    return { reply, conversationId: conversation!.id, assignedUserId, optOut, handedOut };
  }, TRANSACTION_OPTIONS);

  const { reply, conversationId, assignedUserId, optOut, handedOut } = outcome;
  publishMessagesReceived([{ accountId, conversationId, inboundMessageId: reply.id, assignedUserId, text: reply.text, optOut, receivedAt: reply.received_at }]);
  publishConversationUpdates([{ accountId, conversationId, change: 'MESSAGE_RECEIVED', assignedUserId, previousAssignedUserId: null }]);
  publishAssignments(handedOut.filter((assignment) => assignment.conversationId !== conversationId));
  return { conversationId };
}
