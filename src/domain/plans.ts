import type { Db } from '../db/client.js';
import type { Plan } from '../generated/prisma/client.js';
import { PlanLimitError } from './errors.js';

/**
 * The one limits module: every feature that creates something counted by the plan asks here.
 * Figures come from the `plan` table (SPEC section 2), never from code.
 */
export type ConcurrentLimit =
  | 'liveLinks'
  | 'liveSharedFiles'
  | 'subAccounts'
  | 'contactLists'
  | 'smsTemplates'
  | 'openConversations'
  | 'teamMembers';
export type MonthlyLimit = 'monthlyDataExports';

/**
 * Locks the account row for the rest of the transaction, so that counting what exists and
 * creating one more cannot interleave with another request doing the same.
 */
export async function lockAccount(tx: Db, accountId: string): Promise<Plan> {
  await tx.$queryRaw`SELECT 1 FROM account WHERE id = ${accountId}::uuid FOR UPDATE`;
  const account = await tx.account.findUniqueOrThrow({ where: { id: accountId }, include: { plan: true } });
  return account.plan;
}

/**
 * Throws when `inUse + adding` would exceed the plan. Call inside the transaction that creates
 * the thing, after `lockAccount`, with `inUse` counted in that same transaction.
 */
export async function ensureWithinLimit(tx: Db, plan: Plan, limit: ConcurrentLimit, inUse: number, adding = 1): Promise<void> {
  const allowed = plan[limit];
  if (inUse + adding <= allowed) return;
  throw new PlanLimitError(limit, allowed, plan.name, await upgradeFor(tx, plan, limit));
}

/** Uses one unit of a monthly allowance (calendar month, UTC), atomically. */
export async function consumeMonthlyAllowance(tx: Db, accountId: string, limit: MonthlyLimit, now = new Date()): Promise<number> {
  const plan = (await tx.account.findUniqueOrThrow({ where: { id: accountId }, include: { plan: true } })).plan;
  const allowed = plan[limit];
  const period = now.toISOString().slice(0, 7);
  const rows = await tx.$queryRaw<{ used: number }[]>`
    INSERT INTO limit_counter (account_id, "limit", period, used)
    VALUES (${accountId}::uuid, ${limit}, ${period}, 1)
    ON CONFLICT (account_id, "limit", period) DO UPDATE SET used = limit_counter.used + 1
      WHERE limit_counter.used < ${allowed}
    RETURNING used`;
  const used = rows[0]?.used;
  if (used === undefined || used > allowed) throw new PlanLimitError(limit, allowed, plan.name, await upgradeFor(tx, plan, limit));
  return used;
}

async function upgradeFor(db: Db, plan: Plan, limit: ConcurrentLimit | MonthlyLimit): Promise<string | null> {
  const better = await db.plan.findFirst({
    where: { position: { gt: plan.position }, [limit]: { gt: plan[limit] } },
    orderBy: { position: 'asc' },
  });
  return better?.name ?? null;
}
