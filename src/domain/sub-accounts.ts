import { prisma, type Transaction } from '../db/client.js';
import { isUuid } from '../db/uuid7.js';
import type { Account } from '../generated/prisma/client.js';
import { requirePermission, type Actor } from './auth/actor.js';
import { effectiveRole } from './auth/account-access.js';
import { openSession, type Session } from './auth/sessions.js';
import { parseAmountInput } from './credit/amounts.js';
import { authorOf, credit, debit } from './credit/ledger.js';
import { NotFoundError, PermissionDeniedError, ValidationError } from './errors.js';
import { withIdempotency } from './idempotency.js';
import { formatEuros, MICROS_PER_EURO, parseEuros } from './messaging/prices.js';
import { ensureWithinLimit, lockAccount } from './plans.js';
import { requireService } from './services.js';

/**
 * Sub-accounts (SPEC section 16): accounts of their own (contacts, campaigns, statistics and
 * credit are keyed by their id, so data stays separate) under a main account, whose team works
 * in them with the same roles (`switchAccount`). Only the main account credits them.
 *
 * Lock order, everywhere money moves between a main account and a sub-account: the main
 * account's row first, then the sub-account's. Transfers and deletions therefore run one after
 * the other, never interleaved, and never deadlock.
 */
export const MINIMUM_TRANSFER = 30 * MICROS_PER_EURO;
const MAX_NAME_LENGTH = 100;

function checkName(raw: string): string {
  const name = raw.trim();
  if (!name || name.length > MAX_NAME_LENGTH) throw ValidationError.single('name', `must be 1 to ${MAX_NAME_LENGTH} characters`);
  return name;
}

async function requireMainAccount(actor: Actor): Promise<Account> {
  const account = await prisma.account.findUniqueOrThrow({ where: { id: actor.accountId } });
  if (account.parentId) throw ValidationError.single('account', 'sub-accounts are managed from the main account; switch to it first');
  await requireService(prisma, actor.accountId, 'SUB_ACCOUNTS');
  return account;
}

export async function createSubAccount(actor: Actor, input: { name: string }): Promise<Account> {
  requirePermission(actor, 'account:manage');
  const name = checkName(input.name);
  const main = await requireMainAccount(actor);
  return prisma.$transaction(async (tx) => {
    const plan = await lockAccount(tx, main.id);
    await ensureWithinLimit(tx, plan, 'subAccounts', await tx.account.count({ where: { parentId: main.id } }));
    return tx.account.create({
      data: {
        name,
        parentId: main.id,
        status: 'ACTIVE',
        planCode: main.planCode,
        companyNumber: main.companyNumber,
        street: main.street,
        postalCode: main.postalCode,
        city: main.city,
        country: main.country,
        serviceMessagesConsentAt: main.serviceMessagesConsentAt,
      },
    });
  });
}

export async function renameSubAccount(actor: Actor, input: { subAccountId: string; name: string }): Promise<Account> {
  requirePermission(actor, 'account:manage');
  const name = checkName(input.name);
  const main = await requireMainAccount(actor);
  const renamed = await prisma.account.updateManyAndReturn({ where: { id: input.subAccountId, parentId: main.id }, data: { name } });
  const account = renamed[0];
  if (!account) throw new NotFoundError('Sub-account');
  return account;
}

/**
 * A sub-account of this main account, open or deleted (its ledger outlives it: ClosedSubAccount);
 * its id. Someone else's, and a made-up id, are not found.
 */
export async function requireOwnSubAccount(mainAccountId: string, subAccountId: string): Promise<string> {
  if (!isUuid(subAccountId)) throw new NotFoundError('Sub-account');
  const found = await prisma.$queryRaw<unknown[]>`
    SELECT 1 FROM account WHERE id = ${subAccountId}::uuid AND parent_id = ${mainAccountId}::uuid
    UNION ALL
    SELECT 1 FROM closed_sub_account WHERE id = ${subAccountId}::uuid AND parent_id = ${mainAccountId}::uuid`;
  if (found.length === 0) throw new NotFoundError('Sub-account');
  return subAccountId;
}

/** Locks the main account, then the sub-account if it belongs to it; NotFound otherwise. */
async function lockPair(tx: Transaction, mainId: string, subAccountId: string): Promise<{ subBalance: number }> {
  await tx.$queryRaw`SELECT 1 FROM account WHERE id = ${mainId}::uuid FOR UPDATE`;
  const rows = await tx.$queryRaw<{ balance: string }[]>`
    SELECT credit_balance::text AS balance FROM account WHERE id = ${subAccountId}::uuid AND parent_id = ${mainId}::uuid FOR UPDATE`;
  const row = rows[0];
  // Someone else's sub-account, a deleted one and a made-up id all look the same.
  if (!row) throw new NotFoundError('Sub-account');
  return { subBalance: parseEuros(row.balance) };
}

export interface DeletedSubAccount {
  subAccountId: string;
  name: string;
  /** Credit returned to the main account, decimal string. */
  returnedCredit: string;
}

/**
 * Deletes a sub-account and everything it owns; its remaining credit goes back to the main
 * account in the same transaction (a TRANSFER_IN entry on the main account's ledger). Refused
 * while a campaign holds credit in it.
 */
export async function deleteSubAccount(actor: Actor, input: { subAccountId: string; idempotencyKey?: string | null }): Promise<DeletedSubAccount> {
  requirePermission(actor, 'account:manage');
  requirePermission(actor, 'billing:manage');
  const main = await requireMainAccount(actor);
  return withIdempotency(
    { accountId: main.id, key: input.idempotencyKey, operation: 'deleteSubAccount', input: { subAccountId: input.subAccountId } },
    async (tx) => {
      const { subBalance } = await lockPair(tx, main.id, input.subAccountId);
      const openHolds = await tx.creditReservation.count({ where: { accountId: input.subAccountId, state: 'OPEN' } });
      if (openHolds > 0) throw ValidationError.single('subAccountId', 'a campaign of this sub-account still holds credit; wait for it to finish or cancel it');
      const sub = await tx.account.findUniqueOrThrow({ where: { id: input.subAccountId } });
      if (subBalance > 0) {
        await debit(tx, sub.id, 'TRANSFER_OUT', subBalance, {
          reason: 'Sub-account deleted: credit returned to the main account',
          referenceType: 'Account',
          referenceId: main.id,
          author: authorOf(actor),
        });
        await credit(tx, main.id, 'TRANSFER_IN', subBalance, {
          reason: `Credit returned by deleted sub-account "${sub.name}"`,
          referenceType: 'Account',
          referenceId: sub.id,
          author: authorOf(actor),
        });
      }
      // Its ledger entries stay (no foreign key), found through this record by the main account.
      await tx.closedSubAccount.create({
        data: {
          id: sub.id,
          parentId: main.id,
          name: sub.name,
          openedAt: sub.createdAt,
          closedByUserId: actor.userId,
          closedByApiKeyId: actor.apiKeyId,
          returnedCredit: formatEuros(subBalance),
        },
      });
      // What its balance could not cover (charges kept for an operator to settle) is the main
      // account's to settle now, rather than deleted with the sub-account.
      await tx.$executeRaw`
        UPDATE uncharged_amount SET account_id = ${main.id}::uuid, reason = reason || ${` (deleted sub-account "${sub.name}")`}
         WHERE account_id = ${sub.id}::uuid`;
      await tx.account.delete({ where: { id: sub.id } });
      return { subAccountId: sub.id, name: sub.name, returnedCredit: formatEuros(subBalance, { trim: true }) };
    },
  );
}

export type TransferDirection = 'TO_SUB_ACCOUNT' | 'TO_MAIN_ACCOUNT';

export interface TransferInput {
  subAccountId: string;
  direction: TransferDirection;
  amount: string;
  idempotencyKey?: string | null;
}

export interface TransferResult {
  subAccountId: string;
  direction: TransferDirection;
  amount: string;
  debitEntryId: string;
  creditEntryId: string;
}

/** Moves credit from the main account to one of its sub-accounts (30 € at least) or back. */
export async function transferCredit(actor: Actor, input: TransferInput): Promise<TransferResult> {
  requirePermission(actor, 'billing:manage');
  const amount = parseAmountInput('amount', input.amount, {
    maxDecimals: 2,
    minimum: input.direction === 'TO_SUB_ACCOUNT' ? MINIMUM_TRANSFER : undefined,
  });
  const main = await requireMainAccount(actor);
  return withIdempotency(
    {
      accountId: main.id,
      key: input.idempotencyKey,
      operation: 'transferCredit',
      input: { subAccountId: input.subAccountId, direction: input.direction, amount },
    },
    async (tx) => {
      await lockPair(tx, main.id, input.subAccountId);
      const [from, to] = input.direction === 'TO_SUB_ACCOUNT' ? [main.id, input.subAccountId] : [input.subAccountId, main.id];
      const details = { referenceType: 'Account', author: authorOf(actor) };
      const out = await debit(tx, from, 'TRANSFER_OUT', amount, {
        ...details,
        reason: input.direction === 'TO_SUB_ACCOUNT' ? 'Transfer to a sub-account' : 'Transfer to the main account',
        referenceId: to,
      });
      const into = await credit(tx, to, 'TRANSFER_IN', amount, {
        ...details,
        reason: input.direction === 'TO_SUB_ACCOUNT' ? 'Transfer from the main account' : 'Transfer from a sub-account',
        referenceId: from,
      });
      return {
        subAccountId: input.subAccountId,
        direction: input.direction,
        amount: formatEuros(amount, { trim: true }),
        debitEntryId: out.id,
        creditEntryId: into.id,
      };
    },
  );
}

/**
 * Opens a session in another account the user may act in: one they are a member of, or a
 * sub-account of one where they are a member (with the role they have there).
 */
export async function switchAccount(actor: Actor, accountId: string): Promise<Session> {
  if (actor.kind !== 'USER' || !actor.userId) throw new PermissionDeniedError('a logged-in user (not an API key)', actor.role);
  const role = await effectiveRole(prisma, actor.userId, accountId);
  if (!role) throw new NotFoundError('Account');
  return openSession(prisma, actor.userId, accountId, role);
}
