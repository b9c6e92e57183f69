import { prisma } from '../db/client.js';
import { requirePermission } from '../domain/auth/actor.js';
import { IdempotencyKeyReusedError, PaymentDeclinedError, ValidationError } from '../domain/errors.js';
import { creditBalanceOf } from '../domain/credit/ledger.js';
import { topUpCredit } from '../domain/credit/top-up.js';
import { formatEuros } from '../domain/messaging/prices.js';
import { requireOwnSubAccount } from '../domain/sub-accounts.js';
import { AccountType } from '../schema/account.js';
import { builder } from '../schema/builder.js';
import { CreditBalanceType, LedgerEntryKindEnum, TopUpCreditInput, TopUpType } from '../schema/credit.js';
import { requireActor } from './actor.js';

builder.queryField('creditBalance', (t) =>
  t.field({
    type: CreditBalanceType,
    authScopes: { permission: 'billing:read' },
    resolve: async (_root, _args, context) => {
      const actor = requireActor(context);
      requirePermission(actor, 'billing:read');
      const balance = await creditBalanceOf(prisma, actor.accountId);
      return { available: formatEuros(balance.available, { trim: true }), reserved: formatEuros(balance.reserved, { trim: true }), currency: 'EUR' };
    },
  }),
);

builder.queryField('ledgerEntries', (t) =>
  t.prismaConnection({
    type: 'LedgerEntry',
    cursor: 'position',
    description: 'Every change of the credit balance, newest first.',
    authScopes: { permission: 'billing:read' },
    args: {
      subAccountId: t.arg.globalID({
        for: [AccountType],
        description: "One of your sub-accounts' entries instead of yours, open or deleted (see `closedSubAccounts`).",
      }),
      kinds: t.arg({ type: [LedgerEntryKindEnum], description: 'Only these kinds.' }),
      from: t.arg({ type: 'DateTime', description: 'Entries at or after this instant.' }),
      to: t.arg({ type: 'DateTime', description: 'Entries strictly before this instant.' }),
    },
    resolve: async (query, _root, args, context) => {
      const actor = requireActor(context);
      requirePermission(actor, 'billing:read');
      if (args.from && args.to && args.from >= args.to) throw ValidationError.single('to', 'must be after `from`');
      const accountId = args.subAccountId ? await requireOwnSubAccount(actor.accountId, args.subAccountId.id) : actor.accountId;
      return prisma.ledgerEntry.findMany({
        ...query,
        where: {
          accountId,
          ...(args.kinds && args.kinds.length > 0 ? { kind: { in: args.kinds } } : {}),
          ...(args.from || args.to ? { createdAt: { ...(args.from ? { gte: args.from } : {}), ...(args.to ? { lt: args.to } : {}) } } : {}),
        },
        orderBy: { position: 'desc' },
      });
    },
  }),
);

builder.mutationField('topUpCredit', (t) =>
  t.prismaField({
    type: TopUpType,
    description: 'Buys credit through the payment provider and issues an invoice. Accepts an idempotency key.',
    authScopes: { permission: 'billing:manage' },
    args: { input: t.arg({ type: TopUpCreditInput, required: true }) },
    errors: { types: [ValidationError, PaymentDeclinedError, IdempotencyKeyReusedError] },
    resolve: async (query, _root, { input }, context) => {
      const { topUpId } = await topUpCredit(requireActor(context), input);
      return prisma.topUp.findUniqueOrThrow({ ...query, where: { id: topUpId } });
    },
  }),
);
