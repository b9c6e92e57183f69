/**
 * The counts behind an inbox's badges: open conversations, those with unread replies, and the
 * unread replies themselves, for the caller's own conversations and for the queue (open and
 * unassigned: every role that reads conversations sees it), and per agent for those who assign
 * conversations (owners, admins, managers). One grouped read of the account's open
 * conversations (index on account, status, assigned user); clients refetch it when
 * `conversationUpdated` tells them something moved.
 */
import { prisma } from '../../db/client.js';
import type { User } from '../../generated/prisma/client.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { can } from '../permissions.js';

export interface InboxCounts {
  open: number;
  unreadConversations: number;
  unreadMessages: number;
}

export interface AgentInboxCounts extends InboxCounts {
  agent: User;
}

export interface InboxSummary {
  /** Assigned to the caller (none for an API key). */
  mine: InboxCounts;
  /** Open and unassigned. */
  queue: InboxCounts;
  /** Per agent with open conversations; null when the caller may not assign conversations. */
  agents: AgentInboxCounts[] | null;
}

const NONE: InboxCounts = { open: 0, unreadConversations: 0, unreadMessages: 0 };

export async function inboxSummary(actor: Actor): Promise<InboxSummary> {
  requirePermission(actor, 'conversations:read');
  const rows = await prisma.$queryRaw<({ user_id: string | null } & InboxCounts)[]>`
    SELECT assigned_user_id::text AS user_id, count(*)::int AS open,
           count(*) FILTER (WHERE unread_count > 0)::int AS "unreadConversations", coalesce(sum(unread_count), 0)::int AS "unreadMessages"
      FROM conversation
     WHERE account_id = ${actor.accountId}::uuid AND status = 'OPEN'
     GROUP BY assigned_user_id`;
  const countsOf = (row: InboxCounts | undefined): InboxCounts =>
    row ? { open: row.open, unreadConversations: row.unreadConversations, unreadMessages: row.unreadMessages } : NONE;
  const mine = countsOf(actor.userId === null ? undefined : rows.find((row) => row.user_id === actor.userId));
  const queue = countsOf(rows.find((row) => row.user_id === null));
  if (!can(actor.role, 'conversations:assign')) return { mine, queue, agents: null };

  const assigned = rows.filter((row): row is typeof row & { user_id: string } => row.user_id !== null);
  const users = await prisma.user.findMany({ where: { id: { in: assigned.map((row) => row.user_id) } } });
  const byId = new Map(users.map((user) => [user.id, user]));
  const agents = assigned
    .flatMap((row) => {
      const agent = byId.get(row.user_id);
      return agent ? [{ agent, ...countsOf(row) }] : [];
    })
    .sort((a, b) => b.unreadMessages - a.unreadMessages || b.open - a.open || a.agent.email.localeCompare(b.agent.email));
  return { mine, queue, agents };
}
