/**
 * What platform operators (staff of the platform, `npm run operators`) see and do through the
 * API: the replies no account could be found for, and handing one to its account.
 */
import { prisma } from '../db/client.js';
import { routeUnroutedReply } from '../domain/conversations/unrouted.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { AccountType } from '../schema/account.js';
import { builder } from '../schema/builder.js';
import { UnroutedMessageType } from '../schema/operator.js';
import { requireActor } from './actor.js';

builder.queryField('unroutedMessages', (t) =>
  t.prismaConnection({
    type: UnroutedMessageType,
    cursor: 'id',
    description:
      'Platform operators only: replies that reached the platform with no account to go to (a shared short code nobody wrote to that number through lately, an unknown number), newest first. `routed: true` lists those already handed to an account.',
    authScopes: { platformOperator: true },
    args: { routed: t.arg.boolean({ description: 'false (default): still unrouted; true: handed to an account by an operator.' }) },
    resolve: (query, _root, args) =>
      prisma.inboundMessage.findMany({
        ...query,
        where: args.routed === true ? { routedAt: { not: null } } : { accountId: null },
        orderBy: { id: 'desc' },
      }),
  }),
);

export const RouteUnroutedMessageInput = builder.inputType('RouteUnroutedMessageInput', {
  fields: (t) => ({
    id: t.globalID({ required: true, description: 'The `UnroutedMessage`.' }),
    accountId: t.globalID({ required: true, for: [AccountType], description: 'The account the reply belongs to: it must be able to answer from the number it was sent to.' }),
  }),
});

builder.mutationField('routeUnroutedMessage', (t) =>
  t.prismaField({
    type: UnroutedMessageType,
    description:
      "Platform operators only: hands an unrouted reply to an account. It lands in that account's conversation with the number (opened or reopened, unread, assigned as the account assigns), a STOP blacklists the number for that account, and its agents are told live.",
    authScopes: { platformOperator: true },
    args: { input: t.arg({ type: RouteUnroutedMessageInput, required: true }) },
    errors: { types: [NotFoundError, ValidationError] },
    resolve: async (query, _root, { input }, context) => {
      if (input.id.typename !== 'InboundMessage') throw new NotFoundError('Unrouted message');
      await routeUnroutedReply(requireActor(context), input.id.id, input.accountId.id);
      return prisma.inboundMessage.findUniqueOrThrow({ ...query, where: { id: BigInt(input.id.id) } });
    },
  }),
);
