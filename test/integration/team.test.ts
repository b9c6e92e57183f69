import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AcceptInvitationDocument,
  ChangeMemberRoleDocument,
  ConfirmMobileDocument,
  CreateApiKeyDocument,
  InvitationsDocument,
  InviteMemberDocument,
  RefreshSessionDocument,
  RemoveMemberDocument,
  RevokeInvitationDocument,
  TeamMembersDocument,
  type Role,
} from '../../codegen/generated/operations.js';
import { createTenant, lastCodeSentTo, randomFrenchMobile, type Tenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform?.stop();
});

const sql = <Row extends object>(text: string, values: unknown[] = []) => platform.sql<Row>(text, values);

function client(token: string): ApiClient {
  return apiClient(platform.graphqlUrl, `Bearer ${token}`);
}

/** The token of the last invitation e-mail to this address, read from the outbox. */
async function invitationToken(email: string): Promise<string> {
  const [row] = await sql<{ body: string; subject: string }>(
    `SELECT body, subject FROM outbound_email WHERE recipient = $1 AND purpose = 'TEAM_INVITATION' ORDER BY created_at DESC LIMIT 1`,
    [email],
  );
  const token = /token: (\S+)/.exec(row?.body ?? '')?.[1];
  if (!token) throw new Error(`no invitation e-mail to ${email}`);
  return token;
}

function newEmail(): string {
  return `member-${randomBytes(5).toString('hex')}@example-corp.fr`;
}

interface Member {
  userId: string;
  email: string;
  api: ApiClient;
}

/** Invites a new person with `role`, accepts as a new user, confirms the mobile: a logged-in member. */
async function addMember(inviter: ApiClient, role: Role): Promise<Member> {
  const email = newEmail();
  const invited = (await inviter.request(InviteMemberDocument, { input: { email, role } })).inviteMember;
  if (invited.__typename !== 'MutationInviteMemberSuccess') throw new Error(JSON.stringify(invited));
  const mobile = randomFrenchMobile();
  const accepted = (
    await apiClient(platform.graphqlUrl).request(AcceptInvitationDocument, {
      input: { token: await invitationToken(email), password: 'a long enough password', firstName: 'Paul', lastName: 'Durand', mobile },
    })
  ).acceptInvitation;
  if (accepted.__typename !== 'MutationAcceptInvitationSuccess' || !accepted.data.confirmationId) throw new Error(JSON.stringify(accepted));
  const confirmed = (
    await apiClient(platform.graphqlUrl).request(ConfirmMobileDocument, {
      input: { confirmationId: accepted.data.confirmationId, code: await lastCodeSentTo(platform, mobile) },
    })
  ).confirmMobile;
  if (confirmed.__typename !== 'MutationConfirmMobileSuccess') throw new Error(JSON.stringify(confirmed));
  expect(confirmed.data.role).toBe(role);
  return { userId: confirmed.data.user.id, email, api: client(confirmed.data.accessToken) };
}

async function premiumTenant(): Promise<{ tenant: Tenant; owner: ApiClient }> {
  const tenant = await createTenant(platform);
  // More room than Standard's 3 members for the role tests.
  await sql(`UPDATE account SET plan_code = 'GOLD' WHERE id = $1`, [tenant.accountUuid]);
  return { tenant, owner: client(tenant.accessToken) };
}

describe('invitations', () => {
  it('stores only a hash of the token, queues the e-mail, and a new user joins after confirming their mobile', async () => {
    const { owner, tenant } = await premiumTenant();
    const member = await addMember(owner, 'MANAGER');
    const [stored] = await sql<{ token_hash: string; accepted_at: Date | null }>(`SELECT token_hash, accepted_at FROM invitation WHERE email = $1`, [member.email]);
    expect(stored?.token_hash).toBe(createHash('sha256').update(await invitationToken(member.email)).digest('base64url'));
    expect(stored?.accepted_at).not.toBeNull();
    const members = (await owner.request(TeamMembersDocument)).me.account.members?.edges.map(({ node }) => [node.user.email, node.role]);
    expect(members).toEqual([
      [tenant.email, 'OWNER'],
      [member.email, 'MANAGER'],
    ]);
    const invitations = (await owner.request(InvitationsDocument)).invitations.edges.map(({ node }) => [node.email, node.state]);
    expect(invitations).toEqual([[member.email, 'ACCEPTED']]);
  });

  it('lets an existing user join with their password and gives a session in the new account', async () => {
    const { owner, tenant } = await premiumTenant();
    const other = await createTenant(platform);
    await owner.request(InviteMemberDocument, { input: { email: other.email, role: 'ANALYST' } });
    const token = await invitationToken(other.email);
    const wrong = (await apiClient(platform.graphqlUrl).request(AcceptInvitationDocument, { input: { token, password: 'not the password' } })).acceptInvitation;
    expect(wrong).toMatchObject({ __typename: 'InvalidCredentialsError' });
    const accepted = (await apiClient(platform.graphqlUrl).request(AcceptInvitationDocument, { input: { token, password: other.password } })).acceptInvitation;
    if (accepted.__typename !== 'MutationAcceptInvitationSuccess') throw new Error(JSON.stringify(accepted));
    expect(accepted.data.session).toMatchObject({ role: 'ANALYST', account: { id: tenant.accountId } });
    const again = (await apiClient(platform.graphqlUrl).request(AcceptInvitationDocument, { input: { token, password: other.password } })).acceptInvitation;
    expect(again).toMatchObject({ __typename: 'InvitationInvalidError', reason: 'ALREADY_ACCEPTED' });
  });

  it('refuses to invite an existing member', async () => {
    const { owner, tenant } = await premiumTenant();
    const refused = (await owner.request(InviteMemberDocument, { input: { email: tenant.email.toUpperCase(), role: 'AGENT' } })).inviteMember;
    if (refused.__typename !== 'ValidationError') throw new Error(JSON.stringify(refused));
    expect(refused.problems).toEqual([{ field: 'email', message: 'is already a member of this account' }]);
  });

  it('refuses an unknown, revoked or expired token', async () => {
    const { owner } = await premiumTenant();
    const anonymous = apiClient(platform.graphqlUrl);
    const unknown = (await anonymous.request(AcceptInvitationDocument, { input: { token: 'nope', password: 'whatever-password' } })).acceptInvitation;
    expect(unknown).toMatchObject({ reason: 'NOT_FOUND' });

    const revokedEmail = newEmail();
    const invited = (await owner.request(InviteMemberDocument, { input: { email: revokedEmail, role: 'AGENT' } })).inviteMember;
    if (invited.__typename !== 'MutationInviteMemberSuccess') throw new Error(JSON.stringify(invited));
    await owner.request(RevokeInvitationDocument, { input: { invitationId: invited.data.id } });
    const revoked = (await anonymous.request(AcceptInvitationDocument, { input: { token: await invitationToken(revokedEmail), password: 'whatever-password' } }))
      .acceptInvitation;
    expect(revoked).toMatchObject({ reason: 'REVOKED' });

    const expiredEmail = newEmail();
    await owner.request(InviteMemberDocument, { input: { email: expiredEmail, role: 'AGENT' } });
    await sql(`UPDATE invitation SET expires_at = now() - interval '1 second' WHERE email = $1`, [expiredEmail]);
    const expired = (await anonymous.request(AcceptInvitationDocument, { input: { token: await invitationToken(expiredEmail), password: 'whatever-password' } }))
      .acceptInvitation;
    expect(expired).toMatchObject({ reason: 'EXPIRED' });
  });

  it('asks a new user for their name, a real mobile and a long enough password', async () => {
    const { owner } = await premiumTenant();
    const email = newEmail();
    await owner.request(InviteMemberDocument, { input: { email, role: 'AGENT' } });
    const refused = (await apiClient(platform.graphqlUrl).request(AcceptInvitationDocument, { input: { token: await invitationToken(email), password: 'short', mobile: '+33145678901' } }))
      .acceptInvitation;
    if (refused.__typename !== 'ValidationError') throw new Error(JSON.stringify(refused));
    expect(refused.problems.map((problem) => problem.field).sort()).toEqual(['firstName', 'lastName', 'mobile', 'password']);
  });

  it('counts members and pending invitations against the plan limit', async () => {
    const tenant = await createTenant(platform); // Standard: 3 members, owner included
    const owner = client(tenant.accessToken);
    await owner.request(InviteMemberDocument, { input: { email: newEmail(), role: 'AGENT' } });
    await owner.request(InviteMemberDocument, { input: { email: newEmail(), role: 'AGENT' } });
    const third = (await owner.request(InviteMemberDocument, { input: { email: newEmail(), role: 'AGENT' } })).inviteMember;
    expect(third).toMatchObject({ __typename: 'PlanLimitError', limit: 'teamMembers', allowed: 3 });
  });
});

describe('rights of each role over the team', () => {
  it('owner: grants any role, including OWNER and ADMIN', async () => {
    const { owner } = await premiumTenant();
    const admin = await addMember(owner, 'ADMIN');
    const granted = (await owner.request(ChangeMemberRoleDocument, { input: { userId: admin.userId, role: 'OWNER' } })).changeMemberRole;
    expect(granted).toMatchObject({ data: { role: 'OWNER' } });
  });

  it('admin: invites and manages non-privileged roles, but cannot grant OWNER or ADMIN nor touch an owner', async () => {
    const { owner, tenant } = await premiumTenant();
    const admin = await addMember(owner, 'ADMIN');
    const agent = await addMember(admin.api, 'AGENT');
    expect((await admin.api.request(ChangeMemberRoleDocument, { input: { userId: agent.userId, role: 'MANAGER' } })).changeMemberRole).toMatchObject({
      data: { role: 'MANAGER' },
    });
    const escalateInvite = (await admin.api.request(InviteMemberDocument, { input: { email: newEmail(), role: 'ADMIN' } })).inviteMember;
    expect(escalateInvite).toMatchObject({ __typename: 'PermissionDeniedError', code: 'PERMISSION_DENIED' });
    const escalateRole = (await admin.api.request(ChangeMemberRoleDocument, { input: { userId: agent.userId, role: 'OWNER' } })).changeMemberRole;
    expect(escalateRole).toMatchObject({ __typename: 'PermissionDeniedError' });
    const selfPromotion = (await admin.api.request(ChangeMemberRoleDocument, { input: { userId: admin.userId, role: 'OWNER' } })).changeMemberRole;
    expect(selfPromotion).toMatchObject({ __typename: 'PermissionDeniedError' });
    const demoteOwner = (await admin.api.request(ChangeMemberRoleDocument, { input: { userId: tenant.userId, role: 'AGENT' } })).changeMemberRole;
    expect(demoteOwner).toMatchObject({ __typename: 'PermissionDeniedError' });
    const removeOwner = (await admin.api.request(RemoveMemberDocument, { input: { userId: tenant.userId } })).removeMember;
    expect(removeOwner).toMatchObject({ __typename: 'PermissionDeniedError' });
    expect((await admin.api.request(RemoveMemberDocument, { input: { userId: agent.userId } })).removeMember).toMatchObject({
      data: { userId: agent.userId },
    });
  });

  it.each(['MANAGER', 'AGENT', 'ANALYST', 'BILLING'] as const)('%s: cannot invite, change roles or remove members', async (role) => {
    const { owner, tenant } = await premiumTenant();
    const member = await addMember(owner, role);
    const denied = { extensions: { code: 'PERMISSION_DENIED' }, message: expect.stringMatching(/team:manage/) };
    expect((await member.api.errors(InviteMemberDocument, { input: { email: newEmail(), role: 'AGENT' } }))[0]).toMatchObject(denied);
    expect((await member.api.errors(ChangeMemberRoleDocument, { input: { userId: member.userId, role: 'ADMIN' } }))[0]).toMatchObject(denied);
    expect((await member.api.errors(RemoveMemberDocument, { input: { userId: tenant.userId } }))[0]).toMatchObject(denied);
    const members = (await owner.request(TeamMembersDocument)).me.account.members?.edges.map(({ node }) => node.role);
    expect(members).toEqual(['OWNER', role]);
    expect((await member.api.errors(InvitationsDocument))[0]?.extensions).toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('an API key cannot invite (invitations come from a person)', async () => {
    const { owner } = await premiumTenant();
    const key = (await owner.request(CreateApiKeyDocument, { input: { name: 'k', role: 'ADMIN' } })).createApiKey;
    if (key.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(key));
    const denied = await client(key.data.secret).errors(InviteMemberDocument, { input: { email: newEmail(), role: 'AGENT' } });
    expect(denied[0]).toMatchObject({ extensions: { code: 'PERMISSION_DENIED' }, message: expect.stringMatching(/logged-in user/) });
  });
});

describe('owners', () => {
  it('the last owner can be neither demoted nor removed; with a second owner they can', async () => {
    const { owner, tenant } = await premiumTenant();
    expect((await owner.request(ChangeMemberRoleDocument, { input: { userId: tenant.userId, role: 'ADMIN' } })).changeMemberRole).toMatchObject({
      __typename: 'LastOwnerError',
    });
    expect((await owner.request(RemoveMemberDocument, { input: { userId: tenant.userId } })).removeMember).toMatchObject({ __typename: 'LastOwnerError' });

    const second = await addMember(owner, 'OWNER');
    expect((await second.api.request(ChangeMemberRoleDocument, { input: { userId: tenant.userId, role: 'ADMIN' } })).changeMemberRole).toMatchObject({
      data: { role: 'ADMIN' },
    });
  });

  it('two owners demoting each other at the same time still leave one owner', async () => {
    const { owner, tenant } = await premiumTenant();
    const second = await addMember(owner, 'OWNER');
    const results = await Promise.all([
      owner.request(ChangeMemberRoleDocument, { input: { userId: second.userId, role: 'ADMIN' } }),
      second.api.request(ChangeMemberRoleDocument, { input: { userId: tenant.userId, role: 'ADMIN' } }),
    ]);
    expect(results.map((result) => result.changeMemberRole.__typename).sort()).toEqual(['LastOwnerError', 'MutationChangeMemberRoleSuccess']);
    const [owners] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM membership WHERE account_id = $1 AND role = 'OWNER'`, [tenant.accountUuid]);
    expect(owners?.n).toBe(1);
  });

  it('removing a member revokes their sessions in the account', async () => {
    const { owner } = await premiumTenant();
    const email = newEmail();
    await owner.request(InviteMemberDocument, { input: { email, role: 'AGENT' } });
    const mobile = randomFrenchMobile();
    const accepted = (
      await apiClient(platform.graphqlUrl).request(AcceptInvitationDocument, {
        input: { token: await invitationToken(email), password: 'a long enough password', firstName: 'A', lastName: 'B', mobile },
      })
    ).acceptInvitation;
    if (accepted.__typename !== 'MutationAcceptInvitationSuccess' || !accepted.data.confirmationId) throw new Error(JSON.stringify(accepted));
    const confirmed = (
      await apiClient(platform.graphqlUrl).request(ConfirmMobileDocument, {
        input: { confirmationId: accepted.data.confirmationId, code: await lastCodeSentTo(platform, mobile) },
      })
    ).confirmMobile;
    if (confirmed.__typename !== 'MutationConfirmMobileSuccess') throw new Error(JSON.stringify(confirmed));
    await owner.request(RemoveMemberDocument, { input: { userId: confirmed.data.user.id } });
    const refreshed = await apiClient(platform.graphqlUrl).request(RefreshSessionDocument, { input: { refreshToken: confirmed.data.refreshToken } });
    expect(refreshed.refreshSession).toMatchObject({ __typename: 'InvalidSessionError' });
  });
});
