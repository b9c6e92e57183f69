/**
 * The `conversations` list: those the actor may see (visibility.ts), filtered, the latest
 * activity first (last message in or out, then id), paged by position (activity-cursor.ts).
 */
import { prisma } from '../../db/client.js';
import type { Conversation, ConversationStatus, Prisma } from '../../generated/prisma/client.js';
import type { Actor } from '../auth/actor.js';
import { ValidationError } from '../errors.js';
import { decodeActivityCursor, type ActivityPosition } from './activity-cursor.js';
import { visibleConversations } from './visibility.js';

export interface ConversationFilter {
  /** Only those assigned to the caller. */
  assignedToMe?: boolean | null;
  /** Only those nobody has (the queue). */
  unassigned?: boolean | null;
  /** Only those with unread received messages. */
  unread?: boolean | null;
  status?: ConversationStatus | null;
}

export interface ConversationPage {
  /** Cursors as given: after one, older activity; before one, newer. */
  after?: string | null;
  before?: string | null;
  limit: number;
  /** Read from the newest end backwards (`last`): rows come oldest first, for the caller to reverse. */
  inverted: boolean;
}

/** Prisma's selection for the rows (what the GraphQL query asks of them). */
export type ConversationQuery = { select?: Prisma.ConversationSelect; include?: Prisma.ConversationInclude };

export async function listConversations(actor: Actor, filter: ConversationFilter, page: ConversationPage, query: ConversationQuery = {}): Promise<Conversation[]> {
  const where: Prisma.ConversationWhereInput[] = [visibleConversations(actor)];
  // An API key has no user: nothing is assigned to it.
  if (filter.assignedToMe) where.push(actor.userId === null ? { id: { in: [] } } : { assignedUserId: actor.userId });
  if (filter.unassigned) where.push({ assignedUserId: null });
  if (filter.unread) where.push({ unreadCount: { gt: 0 } });
  if (filter.status) where.push({ status: filter.status });
  const after = positionOf(page.after, 'after');
  const before = positionOf(page.before, 'before');
  if (after) where.push(olderThan(after));
  if (before) where.push(newerThan(before));
  const direction = page.inverted ? 'asc' : 'desc';
  return prisma.conversation.findMany({
    ...query,
    where: { AND: where },
    orderBy: [{ lastMessageAt: direction }, { id: direction }],
    take: page.limit,
  }) as Promise<Conversation[]>;
}

function positionOf(cursor: string | null | undefined, field: 'after' | 'before'): ActivityPosition | null {
  if (!cursor) return null;
  const position = decodeActivityCursor(cursor);
  if (!position) throw ValidationError.single(field, 'is not a cursor of this list (take it from `pageInfo` or an edge)');
  return position;
}

function olderThan(position: ActivityPosition): Prisma.ConversationWhereInput {
  return { OR: [{ lastMessageAt: { lt: position.lastMessageAt } }, { lastMessageAt: position.lastMessageAt, id: { lt: position.id } }] };
}

function newerThan(position: ActivityPosition): Prisma.ConversationWhereInput {
  return { OR: [{ lastMessageAt: { gt: position.lastMessageAt } }, { lastMessageAt: position.lastMessageAt, id: { gt: position.id } }] };
}
