import { AccountType } from './account.js';
import { builder } from './builder.js';
import { LedgerEntryType } from './credit.js';
import { prisma } from '../db/client.js';
import type { DeletedSubAccount, TransferResult } from '../domain/sub-accounts.js';

export const TransferDirectionEnum = builder.enumType('TransferDirection', {
  values: ['TO_SUB_ACCOUNT', 'TO_MAIN_ACCOUNT'] as const,
});

export const CreateSubAccountInput = builder.inputType('CreateSubAccountInput', {
  fields: (t) => ({ name: t.string({ required: true }) }),
});

export const RenameSubAccountInput = builder.inputType('RenameSubAccountInput', {
  fields: (t) => ({
    subAccountId: t.globalID({ required: true, for: [AccountType] }),
    name: t.string({ required: true }),
  }),
});

export const DeleteSubAccountInput = builder.inputType('DeleteSubAccountInput', {
  fields: (t) => ({
    subAccountId: t.globalID({ required: true, for: [AccountType] }),
    idempotencyKey: t.string({ description: 'Deleting moves its credit back: a retry with the same key replays the first result.' }),
  }),
});

export const TransferCreditInput = builder.inputType('TransferCreditInput', {
  fields: (t) => ({
    subAccountId: t.globalID({ required: true, for: [AccountType], description: 'One of your sub-accounts.' }),
    direction: t.field({ type: TransferDirectionEnum, required: true }),
    amount: t.field({ type: 'Decimal', required: true, description: 'Euros, at most 2 decimals; at least 30 € towards a sub-account.' }),
    idempotencyKey: t.string(),
  }),
});

export const SwitchAccountInput = builder.inputType('SwitchAccountInput', {
  fields: (t) => ({ accountId: t.globalID({ required: true, for: [AccountType], description: 'An account of yours or one of its sub-accounts.' }) }),
});

export const DeletedSubAccountType = builder.objectRef<DeletedSubAccount>('DeletedSubAccount').implement({
  fields: (t) => ({
    subAccountId: t.id({ resolve: (deleted) => subAccountGlobalId(deleted.subAccountId) }),
    name: t.exposeString('name'),
    returnedCredit: t.expose('returnedCredit', { type: 'Decimal', description: 'Credit returned to the main account.' }),
  }),
});

/** The global id a sub-account had (`Account`), which its closed record keeps. */
export function subAccountGlobalId(id: string): string {
  return Buffer.from(`Account:${id}`).toString('base64');
}

export const ClosedSubAccountType = builder.prismaObject('ClosedSubAccount', {
  description: 'A deleted sub-account, kept for its money trail: `ledgerEntries(subAccountId:)` lists its entries.',
  fields: (t) => ({
    id: t.id({ description: 'The id the sub-account had.', resolve: (closed) => subAccountGlobalId(closed.id) }),
    name: t.exposeString('name'),
    openedAt: t.expose('openedAt', { type: 'DateTime' }),
    closedAt: t.expose('closedAt', { type: 'DateTime' }),
    closedByUserId: t.exposeString('closedByUserId', { nullable: true, description: 'Database id of the user who deleted it.' }),
    closedByApiKeyId: t.exposeString('closedByApiKeyId', { nullable: true, description: 'Database id of the API key that deleted it.' }),
    returnedCredit: t.expose('returnedCredit', { type: 'Decimal', description: 'Credit returned to the main account when it was deleted.' }),
  }),
});

export const CreditTransferType = builder.objectRef<TransferResult>('CreditTransfer').implement({
  fields: (t) => ({
    direction: t.expose('direction', { type: TransferDirectionEnum }),
    amount: t.expose('amount', { type: 'Decimal' }),
    subAccount: t.prismaField({
      type: AccountType,
      nullable: true,
      description: 'Null once the sub-account is deleted.',
      resolve: (query, transfer) => prisma.account.findUnique({ ...query, where: { id: transfer.subAccountId } }),
    }),
    debitEntry: t.prismaField({
      type: LedgerEntryType,
      nullable: true,
      description: "Null once the sub-account is deleted (its ledger goes with it).",
      resolve: (query, transfer) => prisma.ledgerEntry.findUnique({ ...query, where: { id: transfer.debitEntryId } }),
    }),
    creditEntry: t.prismaField({
      type: LedgerEntryType,
      nullable: true,
      description: "Null once the sub-account is deleted (its ledger goes with it).",
      resolve: (query, transfer) => prisma.ledgerEntry.findUnique({ ...query, where: { id: transfer.creditEntryId } }),
    }),
  }),
});
