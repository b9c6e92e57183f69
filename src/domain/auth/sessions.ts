import { randomUUID } from 'node:crypto';
import { config } from '../../config.js';
import { prisma, type Db } from '../../db/client.js';
import type { Role } from '../../generated/prisma/enums.js';
import { InvalidCredentialsError, InvalidSessionError, MobileNotConfirmedError } from '../errors.js';
import { normaliseEmail } from '../accounts/sign-up-rules.js';
import { effectiveRole } from './account-access.js';
import { issueAccessToken } from './access-tokens.js';
import { verifyAgainstNothing, verifyPassword } from './passwords.js';
import { randomToken, sha256 } from './secrets.js';

export interface Session {
  userId: string;
  accountId: string;
  role: Role;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

/** Opens a session: a short-lived access token and the first refresh token of a new family. */
export async function openSession(db: Db, userId: string, accountId: string, role: Role, familyId: string = randomUUID()): Promise<Session> {
  const refreshToken = randomToken(32);
  const refreshTokenExpiresAt = new Date(Date.now() + config.auth.refreshTokenTtlSeconds * 1000);
  await db.refreshToken.create({
    data: { familyId, userId, accountId, tokenHash: sha256(refreshToken), expiresAt: refreshTokenExpiresAt },
  });
  const access = await issueAccessToken({ userId, accountId, role });
  return {
    userId,
    accountId,
    role,
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt,
  };
}

/**
 * E-mail and password. Both failures give the same error after the same work, so the answer
 * does not tell whether the e-mail exists. `accountId` picks one of the user's accounts
 * (default: the oldest membership, normally the one the user opened).
 */
export async function logIn(input: { email: string; password: string; accountId?: string | null }): Promise<Session> {
  const user = await prisma.user.findUnique({
    where: { email: normaliseEmail(input.email) },
    include: { memberships: { orderBy: { createdAt: 'asc' }, include: { account: true } } },
  });
  if (!user) {
    await verifyAgainstNothing(input.password);
    throw new InvalidCredentialsError();
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) throw new InvalidCredentialsError();
  if (!user.mobileConfirmedAt) throw new MobileNotConfirmedError();
  const membership = input.accountId
    ? user.memberships.find((candidate) => candidate.accountId === input.accountId)
    : user.memberships.find((candidate) => candidate.account.status === 'ACTIVE');
  if (!membership || membership.account.status !== 'ACTIVE') throw new InvalidCredentialsError();
  return openSession(prisma, user.id, membership.accountId, membership.role);
}

/**
 * Exchanges a refresh token for a new pair. A token is good once: presenting a rotated or
 * revoked token means it leaked, so the whole family (every session descended from that
 * log-in) is revoked.
 */
export async function refreshSession(refreshToken: string): Promise<Session> {
  const tokenHash = sha256(refreshToken);
  const stored = await prisma.refreshToken.findUnique({ where: { tokenHash } });
  if (!stored) throw new InvalidSessionError();
  if (stored.revokedAt || stored.rotatedAt) {
    await revokeFamily(stored.familyId);
    throw new InvalidSessionError('This refresh token was already used; every session of this log-in is now revoked.');
  }
  if (stored.expiresAt <= new Date()) throw new InvalidSessionError('This session has expired; log in again.');

  return prisma.$transaction(async (tx) => {
    // Conditional update: of two concurrent refreshes with one token, exactly one wins.
    const rotated = await tx.refreshToken.updateMany({
      where: { id: stored.id, rotatedAt: null, revokedAt: null },
      data: { rotatedAt: new Date() },
    });
    if (rotated.count === 0) throw new InvalidSessionError('This refresh token was already used.');
    // A member of the account, or of its main account when it is a sub-account.
    const role = await effectiveRole(tx, stored.userId, stored.accountId);
    if (!role) throw new InvalidSessionError('You no longer have access to this account.');
    return openSession(tx, stored.userId, stored.accountId, role, stored.familyId);
  });
}

/** Revokes the session the refresh token belongs to (its whole family). Idempotent. */
export async function logOut(refreshToken: string): Promise<void> {
  const stored = await prisma.refreshToken.findUnique({ where: { tokenHash: sha256(refreshToken) } });
  if (stored) await revokeFamily(stored.familyId);
}

async function revokeFamily(familyId: string): Promise<void> {
  await prisma.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } });
}
