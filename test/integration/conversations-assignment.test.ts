import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignConversationDocument,
  ChangeMemberRoleDocument,
  CloseConversationDocument,
  ConfigureConversationAssignmentDocument,
  ConversationAssignmentDocument,
  ConversationDocument,
  ConversationUpdatedDocument,
  RemoveMemberDocument,
  type ConfigureConversationAssignmentInput,
} from '../../codegen/generated/operations.js';
import { collect, startTestPlatform, wsClient, type ApiClient, type TestPlatform } from '../support/platform.js';
import { conversationHelpers, type Member } from './conversations-support.js';

/**
 * Who gets a conversation: capacity on manual assignment, the least busy agent, and what happens
 * to a member's conversations when they leave the team. Conversations are written in SQL as
 * replies would leave them (open, waiting in the queue); everything else goes through the API.
 */
let platform: TestPlatform;

beforeAll(async () => {
  // A small default capacity, so that an agent outside the rotation reaches it in a few steps.
  platform = await startTestPlatform({ CONVERSATION_AGENT_CAPACITY: '2' });
});

afterAll(async () => {
  await platform?.stop();
});

const { org, addMember, seedConversations } = conversationHelpers(() => platform);

async function configure(owner: ApiClient, input: ConfigureConversationAssignmentInput) {
  const result = (await owner.request(ConfigureConversationAssignmentDocument, { input })).configureConversationAssignment;
  if (result.__typename !== 'MutationConfigureConversationAssignmentSuccess') throw new Error(JSON.stringify(result));
  return result.data;
}

async function assigneeOf(owner: ApiClient, id: string): Promise<string | null> {
  const { conversation } = await owner.request(ConversationDocument, { id });
  return conversation?.assignedAgent?.id ?? null;
}

async function assignees(owner: ApiClient, ids: string[]): Promise<(string | null)[]> {
  return Promise.all(ids.map((id) => assigneeOf(owner, id)));
}

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

describe('conversation assignment', () => {
  it('a manual assignment respects the agent’s capacity: their seat’s, or the default outside the rotation', async () => {
    const a = await org();
    const seated = await addMember(a.owner, 'AGENT');
    const unseated = await addMember(a.owner, 'AGENT');
    await configure(a.owner, { mode: 'MANUAL', agents: [{ userId: seated.userId, capacity: 1 }] });
    const [c1, c2, c3, c4, closed] = await seedConversations(a.tenant.accountUuid, [
      { waitingSince: minutesAgo(5) },
      { waitingSince: minutesAgo(4) },
      { waitingSince: minutesAgo(3) },
      { waitingSince: minutesAgo(2) },
      { status: 'CLOSED' },
    ]);
    const assign = async (conversationId: string, member: Member | null) =>
      (await a.owner.request(AssignConversationDocument, { input: { conversationId, userId: member?.userId ?? null } })).assignConversation;

    expect(await assign(c1!, seated)).toMatchObject({ __typename: 'MutationAssignConversationSuccess', data: { assignedAgent: { id: seated.userId } } });
    expect(await assign(c2!, seated)).toMatchObject({
      __typename: 'AgentAtCapacityError',
      code: 'AGENT_AT_CAPACITY',
      userId: seated.userId,
      capacity: 1,
      openConversations: 1,
    });
    // Giving them the conversation they already have, or a closed one, takes no seat.
    expect((await assign(c1!, seated)).__typename).toBe('MutationAssignConversationSuccess');
    expect((await assign(closed!, seated)).__typename).toBe('MutationAssignConversationSuccess');

    // Outside the rotation: CONVERSATION_AGENT_CAPACITY (2 on this platform).
    expect((await assign(c2!, unseated)).__typename).toBe('MutationAssignConversationSuccess');
    expect((await assign(c3!, unseated)).__typename).toBe('MutationAssignConversationSuccess');
    expect(await assign(c4!, unseated)).toMatchObject({ __typename: 'AgentAtCapacityError', capacity: 2, openConversations: 2 });
    expect(await assigneeOf(a.owner, c4!)).toBeNull();

    // A seat freed (closed, or given back to the queue) takes the next one.
    expect((await seated.api.request(CloseConversationDocument, { id: c1! })).closeConversation.__typename).toBe('MutationCloseConversationSuccess');
    expect((await assign(c4!, seated)).__typename).toBe('MutationAssignConversationSuccess');
    expect((await assign(c2!, null)).__typename).toBe('MutationAssignConversationSuccess');
    expect(await assign(c2!, unseated)).toMatchObject({ __typename: 'MutationAssignConversationSuccess', data: { assignedAgent: { id: unseated.userId } } });
  });

  it('least busy: each waiting conversation goes to the agent with the fewest open ones, oldest first', async () => {
    const a = await org();
    const busy = await addMember(a.owner, 'AGENT');
    const idle = await addMember(a.owner, 'AGENT');
    // The busy agent already has two open conversations (and a closed one, which does not count).
    await seedConversations(a.tenant.accountUuid, [{ assignedTo: busy.userId }, { assignedTo: busy.userId }, { assignedTo: busy.userId, status: 'CLOSED' }]);
    const waiting = await seedConversations(a.tenant.accountUuid, [
      { waitingSince: minutesAgo(30) },
      { waitingSince: minutesAgo(20) },
      { waitingSince: minutesAgo(10) },
      { waitingSince: minutesAgo(5) },
      { waitingSince: minutesAgo(1) },
    ]);

    const configured = await configure(a.owner, {
      mode: 'LEAST_BUSY',
      agents: [
        { userId: busy.userId, capacity: 3 },
        { userId: idle.userId, capacity: 3 },
      ],
    });
    // Idle 0 vs busy 2: idle, idle; then 2 each, the one assigned longest ago (busy, never by the
    // rotation): busy; then idle (2 vs 3 - busy is full); then nobody has room. Round robin would
    // have alternated from the first agent of the rotation instead: busy, idle, busy, idle.
    expect(await assignees(a.owner, waiting)).toEqual([idle.userId, idle.userId, busy.userId, idle.userId, null]);
    expect(Object.fromEntries(configured.agents.map((agent) => [agent.user.id, agent.openConversations]))).toEqual({ [busy.userId]: 3, [idle.userId]: 3 });

    // A seat frees up: the last waiting conversation goes to whoever has room.
    expect((await idle.api.request(CloseConversationDocument, { id: waiting[0]! })).closeConversation.__typename).toBe('MutationCloseConversationSuccess');
    expect(await assigneeOf(a.owner, waiting[4]!)).toBe(idle.userId);
  });

  it('a member who leaves gives their conversations back: handed out again by the rotation, or left in the queue', async () => {
    const a = await org();
    const leaving = await addMember(a.owner, 'AGENT');
    const staying = await addMember(a.owner, 'AGENT');
    await configure(a.owner, {
      mode: 'ROUND_ROBIN',
      agents: [
        { userId: leaving.userId, capacity: 5 },
        { userId: staying.userId, capacity: 5 },
      ],
    });
    const [open1, open2, closed] = await seedConversations(a.tenant.accountUuid, [
      { assignedTo: leaving.userId },
      { assignedTo: leaving.userId },
      { assignedTo: leaving.userId, status: 'CLOSED' },
    ]);
    const stayingUpdates = collect(wsClient(platform.wsUrl, `Bearer ${staying.token}`), ConversationUpdatedDocument, {});
    const ownerUpdates = collect(wsClient(platform.wsUrl, `Bearer ${a.tenant.accessToken}`), ConversationUpdatedDocument, {});
    await new Promise((resolve) => setTimeout(resolve, 300));

    const removed = (await a.owner.request(RemoveMemberDocument, { input: { userId: leaving.userId } })).removeMember;
    expect(removed.__typename).toBe('MutationRemoveMemberSuccess');
    // The one agent left in the rotation takes both open ones; the closed one is nobody's now
    // (a reply reopening it must not go to someone who left).
    expect(await assignees(a.owner, [open1!, open2!, closed!])).toEqual([staying.userId, staying.userId, null]);
    const { conversationAssignment } = await a.owner.request(ConversationAssignmentDocument, {});
    expect(conversationAssignment.agents).toEqual([{ capacity: 5, openConversations: 2, user: { id: staying.userId } }]);
    await stayingUpdates.next(2);
    expect(stayingUpdates.received.map((event) => [event.conversationUpdated.id, event.conversationUpdated.assignedAgent?.id])).toEqual(
      expect.arrayContaining([
        [open1, staying.userId],
        [open2, staying.userId],
      ]),
    );
    await ownerUpdates.next(3);

    // Manual mode: what a leaving member had waits in the queue.
    const manual = await org();
    const agent = await addMember(manual.owner, 'AGENT');
    const other = await addMember(manual.owner, 'AGENT');
    await configure(manual.owner, { mode: 'MANUAL', agents: [{ userId: other.userId, capacity: 5 }] });
    const [theirs] = await seedConversations(manual.tenant.accountUuid, [{ assignedTo: agent.userId }]);
    // A role that may not answer conversations gives them back the same way.
    const demoted = (await manual.owner.request(ChangeMemberRoleDocument, { input: { userId: agent.userId, role: 'ANALYST' } })).changeMemberRole;
    expect(demoted.__typename).toBe('MutationChangeMemberRoleSuccess');
    const { conversation } = await manual.owner.request(ConversationDocument, { id: theirs! });
    expect(conversation).toMatchObject({ status: 'OPEN', assignedAgent: null, waitingSince: expect.any(String) });
  });
});
