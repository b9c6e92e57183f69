import { config } from '../../config.js';
import { prisma, type Transaction } from '../../db/client.js';
import { uuid7 } from '../../db/uuid7.js';
import { paymentProvider } from '../../gateways/payments.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { NotFoundError, PaymentDeclinedError, ValidationError } from '../errors.js';
import { withIdempotency } from '../idempotency.js';
import { formatEuros, MICROS_PER_EURO, type Micros } from '../messaging/prices.js';
import { invoiceAmounts, parseAmountInput } from './amounts.js';
import { authorOf, credit } from './ledger.js';

export interface TopUpInput {
  /** Euros excluding VAT, at most 2 decimals. */
  amount: string;
  idempotencyKey?: string | null;
}

/**
 * Buys credit: the provider collects the amount plus VAT, the credit (excluding VAT) is added
 * with its ledger entry, and a numbered invoice is issued, all in one transaction (with the
 * idempotency key, when given). A declined payment changes nothing.
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
  return withIdempotency(
    { accountId: actor.accountId, key: input.idempotencyKey, operation: 'topUpCredit', input: { amount } },
    async (tx) => {
      const topUpId = uuid7();
      const amounts = invoiceAmounts(amount, config.money.vatRate);
      const payment = await paymentProvider().collect({
        accountId: actor.accountId,
        amount: amounts.includingVat,
        amountExcludingVat: amount,
        currency: 'EUR',
        description: `SMS credit ${formatEuros(amount, { trim: true })} € excl. VAT`,
        // The provider de-duplicates on this: a retry with the same key is never charged twice.
        requestId: input.idempotencyKey ? `${actor.accountId}:${input.idempotencyKey}` : topUpId,
      });
      if (payment.status === 'DECLINED') throw new PaymentDeclinedError(payment.reason);
      await tx.topUp.create({
        data: {
          id: topUpId,
          accountId: actor.accountId,
          amount: formatEuros(amount),
          state: 'APPROVED',
          provider: paymentProvider().name,
          providerReference: payment.reference,
          userId: actor.userId,
          apiKeyId: actor.apiKeyId,
        },
      });
      await credit(tx, actor.accountId, 'TOP_UP', amount, {
        reason: 'Top-up',
        referenceType: 'TopUp',
        referenceId: topUpId,
        author: authorOf(actor),
      });
      await issueInvoice(tx, actor.accountId, topUpId, amount);
      return { topUpId };
    },
  );
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
