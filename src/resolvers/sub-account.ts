import { prisma } from '../db/client.js';
import { requirePermission } from '../domain/auth/actor.js';
import {
  IdempotencyKeyReusedError,
  InsufficientCreditError,
  NotFoundError,
  PermissionDeniedError,
  PlanLimitError,
  ServiceNotActiveError,
  ValidationError,
} from '../domain/errors.js';
import { createSubAccount, deleteSubAccount, renameSubAccount, switchAccount, transferCredit } from '../domain/sub-accounts.js';
import { AccountType } from '../schema/account.js';
import { builder } from '../schema/builder.js';
import { SessionType } from '../schema/session.js';
import {
  ClosedSubAccountType,
  CreateSubAccountInput,
  CreditTransferType,
  DeleteSubAccountInput,
  DeletedSubAccountType,
  RenameSubAccountInput,
  SwitchAccountInput,
  TransferCreditInput,
} from '../schema/sub-account.js';
import { requireActor } from './actor.js';

builder.queryField('subAccounts', (t) =>
  t.prismaConnection({
    type: AccountType,
    cursor: 'id',
    description: 'The sub-accounts of the current account, oldest first.',
    authScopes: { permission: 'account:read' },
    resolve: (query, _root, _args, context) =>
      prisma.account.findMany({ ...query, where: { parentId: requireActor(context).accountId }, orderBy: { id: 'asc' } }),
  }),
);

builder.queryField('closedSubAccounts', (t) =>
  t.prismaConnection({
    type: ClosedSubAccountType,
    cursor: 'id',
    description: 'The deleted sub-accounts of the current account, kept for their money trail; the most recently opened first.',
    authScopes: { permission: 'billing:read' },
    resolve: (query, _root, _args, context) => {
      const actor = requireActor(context);
      requirePermission(actor, 'billing:read');
      return prisma.closedSubAccount.findMany({ ...query, where: { parentId: actor.accountId }, orderBy: { id: 'desc' } });
    },
  }),
);

builder.mutationField('createSubAccount', (t) =>
  t.prismaField({
    type: AccountType,
    description: 'Opens a sub-account (needs the SUB_ACCOUNTS service; limited by the plan).',
    authScopes: { permission: 'account:manage' },
    args: { input: t.arg({ type: CreateSubAccountInput, required: true }) },
    errors: { types: [ValidationError, PlanLimitError, ServiceNotActiveError] },
    resolve: async (query, _root, { input }, context) => {
      const created = await createSubAccount(requireActor(context), input);
      return prisma.account.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
);

builder.mutationField('renameSubAccount', (t) =>
  t.prismaField({
    type: AccountType,
    authScopes: { permission: 'account:manage' },
    args: { input: t.arg({ type: RenameSubAccountInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, ServiceNotActiveError] },
    resolve: async (query, _root, { input }, context) => {
      const renamed = await renameSubAccount(requireActor(context), { subAccountId: input.subAccountId.id, name: input.name });
      return prisma.account.findUniqueOrThrow({ ...query, where: { id: renamed.id } });
    },
  }),
);

builder.mutationField('deleteSubAccount', (t) =>
  t.field({
    type: DeletedSubAccountType,
    description:
      'Deletes a sub-account and its data; its remaining credit returns to the main account. Its ledger entries are kept (`closedSubAccounts`, `ledgerEntries(subAccountId:)`).',
    authScopes: { permission: 'account:manage' },
    args: { input: t.arg({ type: DeleteSubAccountInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, ServiceNotActiveError, IdempotencyKeyReusedError] },
    resolve: (_root, { input }, context) =>
      deleteSubAccount(requireActor(context), { subAccountId: input.subAccountId.id, idempotencyKey: input.idempotencyKey }),
  }),
);

builder.mutationField('transferCredit', (t) =>
  t.field({
    type: CreditTransferType,
    description: 'Moves credit between the main account and one of its sub-accounts. Accepts an idempotency key.',
    authScopes: { permission: 'billing:manage' },
    args: { input: t.arg({ type: TransferCreditInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, InsufficientCreditError, ServiceNotActiveError, IdempotencyKeyReusedError] },
    resolve: (_root, { input }, context) =>
      transferCredit(requireActor(context), { ...input, subAccountId: input.subAccountId.id }),
  }),
);

builder.mutationField('switchAccount', (t) =>
  t.field({
    type: SessionType,
    description: 'Opens a session in another of your accounts, or in a sub-account of one (with your role there).',
    authScopes: { user: true },
    args: { input: t.arg({ type: SwitchAccountInput, required: true }) },
    errors: { types: [NotFoundError, PermissionDeniedError] },
    resolve: (_root, { input }, context) => switchAccount(requireActor(context), input.accountId.id),
  }),
);
