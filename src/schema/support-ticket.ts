import { builder } from './builder.js';
import { actorAccountId } from './context.js';

export const SupportTicketCategoryEnum = builder.enumType('SupportTicketCategory', {
  values: ['BILLING', 'TECHNICAL', 'DELIVERY', 'ACCOUNT', 'OTHER'] as const,
});
const SupportTicketStateEnum = builder.enumType('SupportTicketState', { values: ['OPEN', 'CLOSED'] as const });

export const SupportTicketCommentType = builder.prismaObject('SupportTicketComment', {
  fields: (t) => ({
    body: t.exposeString('body'),
    authorId: t.exposeString('authorId', { nullable: true, description: 'Database id of the user who wrote it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const SupportTicketAttachmentType = builder.prismaObject('SupportTicketAttachment', {
  fields: (t) => ({
    fileName: t.exposeString('fileName'),
    contentType: t.exposeString('contentType'),
    sizeBytes: t.exposeInt('sizeBytes'),
    sha256: t.exposeString('sha256', { description: 'Hex SHA-256 of the content, to check what was received.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const SupportTicketType = builder.prismaNode('SupportTicket', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  fields: (t) => ({
    category: t.expose('category', { type: SupportTicketCategoryEnum }),
    description: t.exposeString('description'),
    payloadSample: t.exposeString('payloadSample', { nullable: true }),
    contactEmail: t.expose('contactEmail', { type: 'Email', description: 'Where support answers.' }),
    state: t.expose('state', { type: SupportTicketStateEnum }),
    responseDueAt: t.expose('responseDueAt', {
      type: 'DateTime',
      description: "Response target: the plan's hours counted in support hours (Mon-Fri 9-12, 14-18 Paris).",
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true }),
    comments: t.relation('comments', { query: { orderBy: { createdAt: 'asc' } } }),
    attachments: t.relation('attachments', { query: { orderBy: { createdAt: 'asc' } } }),
  }),
});

export const CreateSupportTicketInput = builder.inputType('CreateSupportTicketInput', {
  fields: (t) => ({
    category: t.field({ type: SupportTicketCategoryEnum, required: true }),
    description: t.string({ required: true, description: '10 to 10 000 characters.' }),
    payloadSample: t.string({ description: 'The API request concerned, as sent (up to 100 000 characters).' }),
    attachments: t.field({ type: ['File'], description: 'Up to 5 files of at most 10 MB each (multipart request).' }),
  }),
});

export const CommentSupportTicketInput = builder.inputType('CommentSupportTicketInput', {
  fields: (t) => ({
    ticketId: t.globalID({ required: true, for: [SupportTicketType] }),
    body: t.string({ required: true }),
  }),
});

export const CloseSupportTicketInput = builder.inputType('CloseSupportTicketInput', {
  fields: (t) => ({ ticketId: t.globalID({ required: true, for: [SupportTicketType] }) }),
});
