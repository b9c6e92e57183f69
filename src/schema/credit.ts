import { builder } from './builder.js';
import { actorAccountId } from './context.js';

export const LedgerEntryKindEnum = builder.enumType('LedgerEntryKind', {
  values: ['TOP_UP', 'CHARGE', 'REFUND', 'RESERVATION', 'RELEASE', 'TRANSFER_IN', 'TRANSFER_OUT', 'SUBSCRIPTION_FEE'] as const,
});

const LedgerAuthorKind = builder.enumType('LedgerAuthorKind', {
  values: ['USER', 'API_KEY', 'PLATFORM'] as const,
  description: 'Who caused a ledger entry: a user, an API key, or the platform itself (jobs, settlements).',
});

export const LedgerEntryType = builder.prismaNode('LedgerEntry', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  description: 'One change of the credit balance. The balance is the sum of every entry.',
  fields: (t) => ({
    kind: t.expose('kind', { type: LedgerEntryKindEnum }),
    amount: t.expose('amount', { type: 'Decimal', description: 'Signed, in euros: credits positive, debits negative.' }),
    balanceAfter: t.expose('balanceAfter', { type: 'Decimal', description: 'The balance right after this entry.' }),
    reason: t.exposeString('reason'),
    referenceType: t.exposeString('referenceType', { nullable: true, description: 'What the entry is about, e.g. `TopUp`, `CreditReservation`, `Account`.' }),
    referenceId: t.exposeString('referenceId', { nullable: true }),
    authorKind: t.field({
      type: LedgerAuthorKind,
      resolve: (entry) => (entry.userId ? 'USER' : entry.apiKeyId ? 'API_KEY' : 'PLATFORM'),
    }),
    authorUserId: t.exposeString('userId', { nullable: true, description: 'Database id of the user who caused it.' }),
    authorApiKeyId: t.exposeString('apiKeyId', { nullable: true, description: 'Database id of the API key that caused it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const CreditBalanceType = builder
  .objectRef<{ available: string; reserved: string; currency: string }>('CreditBalance')
  .implement({
    description: 'Prepaid credit, in euros excluding VAT.',
    fields: (t) => ({
      available: t.expose('available', { type: 'Decimal', description: 'What can be spent now (the ledger sum).' }),
      reserved: t.expose('reserved', { type: 'Decimal', description: 'Held by running campaigns, already out of `available`.' }),
      currency: t.exposeString('currency'),
    }),
  });

export const InvoiceType = builder.prismaNode('Invoice', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  description: 'A numbered, immutable invoice issued for a top-up.',
  fields: (t) => ({
    number: t.exposeInt('number', { description: 'Consecutive, without gaps.' }),
    amountExcludingVat: t.expose('amountExcludingVat', { type: 'Decimal' }),
    vatRate: t.expose('vatRate', { type: 'Decimal', description: 'A fraction, e.g. 0.20 for 20 %.' }),
    vatAmount: t.expose('vatAmount', { type: 'Decimal' }),
    amountIncludingVat: t.expose('amountIncludingVat', { type: 'Decimal' }),
    currency: t.exposeString('currency'),
    customerName: t.exposeString('customerName'),
    customerCompanyNumber: t.exposeString('customerCompanyNumber'),
    customerAddress: t.string({
      select: { customerStreet: true, customerPostalCode: true, customerCity: true, customerCountry: true },
      resolve: (invoice) => `${invoice.customerStreet}, ${invoice.customerPostalCode} ${invoice.customerCity}, ${invoice.customerCountry}`,
    }),
    issuedAt: t.expose('issuedAt', { type: 'DateTime' }),
  }),
});

export const TopUpType = builder.prismaNode('TopUp', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  fields: (t) => ({
    amount: t.expose('amount', { type: 'Decimal', description: 'Credit bought, excluding VAT.' }),
    provider: t.exposeString('provider'),
    providerReference: t.exposeString('providerReference', { nullable: true, description: "The payment's reference at the provider; null until it is collected." }),
    invoice: t.relation('invoice', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const TopUpCreditInput = builder.inputType('TopUpCreditInput', {
  fields: (t) => ({
    amount: t.field({ type: 'Decimal', required: true, description: 'Euros excluding VAT, more than 0, at most 2 decimals.' }),
    idempotencyKey: t.string({ description: 'Retrying with the same key returns the first top-up instead of paying twice.' }),
  }),
});
