import { config } from '../../config.js';
import { prisma, type Transaction } from '../../db/client.js';
import { uuid7 } from '../../db/uuid7.js';
import type { TopUp } from '../../generated/prisma/client.js';
import { paymentProvider } from '../../gateways/payments.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { IdempotencyKeyReusedError, NotFoundError, PaymentDeclinedError, ValidationError } from '../errors.js';
import { replayIdempotent, withIdempotency } from '../idempotency.js';
import { formatEuros, MICROS_PER_EURO, parseEuros, type Micros } from '../messaging/prices.js';
import { invoiceAmounts, parseAmountInput } from './amounts.js';
import { credit } from './ledger.js';

export interface TopUpInput {
  /** Euros excluding VAT, at most 2 decimals. */
  amount: string;
  idempotencyKey?: string | null;
}

/**
 * Buys credit, in three steps so that a payment taken is never lost:
 * 1. the attempt is written PENDING and committed, with the request id the provider
 *    de-duplicates on (`account:key` with an idempotency key, else the top-up id) and the amount
 *    it collects (VAT included);
 * 2. the provider collects (outside any transaction: it may take seconds);
 * 3. in one transaction (with the idempotency key, when given): APPROVED, the credit (excluding
 *    VAT) with its ledger entry, and a numbered invoice; or DECLINED, which changes nothing else.
 * Should step 3 fail after the payment, the attempt stays PENDING: a retry with the same key
 * completes it (the provider answers the same payment without collecting again), and so does
 * `reconcilePendingTopUps` (every few minutes) for a client that does not retry.
 */
export async function topUpCredit(actor: Actor, input: TopUpInput): Promise<{ topUpId: string }> {
  requirePermission(actor, 'billing:manage');
  const amount = parseAmountInput('amount', input.amount, {
    maxDecimals: 2,
    maximum: config.money.topUpMaximumEuros * MICROS_PER_EURO,
  });
  const account = await findAccount(actor.accountId);
  if (account.parentId) {
    throw ValidationError.single('amount', 'a sub-account is credited by transfers from its main account, not by top-ups');
  }
  const idempotent = { accountId: actor.accountId, key: input.idempotencyKey, operation: 'topUpCredit', input: { amount } };
  // A completed top-up with this key: its result, as for any idempotent operation.
  const replayed = await replayIdempotent<{ topUpId: string }>(idempotent);
  if (replayed) return replayed;

  const attempt = await openAttempt(actor, amount, input.idempotencyKey ?? null);
  if (attempt.state === 'APPROVED') return { topUpId: attempt.id };
  if (attempt.state === 'DECLINED') throw new PaymentDeclinedError(attempt.declineReason ?? 'declined');
  const payment = await collect(attempt);
  if (payment.status === 'DECLINED') {
    await declineAttempt(attempt.id, payment.reason);
    throw new PaymentDeclinedError(payment.reason);
  }
  return withIdempotency(idempotent, (tx) => completeTopUp(tx, attempt.id, payment.reference));
}

interface Attempt {
  id: string;
  accountId: string;
  amount: Micros;
  amountIncludingVat: Micros;
  requestId: string;
  state: 'PENDING' | 'APPROVED' | 'DECLINED';
  declineReason: string | null;
  createdAt: Date;
}

/**
 * Step 1: the attempt, committed. With an idempotency key whose attempt exists already (a retry
 * after a failure, or a concurrent duplicate), that attempt: the same amount, else the key is
 * reused for another request.
 */
async function openAttempt(actor: Actor, amount: Micros, key: string | null): Promise<Attempt> {
  const id = uuid7();
  const requestId = key !== null ? `${actor.accountId}:${key}` : id;
  const includingVat = invoiceAmounts(amount, config.money.vatRate).includingVat;
  await prisma.$executeRaw`
    INSERT INTO top_up (id, account_id, amount, amount_including_vat, state, provider, request_id, user_id, api_key_id)
    VALUES (${id}::uuid, ${actor.accountId}::uuid, ${formatEuros(amount)}::numeric, ${formatEuros(includingVat)}::numeric, 'PENDING',
            ${paymentProvider().name}, ${requestId}, ${actor.userId}::uuid, ${actor.apiKeyId}::uuid)
    ON CONFLICT (request_id) DO NOTHING`;
  const attempt = await findAttempt(requestId);
  if (key !== null && attempt.id !== id) {
    // Another amount; or a key whose life is over (the request it answered is long done): a new
    // top-up needs a new key, it is not answered with the old one.
    const expired = Date.now() - attempt.createdAt.getTime() > config.money.idempotencyKeyTtlHours * 3_600_000;
    if (attempt.amount !== amount || expired) throw new IdempotencyKeyReusedError(key, 'topUpCredit');
  }
  return attempt;
}

async function findAttempt(requestId: string): Promise<Attempt> {
  return attemptOf(await prisma.topUp.findUniqueOrThrow({ where: { requestId } }));
}

function attemptOf(row: TopUp): Attempt {
  return {
    id: row.id,
    accountId: row.accountId,
    amount: parseEuros(row.amount.toFixed()),
    amountIncludingVat: parseEuros((row.amountIncludingVat ?? row.amount).toFixed()),
    // Without a key, the attempt's own id is its request id (top-ups written before request ids were kept too).
    requestId: row.requestId ?? row.id,
    state: row.state,
    declineReason: row.declineReason,
    createdAt: row.createdAt,
  };
}

/** Step 3 for an attempt that was not paid: kept, DECLINED with the reason (a paid one is never declined). */
async function declineAttempt(topUpId: string, reason: string): Promise<void> {
  await prisma.topUp.updateMany({ where: { id: topUpId, state: 'PENDING' }, data: { state: 'DECLINED', declineReason: reason } });
}

/** Step 2. Collecting an attempt again returns its payment without charging twice (the provider de-duplicates on the request id). */
function collect(attempt: Attempt) {
  return paymentProvider().collect({
    accountId: attempt.accountId,
    amount: attempt.amountIncludingVat,
    amountExcludingVat: attempt.amount,
    currency: 'EUR',
    description: `SMS credit ${formatEuros(attempt.amount, { trim: true })} € excl. VAT`,
    requestId: attempt.requestId,
  });
}

/**
 * Step 3 for a paid attempt, once: the credit and the invoice with it (again: nothing more). The
 * provider's approval wins over a DECLINED the reconciliation wrote meanwhile (a collect that took
 * longer than its delay): the customer paid.
 */
async function completeTopUp(tx: Transaction, topUpId: string, providerReference: string): Promise<{ topUpId: string }> {
  const [row] = await tx.$queryRaw<{ state: string; account_id: string; amount: string; user_id: string | null; api_key_id: string | null }[]>`
    SELECT state::text, account_id::text, amount::text, user_id::text, api_key_id::text FROM top_up WHERE id = ${topUpId}::uuid FOR UPDATE`;
  if (!row) throw new NotFoundError('Top-up');
  if (row.state === 'APPROVED') return { topUpId };
  const amount = parseEuros(row.amount);
  await tx.$executeRaw`UPDATE top_up SET state = 'APPROVED', provider_reference = ${providerReference}, decline_reason = NULL WHERE id = ${topUpId}::uuid`;
  await credit(tx, row.account_id, 'TOP_UP', amount, {
    reason: 'Top-up',
    referenceType: 'TopUp',
    referenceId: topUpId,
    author: { userId: row.user_id, apiKeyId: row.api_key_id },
  });
  await issueInvoice(tx, row.account_id, topUpId, amount);
  return { topUpId };
}

/**
 * Attempts left PENDING by a failure after the payment (or a process that died between the
 * steps), older than a few minutes: the provider is asked what became of each, never to collect
 * (a payment the customer did not see go through is not started here): paid ones are completed,
 * declined ones and those that never reached the provider are marked DECLINED. Returns how many
 * were settled.
 */
export async function reconcilePendingTopUps(olderThanSeconds = 120): Promise<number> {
  const pending = await prisma.topUp.findMany({
    where: { state: 'PENDING', requestId: { not: null }, createdAt: { lt: new Date(Date.now() - olderThanSeconds * 1000) } },
    orderBy: { createdAt: 'asc' },
    take: 100,
  });
  let settled = 0;
  for (const attempt of pending.map(attemptOf)) {
    try {
      const payment = await paymentProvider().status(attempt.requestId);
      if (payment.status !== 'APPROVED') {
        const reason = payment.status === 'DECLINED' ? payment.reason : 'not collected: the payment never reached the provider';
        await declineAttempt(attempt.id, reason);
      } else {
        await prisma.$transaction((tx) => completeTopUp(tx, attempt.id, payment.reference), { maxWait: 10_000, timeout: 30_000 });
      }
      settled++;
    } catch (error) {
      console.error(`[credit] top-up ${attempt.id} still pending; tried again later:`, (error as Error).message);
    }
  }
  return settled;
}

async function findAccount(accountId: string) {
  const account = await prisma.account.findUnique({ where: { id: accountId } });
  if (!account) throw new NotFoundError('Account');
  return account;
}

/**
 * The next invoice number is taken from the single counter row under its row lock, so numbers
 * are consecutive even when a transaction rolls back. The customer's details are copied: an
 * invoice never changes when the account does (a trigger refuses any update).
 */
async function issueInvoice(tx: Transaction, accountId: string, topUpId: string, amount: Micros): Promise<void> {
  const counter = await tx.$queryRaw<{ number: number }[]>`
    UPDATE invoice_counter SET last_number = last_number + 1 WHERE id = 1 RETURNING last_number AS number`;
  const number = counter[0]?.number;
  if (number === undefined) throw new Error('invoice_counter row is missing (see the credit ledger migration)');
  const account = await tx.account.findUniqueOrThrow({ where: { id: accountId } });
  const amounts = invoiceAmounts(amount, config.money.vatRate);
  await tx.invoice.create({
    data: {
      number,
      accountId,
      topUpId,
      amountExcludingVat: formatEuros(amounts.excludingVat),
      vatRate: config.money.vatRate,
      vatAmount: formatEuros(amounts.vat),
      amountIncludingVat: formatEuros(amounts.includingVat),
      currency: 'EUR',
      customerName: account.name,
      customerCompanyNumber: account.companyNumber,
      customerStreet: account.street,
      customerPostalCode: account.postalCode,
      customerCity: account.city,
      customerCountry: account.country,
    },
  });
}
