/**
 * Who sees which conversation. Members whose role may assign conversations (owners, admins,
 * managers) see all of the account's; other members with the conversations right (agents) see
 * those assigned to them and the unassigned ones (the queue they may pick from). Never another
 * account's: every rule starts from the actor's account.
 */
import type { Prisma } from '../../generated/prisma/client.js';
import type { Actor } from '../auth/actor.js';
import { can } from '../permissions.js';

export function seesAllConversations(actor: Actor): boolean {
  return can(actor.role, 'conversations:assign');
}

/** The Prisma filter of the conversations this actor may see. */
export function visibleConversations(actor: Actor): Prisma.ConversationWhereInput {
  if (!can(actor.role, 'conversations:read')) return { id: { in: [] } };
  if (seesAllConversations(actor)) return { accountId: actor.accountId };
  return { accountId: actor.accountId, OR: [{ assignedUserId: null }, ...(actor.userId ? [{ assignedUserId: actor.userId }] : [])] };
}

/** The same rule for a conversation already loaded (or an event about one). */
export function maySeeConversation(actor: Actor, conversation: { accountId: string; assignedUserId: string | null }): boolean {
  if (conversation.accountId !== actor.accountId || !can(actor.role, 'conversations:read')) return false;
  return seesAllConversations(actor) || conversation.assignedUserId === null || (actor.userId !== null && conversation.assignedUserId === actor.userId);
}

/**
 * The same rule as a predicate on an event's assignee, decided once for a subscriber: live events
 * of an account go through it for each of the account's subscribers, so it must be a comparison
 * or two, not a permission lookup.
 */
export function conversationEventFilter(actor: Actor): (assignedUserId: string | null) => boolean {
  if (!can(actor.role, 'conversations:read')) return () => false;
  if (seesAllConversations(actor)) return () => true;
  const userId = actor.userId;
  return (assignedUserId) => assignedUserId === null || (userId !== null && assignedUserId === userId);
}

/**
 * Audience keys of live conversation events (see events/bus.ts): an event names the agent it is
 * assigned to (and the one it was taken from), or the queue when nobody has it. Members who see
 * every conversation subscribe without keys; an agent subscribes with their own key and the
 * queue's, so the events of the account's other agents never reach them at all.
 */
export function conversationEventAudience(assignedUserId: string | null, previousAssignedUserId: string | null = null, fromQueue = false): string[] {
  const audience = [assignedUserId === null ? QUEUE_AUDIENCE : userAudience(assignedUserId)];
  if (previousAssignedUserId !== null && previousAssignedUserId !== assignedUserId) audience.push(userAudience(previousAssignedUserId));
  // Taken from the queue: the agents who saw it waiting are told it is no longer there.
  if (fromQueue && assignedUserId !== null) audience.push(QUEUE_AUDIENCE);
  return audience;
}

/** The keys an actor subscribes with; null: every event of the account (then the predicate decides). */
export function conversationAudienceKeys(actor: Actor): string[] | null {
  if (seesAllConversations(actor)) return null;
  return actor.userId === null ? [QUEUE_AUDIENCE] : [QUEUE_AUDIENCE, userAudience(actor.userId)];
}

const QUEUE_AUDIENCE = 'queue';

function userAudience(userId: string): string {
  return `user:${userId}`;
}
