import type { Db } from '../../db/client.js';
import type { Role } from '../../generated/prisma/enums.js';

/**
 * The role a user has in an account: their membership of it, or, for a sub-account, their
 * membership of its main account (SPEC section 16: the main account's team works in its
 * sub-accounts with the same rights). Null when the user has no access or the account is not
 * active.
 */
export async function effectiveRole(db: Db, userId: string, accountId: string): Promise<Role | null> {
  const account = await db.account.findUnique({
    where: { id: accountId },
    select: {
      status: true,
      memberships: { where: { userId }, select: { role: true } },
      parent: { select: { status: true, memberships: { where: { userId }, select: { role: true } } } },
    },
  });
  if (!account || account.status !== 'ACTIVE') return null;
  const direct = account.memberships[0]?.role;
  if (direct) return direct;
  if (account.parent?.status !== 'ACTIVE') return null;
  return account.parent.memberships[0]?.role ?? null;
}
