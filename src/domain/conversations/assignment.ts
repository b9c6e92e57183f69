/**
 * Assignment of conversations to agents (SPEC section 8).
 *
 * - Manual: a member with `conversations:assign` gives a conversation to a member whose role
 *   may answer conversations (or takes it back to the queue).
 * - Automatic: an account picks ROUND_ROBIN (the agent of the rotation assigned longest ago) or
 *   LEAST_BUSY (fewest open conversations, then longest ago), and lists its agents with their
 *   capacity (open conversations at once). A conversation that no agent can take waits; waiting
 *   conversations are handed out oldest first whenever an agent frees up (a conversation closed
 *   or moved, an agent added or given more room).
 *
 * Assignment changes of one account are serialised by a transaction-level advisory lock, so two
 * workers never give one agent more than their capacity. Lock order, against deadlocks: the
 * conversation rows a write changes first (an inbound reply, a close, a manual assignment), then
 * the account's advisory lock, and only then the rotation's rows; holding the advisory lock, a
 * waiting conversation is taken with SKIP LOCKED (one locked by another write is that write's to
 * hand out).
 */
import { config } from '../../config.js';
import { prisma, type Transaction } from '../../db/client.js';
import type { ConversationAssignmentMode, Role } from '../../generated/prisma/enums.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { NotFoundError, ValidationError, type FieldProblem } from '../errors.js';
import { ROLE_PERMISSIONS } from '../permissions.js';
import { AgentAtCapacityError } from './conversation-errors.js';
import { publishConversationUpdates, type ConversationChange } from './conversation-events.js';

/** Roles that may answer conversations: the only ones a conversation can be assigned to. */
export const AGENT_ROLES: readonly Role[] = (Object.keys(ROLE_PERMISSIONS) as Role[]).filter((role) => ROLE_PERMISSIONS[role].includes('conversations:reply'));

export interface Assignment {
  conversationId: string;
  accountId: string;
  userId: string;
}

/**
 * Hands waiting conversations (open, unassigned) of these accounts to agents with room, oldest
 * first, following each account's mode; MANUAL accounts are left alone. Runs in the caller's
 * transaction; returns what it assigned.
 */
export async function assignWaitingConversations(tx: Transaction, accountIds: readonly string[]): Promise<Assignment[]> {
  const assigned: Assignment[] = [];
  for (const accountId of [...new Set(accountIds)].sort()) {
    const settings = await tx.conversationSettings.findUnique({ where: { accountId } });
    if (!settings || settings.assignmentMode === 'MANUAL') continue;
    await lockAssignments(tx, accountId);
    // One conversation per statement: each hand-out changes the load the next one is chosen by.
    // The loop ends when nothing waits or no agent has room (at most one turn per free seat).
    for (;;) {
      const rows = await tx.$queryRawUnsafe<{ id: string; user_id: string }[]>(
        `WITH next AS (
           SELECT id FROM conversation
            WHERE account_id = $1::uuid AND status = 'OPEN' AND assigned_user_id IS NULL
            ORDER BY waiting_since NULLS LAST, created_at, id
            LIMIT 1
            FOR UPDATE SKIP LOCKED
         ), agent AS (
           SELECT a.user_id
             FROM conversation_agent a
             JOIN membership mb ON mb.account_id = a.account_id AND mb.user_id = a.user_id AND mb.role = ANY($2::"Role"[])
             CROSS JOIN LATERAL (
               SELECT count(*) AS open FROM conversation c
                WHERE c.account_id = a.account_id AND c.assigned_user_id = a.user_id AND c.status = 'OPEN'
             ) load
            WHERE a.account_id = $1::uuid AND load.open < a.capacity
            ORDER BY CASE WHEN $3::text = 'LEAST_BUSY' THEN load.open END, a.last_assigned_at NULLS FIRST, a.user_id
            LIMIT 1
         ), assigned AS (
           UPDATE conversation c SET assigned_user_id = agent.user_id, waiting_since = NULL
             FROM next, agent
            WHERE c.id = next.id
           RETURNING c.id, c.assigned_user_id
         ), turn AS (
           UPDATE conversation_agent a SET last_assigned_at = clock_timestamp()
             FROM assigned
            WHERE a.account_id = $1::uuid AND a.user_id = assigned.assigned_user_id
         )
         SELECT id::text, assigned_user_id::text AS user_id FROM assigned`,
        accountId,
        AGENT_ROLES,
        settings.assignmentMode,
      );
      const row = rows[0];
      if (!row) break;
      assigned.push({ conversationId: row.id, accountId, userId: row.user_id });
    }
  }
  return assigned;
}

/** Serialises the assignment changes of one account, until the transaction ends. */
async function lockAssignments(tx: Transaction, accountId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`conversation-assignment:${accountId}`}, 0))`;
}

/**
 * Throws AgentAtCapacityError when the member already has as many open conversations as their
 * capacity: their seat's in the rotation, CONVERSATION_AGENT_CAPACITY otherwise.
 */
async function ensureRoomFor(tx: Transaction, accountId: string, userId: string): Promise<void> {
  const [load] = await tx.$queryRaw<{ capacity: number | null; open: number }[]>`
    SELECT (SELECT capacity FROM conversation_agent WHERE account_id = ${accountId}::uuid AND user_id = ${userId}::uuid) AS capacity,
           (SELECT count(*)::int FROM conversation
             WHERE account_id = ${accountId}::uuid AND assigned_user_id = ${userId}::uuid AND status = 'OPEN') AS open`;
  const capacity = load?.capacity ?? config.twoWay.defaultAgentCapacity;
  const open = load?.open ?? 0;
  if (open >= capacity) throw new AgentAtCapacityError(userId, capacity, open);
}

/**
 * A member leaves the account (or takes a role that may not answer conversations): their
 * conversations become nobody's, they leave the rotation, and their open conversations go back to
 * the queue and are handed out again at once when the account assigns automatically. In the
 * caller's transaction; publish the result with `publishReleasedConversations` after commit.
 */
export async function releaseMemberConversations(tx: Transaction, accountId: string, userId: string): Promise<ReleasedConversations> {
  // Rows first, then the account's lock (the order every write follows, see above).
  await tx.$queryRaw`SELECT id FROM conversation WHERE account_id = ${accountId}::uuid AND assigned_user_id = ${userId}::uuid FOR UPDATE`;
  await lockAssignments(tx, accountId);
  await tx.conversationAgent.deleteMany({ where: { accountId, userId } });
  // Also any handed to them since (by a hand-out that committed while this waited for the lock).
  const released = await tx.$queryRaw<{ id: string }[]>`
    UPDATE conversation
       SET assigned_user_id = NULL, waiting_since = CASE WHEN status = 'OPEN' THEN clock_timestamp() END
     WHERE account_id = ${accountId}::uuid AND assigned_user_id = ${userId}::uuid
    RETURNING id::text`;
  const handedOut = await assignWaitingConversations(tx, [accountId]);
  return { accountId, userId, conversationIds: released.map((row) => row.id), handedOut };
}

export interface ReleasedConversations {
  accountId: string;
  userId: string;
  conversationIds: string[];
  handedOut: Assignment[];
}

/** Events for released conversations (after commit): the member they left learns it, and each one's new agent. */
export function publishReleasedConversations(released: ReleasedConversations): void {
  const newAgent = new Map(released.handedOut.map((assignment) => [assignment.conversationId, assignment.userId]));
  publishConversationUpdates(
    released.conversationIds.map((conversationId) => ({
      accountId: released.accountId,
      conversationId,
      change: 'ASSIGNED' as ConversationChange,
      assignedUserId: newAgent.get(conversationId) ?? null,
      previousAssignedUserId: released.userId,
    })),
  );
  publishAssignments(released.handedOut.filter((assignment) => !released.conversationIds.includes(assignment.conversationId)));
}

/** Events for automatic hand-outs (after commit). */
export function publishAssignments(assignments: readonly Assignment[]): void {
  publishConversationUpdates(
    assignments.map((assignment) => ({
      accountId: assignment.accountId,
      conversationId: assignment.conversationId,
      change: 'ASSIGNED' as ConversationChange,
      assignedUserId: assignment.userId,
      previousAssignedUserId: null,
      // Automatic hand-outs take waiting conversations, from the queue.
      fromQueue: true,
    })),
  );
}

/** Throws a ValidationError on `field` unless the user is a member of the account whose role may answer conversations. */
export async function ensureAgent(tx: Transaction, accountId: string, userId: string, field: string): Promise<void> {
  const membership = await tx.membership.findUnique({ where: { userId_accountId: { userId, accountId } } });
  if (!membership) throw ValidationError.single(field, 'is not a member of this account');
  if (!AGENT_ROLES.includes(membership.role)) {
    throw ValidationError.single(field, `is a member with the ${membership.role} role, which may not answer conversations (roles that may: ${AGENT_ROLES.join(', ')})`);
  }
}

/**
 * Gives a conversation to an agent, or back to the queue with `userId` null (where automatic
 * assignment may pick it up again). The previous agent's freed seat goes to the oldest waiting
 * conversation.
 */
export async function assignConversation(actor: Actor, input: { conversationId: string; userId: string | null }): Promise<{ conversationId: string }> {
  requirePermission(actor, 'conversations:assign');
  const { updates, handedOut } = await prisma.$transaction(async (tx) => {
    const [conversation] = await tx.$queryRaw<{ assigned_user_id: string | null; status: string }[]>`
      SELECT assigned_user_id::text, status::text FROM conversation WHERE id = ${input.conversationId}::uuid AND account_id = ${actor.accountId}::uuid FOR UPDATE`;
    if (!conversation) throw new NotFoundError('Conversation');
    // The same lock as automatic hand-outs: the agent's load is counted and changed by one at a time.
    await lockAssignments(tx, actor.accountId);
    if (input.userId !== null) await ensureAgent(tx, actor.accountId, input.userId, 'userId');
    if (input.userId !== null && conversation.status === 'OPEN' && conversation.assigned_user_id !== input.userId) {
      await ensureRoomFor(tx, actor.accountId, input.userId);
    }
    await tx.conversation.update({
      where: { id: input.conversationId },
      data: { assignedUserId: input.userId, waitingSince: input.userId === null && conversation.status === 'OPEN' ? new Date() : null },
    });
    const handedOut = await assignWaitingConversations(tx, [actor.accountId]);
    return {
      updates: { previous: conversation.assigned_user_id, current: handedOut.find((a) => a.conversationId === input.conversationId)?.userId ?? input.userId },
      handedOut: handedOut.filter((a) => a.conversationId !== input.conversationId),
    };
  });
  publishConversationUpdates([
    {
      accountId: actor.accountId,
      conversationId: input.conversationId,
      change: 'ASSIGNED',
      assignedUserId: updates.current,
      previousAssignedUserId: updates.previous,
      fromQueue: updates.previous === null && updates.current !== null,
    },
  ]);
  publishAssignments(handedOut);
  return { conversationId: input.conversationId };
}

export interface AgentSeat {
  userId: string;
  /** Open conversations at once; default CONVERSATION_AGENT_CAPACITY. */
  capacity?: number | null;
}

export interface AssignmentSettingsInput {
  mode: ConversationAssignmentMode;
  /** The whole rotation: members not listed leave it (their conversations stay theirs). */
  agents: readonly AgentSeat[];
}

export const MAX_AGENT_CAPACITY = 10_000;

/** Sets the account's assignment mode and rotation, then hands out what waits. */
export async function configureConversationAssignment(actor: Actor, input: AssignmentSettingsInput): Promise<{ accountId: string }> {
  requirePermission(actor, 'conversations:assign');
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  input.agents.forEach((agent, index) => {
    if (seen.has(agent.userId)) problems.push({ field: `agents.${index}.userId`, message: 'is listed twice' });
    seen.add(agent.userId);
    const capacity = agent.capacity ?? config.twoWay.defaultAgentCapacity;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_AGENT_CAPACITY) {
      problems.push({ field: `agents.${index}.capacity`, message: `must be a whole number from 1 to ${MAX_AGENT_CAPACITY}` });
    }
  });
  if (problems.length > 0) throw new ValidationError(problems);
  const handedOut = await prisma.$transaction(async (tx) => {
    await lockAssignments(tx, actor.accountId);
    for (const [index, agent] of input.agents.entries()) await ensureAgent(tx, actor.accountId, agent.userId, `agents.${index}.userId`);
    await tx.conversationSettings.upsert({
      where: { accountId: actor.accountId },
      create: { accountId: actor.accountId, assignmentMode: input.mode },
      update: { assignmentMode: input.mode },
    });
    await tx.conversationAgent.deleteMany({ where: { accountId: actor.accountId, userId: { notIn: input.agents.map((agent) => agent.userId) } } });
    for (const agent of input.agents) {
      const capacity = agent.capacity ?? config.twoWay.defaultAgentCapacity;
      await tx.conversationAgent.upsert({
        where: { accountId_userId: { accountId: actor.accountId, userId: agent.userId } },
        create: { accountId: actor.accountId, userId: agent.userId, capacity },
        update: { capacity },
      });
    }
    return assignWaitingConversations(tx, [actor.accountId]);
  });
  publishAssignments(handedOut);
  return { accountId: actor.accountId };
}
