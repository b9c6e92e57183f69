import { config } from '../config.js';
import { prisma, type Transaction } from '../db/client.js';
import type { Invitation, Membership } from '../generated/prisma/client.js';
import type { Role } from '../generated/prisma/enums.js';
import { queueEmail } from '../gateways/email.js';
import { dispatchServiceMessagesNow, queueServiceMessage } from '../gateways/service-messages.js';
import { confirmationText } from './accounts/sign-up.js';
import { AGENT_ROLES, publishReleasedConversations, releaseMemberConversations } from './conversations/assignment.js';
import { MIN_PASSWORD_LENGTH, normaliseEmail } from './accounts/sign-up-rules.js';
import { requirePermission, type Actor } from './auth/actor.js';
import { hashPassword, verifyAgainstNothing, verifyPassword } from './auth/passwords.js';
import { keyedHash, randomDigits, randomToken, sha256 } from './auth/secrets.js';
import { openSession, type Session } from './auth/sessions.js';
import { InvalidCredentialsError, InvitationInvalidError, LastOwnerError, NotFoundError, PermissionDeniedError, ValidationError } from './errors.js';
import { isMobileType, parsePhone } from './phone.js';
import { ensureWithinLimit, lockAccount } from './plans.js';

/**
 * The team of an account (SPEC section 16). Rules:
 * - `team:manage` (owners and admins) invites, changes roles and removes members;
 * - only an owner grants OWNER or ADMIN, and only an owner changes or removes an owner or admin;
 * - an account always keeps at least one owner;
 * - members and pending invitations together stay within the plan's `teamMembers`.
 * Limits and owner counts are checked under the account's row lock (`lockAccount`).
 */
const PRIVILEGED: ReadonlySet<Role> = new Set(['OWNER', 'ADMIN']);
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function ensureMayGrant(actor: Actor, role: Role): void {
  if (PRIVILEGED.has(role) && actor.role !== 'OWNER') {
    throw new PermissionDeniedError(`owner rights (only an owner grants the ${role} role)`, actor.role);
  }
}

function ensureMayChange(actor: Actor, member: Membership): void {
  if (PRIVILEGED.has(member.role) && actor.role !== 'OWNER') {
    throw new PermissionDeniedError(`owner rights (only an owner changes or removes an ${member.role.toLowerCase()})`, actor.role);
  }
}

function pendingInvitations(accountId: string, now: Date) {
  return { accountId, acceptedAt: null, revokedAt: null, expiresAt: { gt: now } };
}

export interface InvitationSent {
  invitation: Invitation;
}

/** Invites someone by e-mail; the e-mail (with a single-use token) goes to the outbox. */
export async function inviteMember(actor: Actor, input: { email: string; role: Role }): Promise<InvitationSent> {
  requirePermission(actor, 'team:manage');
  if (!actor.userId) throw new PermissionDeniedError('a logged-in user (not an API key)', actor.role);
  ensureMayGrant(actor, input.role);
  const email = normaliseEmail(input.email);
  if (!EMAIL_SHAPE.test(email)) throw ValidationError.single('email', 'is not a valid e-mail address');
  const token = randomToken(32);
  const now = new Date();
  const invitation = await prisma.$transaction(async (tx) => {
    const plan = await lockAccount(tx, actor.accountId);
    const existing = await tx.membership.findFirst({ where: { accountId: actor.accountId, user: { email } } });
    if (existing) throw ValidationError.single('email', 'is already a member of this account');
    // A new invitation to the same address replaces the pending one.
    await tx.invitation.updateMany({ where: { ...pendingInvitations(actor.accountId, now), email }, data: { revokedAt: now } });
    const members = await tx.membership.count({ where: { accountId: actor.accountId } });
    const invited = await tx.invitation.count({ where: pendingInvitations(actor.accountId, now) });
    await ensureWithinLimit(tx, plan, 'teamMembers', members + invited);
    const account = await tx.account.findUniqueOrThrow({ where: { id: actor.accountId }, select: { name: true } });
    const created = await tx.invitation.create({
      data: {
        accountId: actor.accountId,
        email,
        role: input.role,
        tokenHash: sha256(token),
        invitedById: actor.userId ?? '',
        expiresAt: new Date(now.getTime() + config.team.invitationTtlHours * 3600 * 1000),
      },
    });
    await queueEmail(tx, {
      recipient: email,
      subject: `You are invited to join ${account.name}`,
      body: [
        `You are invited to join ${account.name} as ${input.role.toLowerCase()}.`,
        `Your invitation token: ${token}`,
        `Accept it with the acceptInvitation mutation before ${created.expiresAt.toISOString()}.`,
      ].join('\n'),
      purpose: 'TEAM_INVITATION',
    });
    return created;
  });
  return { invitation };
}

export async function revokeInvitation(actor: Actor, invitationId: string): Promise<Invitation> {
  requirePermission(actor, 'team:manage');
  const invitation = await prisma.invitation.findFirst({ where: { id: invitationId, accountId: actor.accountId } });
  if (!invitation) throw new NotFoundError('Invitation');
  ensureMayGrant(actor, invitation.role);
  if (invitation.acceptedAt || invitation.revokedAt) return invitation;
  return prisma.invitation.update({ where: { id: invitation.id }, data: { revokedAt: new Date() } });
}

export interface AcceptInvitationInput {
  token: string;
  password: string;
  /** Required when no user has the invited e-mail yet. */
  firstName?: string | null;
  lastName?: string | null;
  mobile?: string | null;
}

export type AcceptedInvitation =
  | { kind: 'SESSION'; session: Session }
  | { kind: 'CONFIRM_MOBILE'; confirmationId: string; codeExpiresAt: Date };

/**
 * Accepts an invitation. An existing user proves it with their password and gets a session in
 * the account; a new user is created and, like at sign-up, confirms their mobile number with
 * the code sent to it (`confirmMobile`) before the first session.
 */
export async function acceptInvitation(input: AcceptInvitationInput): Promise<AcceptedInvitation> {
  const invitation = await prisma.invitation.findUnique({ where: { tokenHash: sha256(input.token.trim()) } });
  if (!invitation) throw new InvitationInvalidError('NOT_FOUND');
  if (invitation.acceptedAt) throw new InvitationInvalidError('ALREADY_ACCEPTED');
  if (invitation.revokedAt) throw new InvitationInvalidError('REVOKED');
  if (invitation.expiresAt <= new Date()) throw new InvitationInvalidError('EXPIRED');

  const user = await prisma.user.findUnique({ where: { email: invitation.email } });
  if (user) {
    if (!(await verifyPassword(user.passwordHash, input.password))) throw new InvalidCredentialsError();
    const accepted = await prisma.$transaction(async (tx): Promise<AcceptedInvitation> => {
      await joinAccount(tx, invitation, user.id);
      if (!user.mobileConfirmedAt) return { kind: 'CONFIRM_MOBILE' as const, ...(await sendMobileCode(tx, invitation.accountId, user.id, user.mobile)) };
      return { kind: 'SESSION' as const, session: await openSession(tx, user.id, invitation.accountId, invitation.role) };
    });
    if (accepted.kind === 'CONFIRM_MOBILE') dispatchServiceMessagesNow();
    return accepted;
  }

  await verifyAgainstNothing(input.password);
  const problems = [];
  const firstName = input.firstName?.trim() ?? '';
  const lastName = input.lastName?.trim() ?? '';
  if (!firstName) problems.push({ field: 'firstName', message: 'is required for a new user' });
  if (!lastName) problems.push({ field: 'lastName', message: 'is required for a new user' });
  if (input.password.length < MIN_PASSWORD_LENGTH) problems.push({ field: 'password', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` });
  const account = await prisma.account.findUniqueOrThrow({ where: { id: invitation.accountId }, select: { country: true } });
  let mobile: string | null = null;
  if (!input.mobile) problems.push({ field: 'mobile', message: 'is required for a new user' });
  else {
    const parsed = parsePhone(input.mobile, { defaultCountry: account.country });
    if (!parsed.ok) problems.push({ field: 'mobile', message: parsed.message });
    else if (!isMobileType(parsed.phone.type)) problems.push({ field: 'mobile', message: `must be a mobile number (${parsed.phone.e164} is not)` });
    else mobile = parsed.phone.e164;
  }
  if (problems.length > 0 || !mobile) throw new ValidationError(problems);
  const passwordHash = await hashPassword(input.password);
  const accepted = await prisma.$transaction(async (tx) => {
    const created = await tx.user.create({ data: { email: invitation.email, passwordHash, firstName, lastName, mobile } });
    await joinAccount(tx, invitation, created.id);
    return { kind: 'CONFIRM_MOBILE' as const, ...(await sendMobileCode(tx, invitation.accountId, created.id, mobile)) };
  });
  dispatchServiceMessagesNow();
  return accepted;
}

async function joinAccount(tx: Transaction, invitation: Invitation, userId: string): Promise<void> {
  const plan = await lockAccount(tx, invitation.accountId);
  // Claimed once, even when the same token is presented twice at the same time.
  const claimed = await tx.invitation.updateMany({ where: { id: invitation.id, acceptedAt: null, revokedAt: null }, data: { acceptedAt: new Date() } });
  if (claimed.count === 0) throw new InvitationInvalidError('ALREADY_ACCEPTED');
  if (await tx.membership.findUnique({ where: { userId_accountId: { userId, accountId: invitation.accountId } } })) {
    throw ValidationError.single('token', 'you are already a member of this account');
  }
  await ensureWithinLimit(tx, plan, 'teamMembers', await tx.membership.count({ where: { accountId: invitation.accountId } }));
  await tx.membership.create({ data: { userId, accountId: invitation.accountId, role: invitation.role } });
}

/** Queues the code in the transaction; the caller calls dispatchServiceMessagesNow() after commit. */
async function sendMobileCode(
  tx: Transaction,
  accountId: string,
  userId: string,
  mobile: string,
): Promise<{ confirmationId: string; codeExpiresAt: Date }> {
  const code = randomDigits(6);
  const codeExpiresAt = new Date(Date.now() + config.auth.mobileCodeTtlSeconds * 1000);
  const confirmation = await tx.mobileConfirmation.create({ data: { userId, codeHash: keyedHash(code), expiresAt: codeExpiresAt } });
  await queueServiceMessage(tx, { accountId, recipient: mobile, body: confirmationText(code), purpose: 'MOBILE_CONFIRMATION' });
  return { confirmationId: confirmation.id, codeExpiresAt };
}

async function lockedMember(tx: Transaction, actor: Actor, userId: string): Promise<Membership> {
  await lockAccount(tx, actor.accountId);
  const member = await tx.membership.findUnique({ where: { userId_accountId: { userId, accountId: actor.accountId } } });
  if (!member) throw new NotFoundError('Member');
  return member;
}

async function ensureAnotherOwner(tx: Transaction, member: Membership): Promise<void> {
  if (member.role !== 'OWNER') return;
  const owners = await tx.membership.count({ where: { accountId: member.accountId, role: 'OWNER' } });
  if (owners <= 1) throw new LastOwnerError();
}

/**
 * Changes a member's role; applies to their sessions at the next refresh (access tokens live
 * minutes). A role that may not answer conversations gives theirs back to the queue.
 */
export async function changeMemberRole(actor: Actor, input: { userId: string; role: Role }): Promise<Membership> {
  requirePermission(actor, 'team:manage');
  ensureMayGrant(actor, input.role);
  const { membership, released } = await prisma.$transaction(async (tx) => {
    const member = await lockedMember(tx, actor, input.userId);
    ensureMayChange(actor, member);
    if (input.role !== 'OWNER') await ensureAnotherOwner(tx, member);
    const membership = await tx.membership.update({ where: { id: member.id }, data: { role: input.role } });
    const released = AGENT_ROLES.includes(input.role) ? null : await releaseMemberConversations(tx, actor.accountId, member.userId);
    return { membership, released };
  });
  if (released) publishReleasedConversations(released);
  return membership;
}

/**
 * Removes a member and revokes their sessions in this account. Their conversations go back to
 * the queue (and to other agents, when the account assigns automatically).
 */
export async function removeMember(actor: Actor, input: { userId: string }): Promise<{ userId: string }> {
  requirePermission(actor, 'team:manage');
  const { userId, released } = await prisma.$transaction(async (tx) => {
    const member = await lockedMember(tx, actor, input.userId);
    ensureMayChange(actor, member);
    await ensureAnotherOwner(tx, member);
    await tx.membership.delete({ where: { id: member.id } });
    await tx.refreshToken.updateMany({ where: { userId: member.userId, accountId: actor.accountId, revokedAt: null }, data: { revokedAt: new Date() } });
    return { userId: member.userId, released: await releaseMemberConversations(tx, actor.accountId, member.userId) };
  });
  publishReleasedConversations(released);
  return { userId };
}
