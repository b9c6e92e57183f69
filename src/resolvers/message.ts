import { filter, pipe } from 'graphql-yoga';
import { prisma } from '../db/client.js';
import type { MessageStatus } from '../generated/prisma/enums.js';
import { sendMessage } from '../domain/messages/send-message.js';
import { IdempotencyKeyReusedError, InsufficientCreditError, ValidationError } from '../domain/errors.js';
import { pubSub } from '../events/bus.js';
import { builder } from '../schema/builder.js';
import { MessageStatusEnum, MessageType, SendMessageInput, SendMessagePayload } from '../schema/message.js';
import { requireActor } from './actor.js';

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
    description: "Every status change of the account's messages, or of one message when `messageId` is given.",
    authScopes: { authenticated: true },
    args: { messageId: t.arg.globalID({ for: [MessageType] }) },
    subscribe: (_root, args, context) =>
      pipe(
        pubSub.subscribe('messageStatusChanged', requireActor(context).accountId),
        filter((event) => !args.messageId || event.messageId === args.messageId.id),
      ),
    // The status is the one this event announces: by the time the event is resolved the message
    // may already have moved on (TRANSMITTED, then DELIVERED 50 ms later), and each event must say
    // what happened.
    resolve: async (query, event) => ({
      ...(await prisma.message.findUniqueOrThrow({ ...query, where: { id: BigInt(event.messageId) } })),
      status: event.status as MessageStatus,
    }),
  }),
);
