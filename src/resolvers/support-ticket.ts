import { prisma } from '../db/client.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { closeSupportTicket, commentSupportTicket, createSupportTicket } from '../domain/support/tickets.js';
import { builder } from '../schema/builder.js';
import { CloseSupportTicketInput, CommentSupportTicketInput, CreateSupportTicketInput, SupportTicketType } from '../schema/support-ticket.js';
import { requireActor } from './actor.js';

builder.queryField('supportTickets', (t) =>
  t.prismaConnection({
    type: SupportTicketType,
    cursor: 'id',
    description: "The account's support tickets, newest first.",
    authScopes: { permission: 'account:read' },
    resolve: (query, _root, _args, context) =>
      prisma.supportTicket.findMany({ ...query, where: { accountId: requireActor(context).accountId }, orderBy: { id: 'desc' } }),
  }),
);

builder.mutationField('createSupportTicket', (t) =>
  t.prismaField({
    type: SupportTicketType,
    description: 'Opens a ticket; its response target follows the plan and the support hours.',
    authScopes: { permission: 'account:read' },
    args: { input: t.arg({ type: CreateSupportTicketInput, required: true }) },
    errors: { types: [ValidationError] },
    resolve: async (query, _root, { input }, context) => {
      const ticket = await createSupportTicket(requireActor(context), input);
      return prisma.supportTicket.findUniqueOrThrow({ ...query, where: { id: ticket.id } });
    },
  }),
);

builder.mutationField('commentSupportTicket', (t) =>
  t.prismaField({
    type: SupportTicketType,
    authScopes: { permission: 'account:read' },
    args: { input: t.arg({ type: CommentSupportTicketInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError] },
    resolve: async (query, _root, { input }, context) => {
      const comment = await commentSupportTicket(requireActor(context), { ticketId: input.ticketId.id, body: input.body });
      return prisma.supportTicket.findUniqueOrThrow({ ...query, where: { id: comment.ticketId } });
    },
  }),
);

builder.mutationField('closeSupportTicket', (t) =>
  t.prismaField({
    type: SupportTicketType,
    authScopes: { permission: 'account:read' },
    args: { input: t.arg({ type: CloseSupportTicketInput, required: true }) },
    errors: { types: [NotFoundError] },
    resolve: async (query, _root, { input }, context) => {
      const ticket = await closeSupportTicket(requireActor(context), input.ticketId.id);
      return prisma.supportTicket.findUniqueOrThrow({ ...query, where: { id: ticket.id } });
    },
  }),
);
