import { prisma } from '../db/client.js';
import { blacklistNumber, unblacklistNumber } from '../domain/contacts/blacklist.js';
import { ValidationError } from '../domain/errors.js';
import { builder } from '../schema/builder.js';
import { BlacklistEntryType, BlacklistNumberInput, UnblacklistPayload } from '../schema/contact.js';
import { requireActor } from './actor.js';

builder.queryField('blacklist', (t) =>
  t.prismaConnection({
    type: BlacklistEntryType,
    cursor: 'id',
    description: 'Blacklisted numbers of the account, newest first.',
    authScopes: { permission: 'contacts:read' },
    args: { numberPrefix: t.arg.string({ description: 'Start of the E.164 number, e.g. `+336`.' }) },
    resolve: (query, _root, { numberPrefix }, context) => {
      const digits = numberPrefix?.replace(/[^0-9]/g, '');
      return prisma.blacklistEntry.findMany({
        ...query,
        where: { accountId: requireActor(context).accountId, ...(digits ? { number: { startsWith: `+${digits}` } } : {}) },
        orderBy: { id: 'desc' },
      });
    },
  }),
);

builder.mutationField('blacklistNumber', (t) =>
  t.prismaField({
    type: BlacklistEntryType,
    description: 'Adds a number to the blacklist (idempotent: an existing entry is returned as it is).',
    authScopes: { permission: 'contacts:write' },
    args: { input: t.arg({ type: BlacklistNumberInput, required: true }) },
    errors: { types: [ValidationError] },
    resolve: (_query, _root, { input }, context) => blacklistNumber(requireActor(context), input),
  }),
);

builder.mutationField('unblacklistNumber', (t) =>
  t.field({
    type: UnblacklistPayload,
    authScopes: { permission: 'contacts:write' },
    args: { input: t.arg({ type: BlacklistNumberInput, required: true }) },
    errors: { types: [ValidationError] },
    resolve: (_root, { input }, context) => unblacklistNumber(requireActor(context), input),
  }),
);
