import { config } from '../config.js';
import { prisma } from '../db/client.js';

/**
 * Deletes refresh tokens past their life (kept one extra day so reuse of a just-expired token
 * is still recognised) and sign-ups never confirmed in time (user, account and everything they
 * own, which frees the e-mail address). Safe to run twice: it only deletes what is expired.
 */
export async function purgeExpiredAuth(now = new Date()): Promise<{ refreshTokens: number; signUps: number }> {
  const tokenCutoff = new Date(now.getTime() - 24 * 3600 * 1000);
  const signUpCutoff = new Date(now.getTime() - config.auth.unconfirmedSignUpTtlSeconds * 1000);
  const refreshTokens = await prisma.refreshToken.deleteMany({ where: { expiresAt: { lt: tokenCutoff } } });
  const signUps = await prisma.$transaction(async (tx) => {
    const stale = await tx.user.findMany({
      where: { mobileConfirmedAt: null, createdAt: { lt: signUpCutoff } },
      select: { id: true, memberships: { where: { role: 'OWNER', account: { status: 'PENDING_CONFIRMATION' } }, select: { accountId: true } } },
    });
    const accountIds = stale.flatMap((user) => user.memberships.map((membership) => membership.accountId));
    // The ledger has no foreign key to the account (it outlives deleted sub-accounts): an account
    // never confirmed takes its entries with it, if it had any, as the cascade used to.
    await tx.ledgerEntry.deleteMany({ where: { accountId: { in: accountIds } } });
    await tx.account.deleteMany({ where: { id: { in: accountIds }, status: 'PENDING_CONFIRMATION' } });
    const users = await tx.user.deleteMany({ where: { id: { in: stale.map((user) => user.id) }, mobileConfirmedAt: null } });
    return users.count;
  });
  return { refreshTokens: refreshTokens.count, signUps };
}
