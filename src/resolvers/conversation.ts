import { queryFromInfo } from '@pothos/plugin-prisma';
import { resolveCursorConnection } from '@pothos/plugin-relay';
import { prisma } from '../db/client.js';
import { encodeActivityCursor } from '../domain/conversations/activity-cursor.js';
import { assignConversation, configureConversationAssignment } from '../domain/conversations/assignment.js';
import { listConversations } from '../domain/conversations/conversation-list.js';
import { inboxSummary } from '../domain/conversations/inbox-summary.js';
import { AgentAtCapacityError, ConversationClosedError } from '../domain/conversations/conversation-errors.js';
import {
  closeConversation,
  inboundThreadEntry,
  markConversationRead,
  replyToConversation,
  startConversation,
} from '../domain/conversations/conversations.js';
import { conversationAudienceKeys, conversationEventFilter, visibleConversations } from '../domain/conversations/visibility.js';
import { IdempotencyKeyReusedError, InsufficientCreditError, NotFoundError, PlanLimitError, ValidationError } from '../domain/errors.js';
import { subscribeToEvents } from '../events/bus.js';
import type { Conversation } from '../generated/prisma/client.js';
import { builder } from '../schema/builder.js';
import { selectionReader } from './selection-readers.js';
import {
  AssignConversationInput,
  ConfigureConversationAssignmentInput,
  ConversationAssignmentType,
  ConversationFilterInput,
  ConversationMessageType,
  ConversationSentPayload,
  ConversationType,
  InboxSummaryType,
  ReplyToConversationInput,
  StartConversationInput,
} from '../schema/conversation.js';
import { requireActor } from './actor.js';

/**
 * The bus hands one payload object to every subscriber of an event in this process: what a
 * subscription resolver loads for it is loaded once, and shared, per payload and key.
 */
const loadsByEvent = new WeakMap<object, Map<string, Promise<unknown>>>();

function oncePerEvent<T>(event: object, key: string, load: () => PromiseLike<T>): Promise<T> {
  let loads = loadsByEvent.get(event);
  if (!loads) loadsByEvent.set(event, (loads = new Map()));
  let loaded = loads.get(key) as Promise<T> | undefined;
  if (!loaded) loads.set(key, (loaded = Promise.resolve(load())));
  return loaded;
}

/** Conversations read for `conversationUpdated` at delivery, the events delivered together in one query per selection. */
const readConversation = selectionReader<Conversation>(
  (query, ids) => prisma.conversation.findMany({ ...query, where: { id: { in: [...ids] } } }) as Promise<Conversation[]>,
  (row) => row.id,
  () => new NotFoundError('Conversation'),
);

builder.queryField('conversations', (t) =>
  t.connection({
    type: ConversationType,
    description:
      'Conversations the caller may see (an agent: theirs and the unassigned ones), the latest activity (message in or out) first. ' +
      'A cursor keeps its place while conversations move up: what moved is announced by `conversationUpdated`.',
    authScopes: { permission: 'conversations:read' },
    args: { filter: t.arg({ type: ConversationFilterInput }) },
    resolve: (_root, args, context, info) =>
      resolveCursorConnection<Promise<Conversation[]>>({ args, toCursor: encodeActivityCursor }, (page) =>
        listConversations(requireActor(context), args.filter ?? {}, page, queryFromInfo({ context, info, path: ['edges', 'node'] })),
      ),
  }),
);

builder.queryField('conversation', (t) =>
  t.prismaField({
    type: ConversationType,
    nullable: true,
    authScopes: { permission: 'conversations:read' },
    args: { id: t.arg.globalID({ required: true, for: [ConversationType] }) },
    resolve: (query, _root, args, context) =>
      prisma.conversation.findFirst({ ...query, where: { AND: [{ id: args.id.id }, visibleConversations(requireActor(context))] } }),
  }),
);

builder.queryField('inboxSummary', (t) =>
  t.field({
    type: InboxSummaryType,
    description: "Counts for the caller's inbox: their open and unread conversations, the queue's, and (for those who assign conversations) each agent's.",
    authScopes: { permission: 'conversations:read' },
    resolve: (_root, _args, context) => inboxSummary(requireActor(context)),
  }),
);

builder.queryField('conversationAssignment', (t) =>
  t.field({
    type: ConversationAssignmentType,
    description: "The account's assignment mode and agent rotation.",
    authScopes: { permission: 'conversations:read' },
    resolve: (_root, _args, context) => ({ accountId: requireActor(context).accountId }),
  }),
);

builder.mutationField('startConversation', (t) =>
  t.field({
    type: ConversationSentPayload,
    description: 'Opens (or reopens) the conversation with a number or contact and sends its first two-way SMS.',
    authScopes: { permission: 'conversations:reply' },
    args: { input: t.arg({ type: StartConversationInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, PlanLimitError, InsufficientCreditError, IdempotencyKeyReusedError] },
    resolve: (_root, { input }, context) =>
      startConversation(requireActor(context), { ...input, contactId: input.contactId?.id ?? null }),
  }),
);

builder.mutationField('replyToConversation', (t) =>
  t.field({
    type: ConversationSentPayload,
    description: 'Answers in a conversation: one two-way SMS from its platform number (transactional lane, two-way surcharge).',
    authScopes: { permission: 'conversations:reply' },
    args: { input: t.arg({ type: ReplyToConversationInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, ConversationClosedError, InsufficientCreditError, IdempotencyKeyReusedError] },
    resolve: (_root, { input }, context) => replyToConversation(requireActor(context), { ...input, conversationId: input.conversationId.id }),
  }),
);

builder.mutationField('assignConversation', (t) =>
  t.prismaField({
    type: ConversationType,
    description:
      'Gives a conversation to a member whose role may answer conversations, within their capacity (an open conversation), or back to the queue (userId null).',
    authScopes: { permission: 'conversations:assign' },
    args: { input: t.arg({ type: AssignConversationInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, AgentAtCapacityError] },
    resolve: async (query, _root, { input }, context) => {
      const { conversationId } = await assignConversation(requireActor(context), { conversationId: input.conversationId.id, userId: input.userId?.id ?? null });
      return prisma.conversation.findUniqueOrThrow({ ...query, where: { id: conversationId } });
    },
  }),
);

builder.mutationField('closeConversation', (t) =>
  t.prismaField({
    type: ConversationType,
    authScopes: { permission: 'conversations:reply' },
    args: { id: t.arg.globalID({ required: true, for: [ConversationType] }) },
    errors: { types: [NotFoundError] },
    resolve: async (query, _root, args, context) => {
      const { conversationId } = await closeConversation(requireActor(context), args.id.id);
      return prisma.conversation.findUniqueOrThrow({ ...query, where: { id: conversationId } });
    },
  }),
);

builder.mutationField('markConversationRead', (t) =>
  t.prismaField({
    type: ConversationType,
    authScopes: { permission: 'conversations:read' },
    args: { id: t.arg.globalID({ required: true, for: [ConversationType] }) },
    errors: { types: [NotFoundError] },
    resolve: async (query, _root, args, context) => {
      const { conversationId } = await markConversationRead(requireActor(context), args.id.id);
      return prisma.conversation.findUniqueOrThrow({ ...query, where: { id: conversationId } });
    },
  }),
);

builder.mutationField('configureConversationAssignment', (t) =>
  t.field({
    type: ConversationAssignmentType,
    description: 'Sets automatic assignment (mode and the agents of the rotation with their capacity); waiting conversations are handed out at once.',
    authScopes: { permission: 'conversations:assign' },
    args: { input: t.arg({ type: ConfigureConversationAssignmentInput, required: true }) },
    errors: { types: [ValidationError] },
    resolve: (_root, { input }, context) =>
      configureConversationAssignment(requireActor(context), {
        mode: input.mode,
        agents: input.agents.map((agent) => ({ userId: agent.userId.id, capacity: agent.capacity ?? null })),
      }),
  }),
);

builder.subscriptionField('messageReceived', (t) =>
  t.field({
    type: ConversationMessageType,
    description: 'SMS received in the conversations the caller may see (or in one conversation).',
    authScopes: { permission: 'conversations:read' },
    args: { conversationId: t.arg.globalID({ for: [ConversationType] }) },
    subscribe: (_root, args, context) => {
      const actor = requireActor(context);
      const conversationId = args.conversationId?.id ?? null;
      const visible = conversationEventFilter(actor);
      // Topics are per account, and an agent's keys narrow them to their own events and the queue's.
      return subscribeToEvents(
        'messageReceived',
        actor.accountId,
        (event) => (conversationId === null || event.conversationId === conversationId) && visible(event.assignedUserId),
        conversationAudienceKeys(actor),
      );
    },
    // The message travels with the event (no query); a long one is loaded.
    resolve: (event) =>
      event.text === null
        ? oncePerEvent(event, 'entry', () => inboundThreadEntry(event.inboundMessageId))
        : { direction: 'INBOUND' as const, id: event.inboundMessageId, text: event.text, status: null, optOut: event.optOut, at: new Date(event.receivedAt) },
  }),
);

builder.subscriptionField('conversationUpdated', (t) =>
  t.prismaField({
    type: ConversationType,
    description: 'Changes of the conversations the caller may see: messages in and out, assignment, closing, reading.',
    authScopes: { permission: 'conversations:read' },
    args: { conversationId: t.arg.globalID({ for: [ConversationType] }) },
    subscribe: (_root, args, context) => {
      const actor = requireActor(context);
      const conversationId = args.conversationId?.id ?? null;
      const visible = conversationEventFilter(actor);
      const userId = actor.userId;
      return subscribeToEvents(
        'conversationUpdated',
        actor.accountId,
        (event) =>
          (conversationId === null || event.conversationId === conversationId) &&
          // The agent it was taken from learns it too, and so do the queue's watchers when an agent took it from there.
          (visible(event.assignedUserId) || (userId !== null && event.previousAssignedUserId === userId) || (event.fromQueue === true && visible(null))),
        conversationAudienceKeys(actor),
      );
    },
    // Read at delivery (the latest state, whatever order events arrive in), once per event and
    // selection however many subscribers it reaches (owners, managers, the queue's agents), the
    // events delivered together in one query.
    resolve: (query, event) => {
      const selection = JSON.stringify(query);
      return oncePerEvent(event, selection, () => readConversation(query, event.conversationId, selection));
    },
  }),
);
