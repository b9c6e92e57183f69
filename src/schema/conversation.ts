import { encodeGlobalID } from '@pothos/plugin-relay';
import { prisma } from '../db/client.js';
import { AgentAtCapacityError, ConversationClosedError } from '../domain/conversations/conversation-errors.js';
import { conversationThread, MAX_THREAD_PAGE, type ThreadEntry } from '../domain/conversations/conversations.js';
import type { AgentInboxCounts, InboxCounts, InboxSummary } from '../domain/conversations/inbox-summary.js';
import { visibleConversations } from '../domain/conversations/visibility.js';
import { can } from '../domain/permissions.js';
import type { MessageStatus } from '../generated/prisma/enums.js';
import { builder } from './builder.js';
import { ContactType } from './contact.js';
import { NO_ACCOUNT } from './context.js';
import { ErrorInterface } from './errors.js';
import { MessageStatusEnum, MessageType } from './message.js';
import { UserType } from './user.js';

export const ConversationStatusEnum = builder.enumType('ConversationStatus', { values: ['OPEN', 'CLOSED'] as const });

export const ConversationAssignmentModeEnum = builder.enumType('ConversationAssignmentMode', {
  values: {
    MANUAL: { description: 'Conversations wait until someone assigns them.' },
    ROUND_ROBIN: { description: 'Each new or waiting conversation goes to the agent of the rotation assigned longest ago, within capacity.' },
    LEAST_BUSY: { description: 'To the agent with the fewest open conversations, within capacity.' },
  } as const,
});

export const MessageDirectionEnum = builder.enumType('MessageDirection', { values: ['INBOUND', 'OUTBOUND'] as const });

export const ConversationMessageType = builder.objectRef<ThreadEntry>('ConversationMessage').implement({
  description: 'One SMS of a conversation: received from the contact, or sent to them (a `Message`).',
  fields: (t) => ({
    id: t.id({
      description: 'Global id: an `InboundMessage` id, or the `Message` id of an outbound SMS.',
      resolve: (entry) => encodeGlobalID(entry.direction === 'INBOUND' ? 'InboundMessage' : 'Message', entry.id),
    }),
    direction: t.field({ type: MessageDirectionEnum, resolve: (entry) => entry.direction }),
    text: t.exposeString('text'),
    status: t.field({
      type: MessageStatusEnum,
      nullable: true,
      description: 'Delivery status of an outbound SMS; null for a received one.',
      resolve: (entry) => entry.status as MessageStatus | null,
    }),
    optOut: t.exposeBoolean('optOut', { description: 'A STOP-type reply: the number was blacklisted for the account.' }),
    at: t.expose('at', { type: 'DateTime', description: 'Received, or accepted for sending.' }),
    message: t.prismaField({
      type: MessageType,
      nullable: true,
      description: 'The outbound SMS with its delivery details; null for a received one.',
      resolve: (query, entry) => (entry.direction === 'OUTBOUND' ? prisma.message.findUnique({ ...query, where: { id: BigInt(entry.id) } }) : null),
    }),
  }),
});

export const ConversationType = builder.prismaNode('Conversation', {
  id: { field: 'id' },
  nullable: true,
  // Only conversations the caller may see: an agent sees theirs and the unassigned ones.
  findUnique: (id, context) =>
    context.actor && can(context.actor.role, 'conversations:read') ? { ...visibleConversations(context.actor), id } : { id, accountId: NO_ACCOUNT },
  description: 'A thread with one contact number through one platform number (short code or virtual number).',
  fields: (t) => ({
    platformNumber: t.exposeString('platformNumber', { description: 'The short code (5 digits) or virtual number (E.164) the account talks from.' }),
    contactNumber: t.expose('contactNumber', { type: 'Phone' }),
    contact: t.prismaField({
      type: ContactType,
      nullable: true,
      description: 'The contact with this number, if the account has one.',
      select: { accountId: true, contactNumber: true },
      resolve: (query, conversation) =>
        prisma.contact.findUnique({ ...query, where: { accountId_number: { accountId: conversation.accountId, number: conversation.contactNumber } } }),
    }),
    status: t.expose('status', { type: ConversationStatusEnum }),
    assignedAgent: t.relation('assignedUser', { nullable: true, type: UserType }),
    unreadCount: t.exposeInt('unreadCount', { description: 'Received messages nobody has read yet.' }),
    lastMessageAt: t.expose('lastMessageAt', { type: 'DateTime' }),
    waitingSince: t.expose('waitingSince', { type: 'DateTime', nullable: true, description: 'Open and unassigned since then.' }),
    openedAt: t.expose('openedAt', { type: 'DateTime' }),
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    messages: t.field({
      type: [ConversationMessageType],
      description: `The last messages in and out, oldest first (at most ${MAX_THREAD_PAGE}).`,
      args: { last: t.arg.int({ defaultValue: 50 }) },
      select: { id: true, accountId: true, platformNumber: true, contactNumber: true },
      resolve: (conversation, args) => conversationThread(conversation, args.last ?? 50),
    }),
  }),
});

export const ConversationFilterInput = builder.inputType('ConversationFilter', {
  fields: (t) => ({
    assignedToMe: t.boolean({ description: 'Only those assigned to the caller.' }),
    unassigned: t.boolean({ description: 'Only those nobody has (the queue).' }),
    unread: t.boolean({ description: 'Only those with unread received messages.' }),
    status: t.field({ type: ConversationStatusEnum }),
  }),
});

export const StartConversationInput = builder.inputType('StartConversationInput', {
  fields: (t) => ({
    to: t.string({ description: "A number (national format read in the account's country); or give `contactId`." }),
    contactId: t.globalID({ for: [ContactType] }),
    platformNumber: t.string({ description: "Short code or virtual number to talk from; default: the shared short code of the number's country." }),
    text: t.string({ required: true }),
    idempotencyKey: t.string(),
  }),
});

export const ReplyToConversationInput = builder.inputType('ReplyToConversationInput', {
  fields: (t) => ({
    conversationId: t.globalID({ required: true, for: [ConversationType] }),
    text: t.string({ required: true, description: 'At most 10 SMS parts.' }),
    idempotencyKey: t.string(),
  }),
});

export const AssignConversationInput = builder.inputType('AssignConversationInput', {
  fields: (t) => ({
    conversationId: t.globalID({ required: true, for: [ConversationType] }),
    userId: t.globalID({ for: [UserType], description: 'A member whose role may answer conversations; null puts it back in the queue.' }),
  }),
});

export const AgentSeatInput = builder.inputType('AgentSeatInput', {
  fields: (t) => ({
    userId: t.globalID({ required: true, for: [UserType] }),
    capacity: t.int({ description: 'Open conversations at once (default CONVERSATION_AGENT_CAPACITY).' }),
  }),
});

export const ConfigureConversationAssignmentInput = builder.inputType('ConfigureConversationAssignmentInput', {
  fields: (t) => ({
    mode: t.field({ type: ConversationAssignmentModeEnum, required: true }),
    agents: t.field({ type: [AgentSeatInput], required: true, description: 'The whole rotation; members not listed leave it.' }),
  }),
});

export const ConversationSentPayload = builder
  .objectRef<{ conversationId: string; messageId: string; reserved: string }>('ConversationSentPayload')
  .implement({
    fields: (t) => ({
      conversation: t.prismaField({
        type: ConversationType,
        resolve: (query, payload) => prisma.conversation.findUniqueOrThrow({ ...query, where: { id: payload.conversationId } }),
      }),
      message: t.prismaField({
        type: MessageType,
        resolve: (query, payload) => prisma.message.findUniqueOrThrow({ ...query, where: { id: BigInt(payload.messageId) } }),
      }),
      reserved: t.expose('reserved', { type: 'Decimal', description: 'Held now (SMS and two-way surcharge); charged when handed to the carrier.' }),
    }),
  });

export const AgentSeatType = builder.prismaObject('ConversationAgent', {
  fields: (t) => ({
    user: t.relation('user', { type: UserType }),
    capacity: t.exposeInt('capacity'),
    openConversations: t.int({
      select: { accountId: true, userId: true },
      resolve: (seat) => prisma.conversation.count({ where: { accountId: seat.accountId, assignedUserId: seat.userId, status: 'OPEN' } }),
    }),
  }),
});

export const InboxCountsType = builder.objectRef<InboxCounts>('InboxCounts').implement({
  fields: (t) => ({
    open: t.exposeInt('open', { description: 'Open conversations.' }),
    unreadConversations: t.exposeInt('unreadConversations', { description: 'Open conversations with replies nobody has read.' }),
    unreadMessages: t.exposeInt('unreadMessages', { description: 'Replies nobody has read, in open conversations.' }),
  }),
});

export const AgentInboxCountsType = builder.objectRef<AgentInboxCounts>('AgentInboxCounts').implement({
  fields: (t) => ({
    agent: t.field({ type: UserType, resolve: (row) => row.agent }),
    open: t.exposeInt('open'),
    unreadConversations: t.exposeInt('unreadConversations'),
    unreadMessages: t.exposeInt('unreadMessages'),
  }),
});

export const InboxSummaryType = builder.objectRef<InboxSummary>('InboxSummary').implement({
  description: "The counts behind an inbox's badges; refetch it when `conversationUpdated` says something moved.",
  fields: (t) => ({
    mine: t.field({ type: InboxCountsType, description: 'Assigned to the caller (zero for an API key).', resolve: (summary) => summary.mine }),
    queue: t.field({ type: InboxCountsType, description: 'Open and unassigned, waiting for an agent.', resolve: (summary) => summary.queue }),
    agents: t.field({
      type: [AgentInboxCountsType],
      nullable: true,
      description: 'Per agent with open conversations, most unread first; null unless the caller may assign conversations (owner, admin, manager).',
      resolve: (summary) => summary.agents,
    }),
  }),
});

export const ConversationAssignmentType = builder.objectRef<{ accountId: string }>('ConversationAssignment').implement({
  fields: (t) => ({
    mode: t.field({
      type: ConversationAssignmentModeEnum,
      resolve: async (settings) => (await prisma.conversationSettings.findUnique({ where: { accountId: settings.accountId } }))?.assignmentMode ?? 'MANUAL',
    }),
    agents: t.prismaField({
      type: [AgentSeatType],
      resolve: (query, settings) => prisma.conversationAgent.findMany({ ...query, where: { accountId: settings.accountId }, orderBy: { createdAt: 'asc' } }),
    }),
  }),
});

builder.objectType(AgentAtCapacityError, {
  name: 'AgentAtCapacityError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    userId: t.id({ resolve: (error) => encodeGlobalID('User', error.userId) }),
    capacity: t.exposeInt('capacity', { description: "Open conversations the agent takes at once (their seat's, or CONVERSATION_AGENT_CAPACITY)." }),
    openConversations: t.exposeInt('openConversations'),
  }),
});

builder.objectType(ConversationClosedError, {
  name: 'ConversationClosedError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    conversationId: t.id({ resolve: (error) => encodeGlobalID('Conversation', error.conversationId) }),
  }),
});
