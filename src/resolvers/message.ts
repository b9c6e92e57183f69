import { prisma } from '../db/client.js';
import type { Message } from '../generated/prisma/client.js';
import type { MessageStatus } from '../generated/prisma/enums.js';
import { sendMessage } from '../domain/messages/send-message.js';
import { IdempotencyKeyReusedError, InsufficientCreditError, NotFoundError, ValidationError } from '../domain/errors.js';
import { subscribeToEventItems } from '../events/bus.js';
import { builder } from '../schema/builder.js';
import { CampaignType } from '../schema/campaign.js';
import { MessageStatusEnum, MessageType, SendMessageInput, SendMessagePayload } from '../schema/message.js';
import { requireActor } from './actor.js';
import { selectionReader } from './selection-readers.js';

builder.mutationField('sendMessage', (t) =>
  t.field({
    type: SendMessagePayload,
    description: 'One message to one or a few numbers, transactional by default: priced, reserved, and handed to the carrier at once.',
    authScopes: { permission: 'messages:send' },
    args: { input: t.arg({ type: SendMessageInput, required: true }) },
    errors: { types: [ValidationError, InsufficientCreditError, IdempotencyKeyReusedError] },
    resolve: (_root, { input }, context) => sendMessage(requireActor(context), input),
  }),
);

builder.queryField('messages', (t) =>
  t.prismaConnection({
    type: MessageType,
    cursor: 'id',
    description: "The account's messages, newest first.",
    authScopes: { permission: 'campaigns:read' },
    args: { status: t.arg({ type: MessageStatusEnum }) },
    resolve: (query, _root, args, context) =>
      prisma.message.findMany({
        ...query,
        where: { accountId: requireActor(context).accountId, kind: { not: 'SERVICE' }, ...(args.status ? { status: args.status } : {}) },
        orderBy: { id: 'desc' },
      }),
  }),
);

builder.subscriptionField('messageStatusChanged', (t) =>
  t.prismaField({
    type: MessageType,
    description:
      "Every status change of the account's messages; of one campaign's messages when `campaignId` is given, of one message when `messageId` is. Needs the right to read messages (`campaigns:read`), as the `messages` query does.",
    authScopes: { permission: 'campaigns:read' },
    args: { messageId: t.arg.globalID({ for: [MessageType] }), campaignId: t.arg.globalID({ for: [CampaignType] }) },
    subscribe: (_root, args, context) => {
      const messageId = args.messageId?.id ?? null;
      const campaignId = args.campaignId?.id ?? null;
      return subscribeToEventItems('messageStatusesChanged', requireActor(context).accountId, (batch): StatusChange[] => {
        if (campaignId !== null && batch.campaignId !== campaignId) return [];
        const messageIds = messageId === null ? batch.messageIds : batch.messageIds.filter((id) => id === messageId);
        const shared: SharedReads = { messageIds, reads: null };
        return messageIds.map((id) => ({ messageId: id, status: batch.status, shared }));
      });
    },
    // The status is the one this event announces: by the time the event is resolved the message
    // may already have moved on (TRANSMITTED, then DELIVERED 50 ms later), and each event must say
    // what happened. A subscriber's changes are executed one after the other: the first of a batch
    // reads the whole batch's messages (one query), the others take their row from it.
    resolve: async (query, change) => {
      const shared = change.shared;
      if (!shared.reads) {
        const selection = JSON.stringify(query);
        shared.reads = new Map(shared.messageIds.map((id) => [id, readMessage(query, id, selection)]));
        // Each is awaited when its change is executed; none is left unhandled if the subscriber leaves first.
        for (const read of shared.reads.values()) read.catch(() => undefined);
      }
      return { ...(await shared.reads.get(change.messageId)!), status: change.status as MessageStatus };
    },
  }),
);

interface StatusChange {
  messageId: string;
  status: string;
  /** The reads of the changes this subscriber got from the same event. */
  shared: SharedReads;
}

interface SharedReads {
  messageIds: readonly string[];
  reads: Map<string, Promise<Message>> | null;
}

/** Messages read for `messageStatusChanged` at delivery, the changes delivered together in one query per selection. */
const readMessage = selectionReader<Message>(
  (query, ids) => prisma.message.findMany({ ...query, where: { id: { in: ids.map((id) => BigInt(id)) } } }) as Promise<Message[]>,
  (row) => String(row.id),
  () => new NotFoundError('Message'),
);
