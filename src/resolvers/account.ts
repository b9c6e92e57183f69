import { prisma } from '../db/client.js';
import { LegalNoticeRequiredError } from '../domain/errors.js';
import { activateService } from '../domain/services.js';
import { pubSub } from '../events/bus.js';
import { AccountServiceType, AccountType, AdditionalServiceEnum } from '../schema/account.js';
import { builder } from '../schema/builder.js';
import { requireActor } from './actor.js';

const ActivateServiceInput = builder.inputType('ActivateServiceInput', {
  fields: (t) => ({
    service: t.field({ type: AdditionalServiceEnum, required: true }),
    acceptedLegalNotice: t.string({ description: 'Version of the legal notice accepted (required for VOICE_SMS).' }),
  }),
});

builder.mutationField('activateService', (t) =>
  t.prismaField({
    type: AccountServiceType,
    description: 'Switches an additional service on for the account (idempotent).',
    authScopes: { permission: 'services:manage' },
    args: { input: t.arg({ type: ActivateServiceInput, required: true }) },
    errors: { types: [LegalNoticeRequiredError] },
    resolve: (_query, _root, { input }, context) => activateService(requireActor(context), input),
  }),
);

builder.subscriptionField('accountUpdated', (t) =>
  t.prismaField({
    type: AccountType,
    description: "Fires when the account's plan, services or profile change.",
    authScopes: { authenticated: true },
    subscribe: (_root, _args, context) => pubSub.subscribe('accountUpdated', requireActor(context).accountId),
    resolve: (query, event) => prisma.account.findUniqueOrThrow({ ...query, where: { id: event.accountId } }),
  }),
);
