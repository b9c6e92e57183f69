import type { RawSql } from '../../db/raw-sql.js';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { uuid7 } from '../../db/uuid7.js';
import type { LedgerEntryKind } from '../../generated/prisma/enums.js';
import type { Actor } from '../auth/actor.js';
import { InsufficientCreditError, NotFoundError, ValidationError } from '../errors.js';
import { formatEuros, parseEuros, type Micros } from '../messaging/prices.js';

/**
 * The credit ledger (SPEC section 3). `account.credit_balance` is the sum of the account's
 * ledger entries: each change of balance and its entry are written by ONE statement (a
 * data-modifying CTE), so they commit together or not at all, with or without a surrounding
 * transaction. Debits are conditional (`WHERE credit_balance >= amount`): concurrent debits
 * queue on the account row and each re-checks the balance it finds, so the balance never goes
 * below zero and nothing is read, computed in JavaScript and written back. The CHECK
 * constraint `credit_balance >= 0` is the last line of defence.
 *
 * Amounts are integer micro-euros in JavaScript and exact NUMERIC in SQL; they cross as decimal
 * strings.
 */

/** Who caused an entry: a user, an API key, or the platform itself (both null). */
export interface LedgerAuthor {
  userId: string | null;
  apiKeyId: string | null;
}

export const PLATFORM: LedgerAuthor = { userId: null, apiKeyId: null };

export function authorOf(actor: Actor): LedgerAuthor {
  return { userId: actor.userId, apiKeyId: actor.apiKeyId };
}

export interface EntryDetails {
  reason: string;
  referenceType?: string | null;
  referenceId?: string | null;
  author?: LedgerAuthor;
}

export interface WrittenEntry {
  id: string;
  accountId: string;
  kind: LedgerEntryKind;
  /** Signed decimal string. */
  amount: string;
  balanceAfter: string;
  /** What `PaidFor.result` read, when the debit funded a hold that pays for something. */
  paidFor?: unknown;
}

/**
 * What a hold pays for, written by the statement that takes it (reserveCredit), so that the two
 * commit together or not at all, in one round trip: `ctes`, data-modifying CTEs (each after a
 * comma) whose rows are written only when the debit is (their SELECT reads `FROM debited` or
 * tests `EXISTS (SELECT 1 FROM debited)`), and `result`, a query of them whose value comes back.
 */
export interface PaidFor {
  ctes: Prisma.Sql;
  result: Prisma.Sql;
}

const DEBITS: ReadonlySet<LedgerEntryKind> = new Set(['CHARGE', 'RESERVATION', 'TRANSFER_OUT', 'SUBSCRIPTION_FEE']);

function ensurePositive(amount: Micros): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw ValidationError.single('amount', 'must be a positive amount');
}

/**
 * Takes `amount` from the balance if it covers it, and writes the entry; otherwise throws
 * InsufficientCreditError with the amount missing. Safe under any concurrency.
 */
export async function debit(
  db: RawSql,
  accountId: string,
  kind: LedgerEntryKind,
  amount: Micros,
  details: EntryDetails,
  /** In the same statement, the hold this debit funds (reserveCredit), and what the hold pays for. */
  hold: { id: string; reason: string; referenceType: string | null; referenceId: string | null; paidFor?: PaidFor } | null = null,
): Promise<WrittenEntry> {
  if (!DEBITS.has(kind)) throw new Error(`${kind} is not a debit`);
  ensurePositive(amount);
  const value = formatEuros(amount);
  const author = details.author ?? PLATFORM;
  const held = hold
    ? Prisma.sql`, held AS (
        INSERT INTO credit_reservation (id, account_id, amount_held, reason, reference_type, reference_id)
        SELECT ${hold.id}::uuid, id, ${value}::numeric, ${hold.reason}, ${hold.referenceType}, ${hold.referenceId} FROM debited)`
    : Prisma.empty;
  const paidFor = hold?.paidFor;
  const rows = await db.$queryRaw<WrittenEntry[]>`
    WITH debited AS (
      UPDATE account SET credit_balance = credit_balance - ${value}::numeric
       WHERE id = ${accountId}::uuid AND credit_balance >= ${value}::numeric
      RETURNING id, credit_balance
    )${held}${paidFor ? paidFor.ctes : Prisma.empty}
    INSERT INTO ledger_entry (id, account_id, kind, amount, balance_after, reason, reference_type, reference_id, user_id, api_key_id, created_at)
    SELECT ${uuid7()}::uuid, id, ${kind}::"LedgerEntryKind", -${value}::numeric, credit_balance, ${details.reason},
           ${details.referenceType ?? null}, ${details.referenceId ?? null}, ${author.userId}::uuid, ${author.apiKeyId}::uuid, clock_timestamp()
      FROM debited
    RETURNING id::text AS "id", account_id::text AS "accountId", kind::text AS "kind", amount::text AS "amount", balance_after::text AS "balanceAfter"
              ${paidFor ? Prisma.sql`, (${paidFor.result}) AS "paidFor"` : Prisma.empty}`;
  const entry = rows[0];
  if (entry) return entry;
  throw insufficientCredit(amount, await availableCredit(db, accountId));
}

/** What the account can spend now (holds are already taken off its balance). */
export async function availableCredit(db: RawSql, accountId: string): Promise<Micros> {
  const [account] = await db.$queryRaw<{ balance: string }[]>`SELECT credit_balance::text AS balance FROM account WHERE id = ${accountId}::uuid`;
  if (!account) throw new NotFoundError('Account');
  return parseEuros(account.balance);
}

/** The refusal of spending `amount` with `available`, naming the amount missing (SPEC section 3). */
export function insufficientCredit(amount: Micros, available: Micros): InsufficientCreditError {
  return new InsufficientCreditError(
    formatEuros(amount, { trim: true }),
    formatEuros(available, { trim: true }),
    formatEuros(Math.max(amount - available, 0), { trim: true }),
  );
}

/** Adds `amount` to the balance and writes the entry (top-up, refund, release, transfer in). */
export async function credit(db: RawSql, accountId: string, kind: LedgerEntryKind, amount: Micros, details: EntryDetails): Promise<WrittenEntry> {
  if (DEBITS.has(kind)) throw new Error(`${kind} is not a credit`);
  ensurePositive(amount);
  const value = formatEuros(amount);
  const author = details.author ?? PLATFORM;
  const rows = await db.$queryRaw<WrittenEntry[]>`
    WITH credited AS (
      UPDATE account SET credit_balance = credit_balance + ${value}::numeric
       WHERE id = ${accountId}::uuid
      RETURNING id, credit_balance
    )
    INSERT INTO ledger_entry (id, account_id, kind, amount, balance_after, reason, reference_type, reference_id, user_id, api_key_id, created_at)
    SELECT ${uuid7()}::uuid, id, ${kind}::"LedgerEntryKind", ${value}::numeric, credit_balance, ${details.reason},
           ${details.referenceType ?? null}, ${details.referenceId ?? null}, ${author.userId}::uuid, ${author.apiKeyId}::uuid, clock_timestamp()
      FROM credited
    RETURNING id::text AS "id", account_id::text AS "accountId", kind::text AS "kind", amount::text AS "amount", balance_after::text AS "balanceAfter"`;
  const entry = rows[0];
  if (!entry) throw new NotFoundError('Account');
  return entry;
}

/** Charges a message, a lookup, a fee...: refused with the amount missing when the balance cannot cover it. */
export function chargeCredit(db: RawSql, accountId: string, amount: Micros, details: EntryDetails): Promise<WrittenEntry> {
  return debit(db, accountId, 'CHARGE', amount, details);
}

/**
 * Gives back a charge (message refused at submission...). With a reference, the refunds of that
 * reference never exceed what was charged for it: the account row is locked while checking.
 */
export async function refundCredit(db: RawSql, accountId: string, amount: Micros, details: EntryDetails): Promise<WrittenEntry> {
  ensurePositive(amount);
  return inTransaction(db, async (tx) => {
    if (details.referenceType && details.referenceId) {
      await tx.$queryRaw`SELECT 1 FROM account WHERE id = ${accountId}::uuid FOR UPDATE`;
      const rows = await tx.$queryRaw<{ net: string }[]>`
        SELECT COALESCE(-SUM(amount), 0)::text AS net FROM ledger_entry
         WHERE account_id = ${accountId}::uuid AND reference_type = ${details.referenceType} AND reference_id = ${details.referenceId}
           AND kind IN ('CHARGE', 'REFUND')`;
      const refundable = parseEuros(rows[0]?.net ?? '0');
      if (amount > refundable) {
        throw ValidationError.single('amount', `only ${formatEuros(Math.max(refundable, 0), { trim: true })} € of this charge can still be refunded`);
      }
    }
    return credit(tx, accountId, 'REFUND', amount, details);
  });
}

export interface Reservation {
  id: string;
  accountId: string;
  held: Micros;
  settled: Micros;
  released: Micros;
  state: 'OPEN' | 'CLOSED';
}

/**
 * Holds an estimated amount (a campaign's cost) out of the balance until settled or released.
 * `paidFor`, given the new hold's id, is written by the same statement (see PaidFor); what its
 * result read comes back as `paidFor`.
 */
export async function reserveCredit(
  db: RawSql,
  accountId: string,
  amount: Micros,
  details: EntryDetails,
  paidFor?: (holdId: string) => PaidFor,
): Promise<Reservation & { paidFor?: unknown }> {
  ensurePositive(amount);
  const id = uuid7();
  // The debit, its entry and the hold in one statement (one round trip on every send).
  const entry = await debit(db, accountId, 'RESERVATION', amount, { ...details, referenceType: 'CreditReservation', referenceId: id }, {
    id,
    reason: details.reason,
    referenceType: details.referenceType ?? null,
    referenceId: details.referenceId ?? null,
    paidFor: paidFor?.(id),
  });
  return { id, accountId, held: amount, settled: 0, released: 0, state: 'OPEN', paidFor: entry.paidFor };
}

async function lockReservation(tx: RawSql, reservationId: string): Promise<Reservation> {
  const rows = await tx.$queryRaw<{ id: string; accountId: string; held: string; settled: string; released: string; state: 'OPEN' | 'CLOSED' }[]>`
    SELECT id::text, account_id::text AS "accountId", amount_held::text AS held, amount_settled::text AS settled,
           amount_released::text AS released, state::text AS state
      FROM credit_reservation WHERE id = ${reservationId}::uuid FOR UPDATE`;
  const row = rows[0];
  if (!row) throw new NotFoundError('Credit reservation');
  return { ...row, held: parseEuros(row.held), settled: parseEuros(row.settled), released: parseEuros(row.released) };
}

function remainingOf(reservation: Reservation): Micros {
  return reservation.held - reservation.settled - reservation.released;
}

/**
 * Charges `amount` against a reservation as messages go out. What the hold still covers moves
 * from the hold to a CHARGE (a RELEASE and a CHARGE entry of the same amount, so the ledger
 * shows each charge while the balance, already reduced by the hold, does not move); anything
 * beyond the hold is charged from the balance, conditionally like any debit.
 */
export async function settleReservation(db: RawSql, reservationId: string, amount: Micros, details: EntryDetails): Promise<Reservation> {
  ensurePositive(amount);
  return inTransaction(db, async (tx) => {
    const reservation = await lockReservation(tx, reservationId);
    if (reservation.state !== 'OPEN') throw ValidationError.single('reservation', 'this reservation is closed; nothing more can be settled on it');
    return settleLocked(tx, reservation, amount, details);
  });
}

async function settleLocked(tx: RawSql, reservation: Reservation, amount: Micros, details: EntryDetails): Promise<Reservation> {
  const fromHold = Math.min(amount, remainingOf(reservation));
  const settled = reservation.settled + fromHold;
  // The hold first, the account row last: the account (which every payment of the account
  // locks, a transactional sendMessage's hold among them) stays locked one statement, not three.
  await tx.$executeRaw`UPDATE credit_reservation SET amount_settled = ${formatEuros(settled)}::numeric WHERE id = ${reservation.id}::uuid`;
  const release: EntryDetails = { ...details, reason: `Settled from reservation: ${details.reason}`, referenceType: 'CreditReservation', referenceId: reservation.id };
  if (fromHold === amount) {
    await releaseAndCharge(tx, reservation.accountId, amount, release, details);
  } else {
    if (fromHold > 0) await credit(tx, reservation.accountId, 'RELEASE', fromHold, release);
    await debit(tx, reservation.accountId, 'CHARGE', amount, details);
  }
  return { ...reservation, settled };
}

/**
 * A RELEASE of `amount` from a hold and its CHARGE, in one statement: the balance does not move
 * (the hold had taken it), so the account row is locked, not written, and both entries carry
 * the balance they leave.
 */
async function releaseAndCharge(tx: RawSql, accountId: string, amount: Micros, release: EntryDetails, charge: EntryDetails): Promise<void> {
  const value = formatEuros(amount);
  const [releaseAuthor, chargeAuthor] = [release.author ?? PLATFORM, charge.author ?? PLATFORM];
  const written = await tx.$executeRaw`
    WITH locked AS (SELECT id, credit_balance FROM account WHERE id = ${accountId}::uuid FOR NO KEY UPDATE)
    INSERT INTO ledger_entry (id, account_id, kind, amount, balance_after, reason, reference_type, reference_id, user_id, api_key_id, created_at)
    SELECT e.id, locked.id, e.kind::"LedgerEntryKind", e.amount, locked.credit_balance + e.left_over, e.reason, e.reference_type, e.reference_id,
           e.user_id, e.api_key_id, clock_timestamp()
      FROM locked,
           (VALUES (1, ${uuid7()}::uuid, 'RELEASE', ${value}::numeric, ${value}::numeric, ${release.reason}, ${release.referenceType ?? null}, ${release.referenceId ?? null},
                    ${releaseAuthor.userId}::uuid, ${releaseAuthor.apiKeyId}::uuid),
                   (2, ${uuid7()}::uuid, 'CHARGE', -${value}::numeric, 0::numeric, ${charge.reason}, ${charge.referenceType ?? null}, ${charge.referenceId ?? null},
                    ${chargeAuthor.userId}::uuid, ${chargeAuthor.apiKeyId}::uuid))
             AS e(position, id, kind, amount, left_over, reason, reference_type, reference_id, user_id, api_key_id)
     ORDER BY e.position`;
  if (written !== 2) throw new NotFoundError('Account');
}

/**
 * Holds `amount` more on an open reservation (a campaign whose recipients grew between pricing
 * and writing its messages): a RESERVATION entry, refused with the amount missing like any debit.
 */
export async function extendReservation(db: RawSql, reservationId: string, amount: Micros, details: EntryDetails): Promise<Reservation> {
  ensurePositive(amount);
  return inTransaction(db, async (tx) => {
    const reservation = await lockReservation(tx, reservationId);
    if (reservation.state !== 'OPEN') throw ValidationError.single('reservation', 'this reservation is closed; it cannot hold more');
    await debit(tx, reservation.accountId, 'RESERVATION', amount, { ...details, referenceType: 'CreditReservation', referenceId: reservation.id });
    const held = reservation.held + amount;
    await tx.$executeRaw`UPDATE credit_reservation SET amount_held = ${formatEuros(held)}::numeric WHERE id = ${reservation.id}::uuid`;
    return { ...reservation, held };
  });
}

/**
 * Charges waiting to be settled on a hold (`queued_settlement`): the dispatcher records what it
 * handed to the carrier and queues the settlement of its price in the same transaction, without
 * touching the account row, then settles in a short transaction of its own (`settleQueued`).
 * Holding the account row from the settlement to the commit of a batch of a thousand messages
 * made every other payment of the account (a transactional sendMessage's hold) wait behind it.
 * A hold is never released with settlements still queued: `releaseReservation` applies them first.
 */
export async function queueSettlement(db: RawSql, reservationId: string, amount: Micros, count: number): Promise<void> {
  ensurePositive(amount);
  await db.$executeRaw`
    INSERT INTO queued_settlement (reservation_id, amount, count) VALUES (${reservationId}::uuid, ${formatEuros(amount)}::numeric, ${count})`;
}

/**
 * Applies the queued settlements of these holds (every hold with some when omitted), one short
 * transaction per hold. Safe to run concurrently and again: each queued row is taken once.
 */
export async function settleQueued(db: PrismaClient, reservationIds?: readonly string[]): Promise<number> {
  const ids =
    reservationIds ??
    (await db.$queryRaw<{ id: string }[]>`SELECT DISTINCT reservation_id::text AS id FROM queued_settlement LIMIT 1000`).map((row) => row.id);
  let settled = 0;
  for (const id of new Set(ids)) {
    await db.$transaction(async (tx) => {
      // Committed without waiting for the WAL to reach the disk: the account row this locks is
      // then free for the account's other payments (a transactional sendMessage's hold) as soon
      // as the settlement is done, not after a flush behind a campaign's writes. Safe: were the
      // server to crash before the flush, the whole transaction would be gone, its queued rows
      // still queued, and settled again by the next round; any later transaction that writes
      // from it (a hold's release) commits after it in the WAL, so flushing it flushes this one.
      // Readers do not flush: a balance or progress event read in that instant (at most a few
      // hundred milliseconds) may show a settlement that a crash of the server then undoes and
      // the next round writes again.
      await tx.$executeRawUnsafe(`SET LOCAL synchronous_commit = off`);
      const reservation = await lockReservation(tx, id).catch((error: unknown) => {
        if (error instanceof NotFoundError) return null;
        throw error;
      });
      if (reservation && (await applyQueued(tx, reservation)) !== reservation) settled++;
    }, { maxWait: 10_000, timeout: 20_000 });
  }
  return settled;
}

/** Within a transaction that locked the hold: settles what is queued on it. */
async function applyQueued(tx: RawSql, reservation: Reservation): Promise<Reservation> {
  const [queued] = await tx.$queryRaw<{ amount: string | null; count: number }[]>`
    WITH taken AS (DELETE FROM queued_settlement WHERE reservation_id = ${reservation.id}::uuid RETURNING amount, count)
    SELECT sum(amount)::text AS amount, coalesce(sum(count), 0)::int AS count FROM taken`;
  const amount = queued?.amount ? parseEuros(queued.amount) : 0;
  if (amount <= 0) return reservation;
  const details: EntryDetails = { reason: `${queued!.count} SMS handed to the carrier`, referenceType: 'Message', author: PLATFORM };
  if (reservation.state === 'OPEN') {
    // What the hold covers moves to a CHARGE; anything beyond it is charged from the balance if it can be.
    const covered = Math.min(amount, remainingOf(reservation));
    const settled = covered > 0 ? await settleLocked(tx, reservation, covered, details) : reservation;
    if (amount > covered) await chargeOrLog(tx, reservation.accountId, amount - covered, details);
    return settled;
  }
  // A hold closed with messages still out: a message proved sent by a receipt after its hold was
  // released (a cancelled campaign's message in doubt, see carrier-events.ts); otherwise it should
  // not happen (holds close only when none waits, and settlements queued on a hold are applied
  // before it closes). The messages did go out: charged from the balance; if it cannot cover
  // them, an operator settles by hand (uncharged_amount).
  console.warn(`[credit] reservation ${reservation.id} is closed; charging ${queued!.count} message(s) from the balance`);
  await chargeOrLog(tx, reservation.accountId, amount, details);
  return reservation;
}

/**
 * Charges SMS that are gone already: when the balance cannot cover them, the amount is kept in
 * `uncharged_amount` (in the same transaction) for an operator to settle by hand, rather than
 * fail their record. A safety net: holds cover what is sent, so normal flows never get here.
 */
export async function chargeOrLog(tx: RawSql, accountId: string, amount: Micros, details: EntryDetails): Promise<void> {
  try {
    await debit(tx, accountId, 'CHARGE', amount, details);
  } catch (error) {
    // The SMS are gone: their record must not fail with them.
    if (!(error instanceof InsufficientCreditError)) throw error;
    console.error(`[credit] account ${accountId}: ${details.reason} but the balance cannot cover ${formatEuros(amount, { trim: true })} EUR; kept in uncharged_amount`);
    await tx.$executeRaw`
      INSERT INTO uncharged_amount (account_id, amount, reason, reference_type, reference_id)
      VALUES (${accountId}::uuid, ${formatEuros(amount)}::numeric, ${details.reason}, ${details.referenceType ?? null}, ${details.referenceId ?? null})`;
  }
}

/** Gives back what a reservation still holds and closes it (queued settlements applied first). Closing twice changes nothing. */
export async function releaseReservation(db: RawSql, reservationId: string, details: EntryDetails): Promise<Reservation> {
  return inTransaction(db, async (tx) => {
    const reservation = await applyQueued(tx, await lockReservation(tx, reservationId));
    if (reservation.state === 'CLOSED') return reservation;
    const remaining = remainingOf(reservation);
    if (remaining > 0) {
      await credit(tx, reservation.accountId, 'RELEASE', remaining, {
        ...details,
        referenceType: 'CreditReservation',
        referenceId: reservation.id,
      });
    }
    const released = reservation.released + remaining;
    await tx.$executeRaw`
      UPDATE credit_reservation SET amount_released = ${formatEuros(released)}::numeric, state = 'CLOSED', closed_at = clock_timestamp()
       WHERE id = ${reservation.id}::uuid`;
    return { ...reservation, released, state: 'CLOSED' };
  });
}

export interface BalanceSummary {
  /** What can be spent now. */
  available: Micros;
  /** Held by open reservations (already out of `available`). */
  reserved: Micros;
}

export async function creditBalanceOf(db: RawSql, accountId: string): Promise<BalanceSummary> {
  const rows = await db.$queryRaw<{ available: string; reserved: string }[]>`
    SELECT a.credit_balance::text AS available,
           COALESCE((SELECT SUM(r.amount_held - r.amount_settled - r.amount_released) FROM credit_reservation r
                      WHERE r.account_id = a.id AND r.state = 'OPEN'), 0)::text AS reserved
      FROM account a WHERE a.id = ${accountId}::uuid`;
  const row = rows[0];
  if (!row) throw new NotFoundError('Account');
  return { available: parseEuros(row.available), reserved: parseEuros(row.reserved) };
}

/**
 * Accounts whose balance differs from the sum of their ledger. Always empty unless someone
 * wrote to `credit_balance` outside this module; tests and operators run it to prove it.
 */
export async function ledgerMismatches(db: RawSql, accountIds?: string[]): Promise<{ accountId: string; balance: string; ledgerSum: string }[]> {
  return db.$queryRaw`
    SELECT a.id::text AS "accountId", a.credit_balance::text AS balance, COALESCE(SUM(e.amount), 0)::text AS "ledgerSum"
      FROM account a LEFT JOIN ledger_entry e ON e.account_id = a.id
     WHERE ${accountIds ?? null}::uuid[] IS NULL OR a.id = ANY(${accountIds ?? null}::uuid[])
     GROUP BY a.id, a.credit_balance
    HAVING a.credit_balance <> COALESCE(SUM(e.amount), 0)`;
}

/** Runs `work` in the caller's transaction, or in a new one when given Prisma's client itself. */
export async function inTransaction<T>(db: RawSql, work: (tx: RawSql) => Promise<T>): Promise<T> {
  if (isPrismaClient(db)) return db.$transaction(work, { maxWait: 10_000, timeout: 20_000 });
  return work(db);
}

function isPrismaClient(db: RawSql): db is PrismaClient {
  return '$transaction' in db;
}
