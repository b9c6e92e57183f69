import { builder } from './builder.js';
import { actorAccountId } from './context.js';
import { PlanType } from './plan.js';

export const AccountStatusEnum = builder.enumType('AccountStatus', {
  values: ['PENDING_CONFIRMATION', 'ACTIVE', 'SUSPENDED'] as const,
});

export const AdditionalServiceEnum = builder.enumType('AdditionalService', {
  values: ['VOICE_SMS', 'SMS_2_0', 'FILE_SHARING', 'SUB_ACCOUNTS', 'HLR_MNP', 'DATABASE_RENTAL', 'OTP_MFA'] as const,
});

const Address = builder
  .objectRef<{ street: string; postalCode: string; city: string; country: string }>('Address')
  .implement({
    fields: (t) => ({
      street: t.exposeString('street'),
      postalCode: t.exposeString('postalCode'),
      city: t.exposeString('city'),
      country: t.exposeString('country', { description: 'ISO 3166 alpha-2.' }),
    }),
  });

export const AccountServiceType = builder.prismaObject('AccountService', {
  fields: (t) => ({
    service: t.expose('service', { type: AdditionalServiceEnum }),
    activatedAt: t.expose('activatedAt', { type: 'DateTime' }),
    legalNoticeVersion: t.exposeString('legalNoticeVersion', { nullable: true }),
    legalNoticeAcceptedAt: t.expose('legalNoticeAcceptedAt', { type: 'DateTime', nullable: true }),
  }),
});

export const AccountType = builder.prismaNode('Account', {
  id: { field: 'id' },
  nullable: true,
  // The caller's account and its sub-accounts only.
  findUnique: (id, context) => ({ id, OR: [{ id: actorAccountId(context) }, { parentId: actorAccountId(context) }] }),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Company name.' }),
    companyNumber: t.exposeString('companyNumber', { description: 'SIREN/SIRET in France, the national company number elsewhere.' }),
    address: t.field({
      type: Address,
      select: { street: true, postalCode: true, city: true, country: true },
      resolve: (account) => account,
    }),
    status: t.expose('status', { type: AccountStatusEnum }),
    plan: t.relation('plan', { type: PlanType }),
    creditBalance: t.expose('creditBalance', {
      type: 'Decimal',
      nullable: true,
      authScopes: { permission: 'billing:read' },
      description: 'Prepaid credit in euros (null, with an error, for roles without billing rights).',
    }),
    services: t.relation('services', { description: 'Additional services switched on.' }),
    parent: t.relation('parent', { nullable: true }),
    members: t.relatedConnection('memberships', {
      cursor: 'id',
      query: { orderBy: { createdAt: 'asc' } },
      nullable: true,
      authScopes: { permission: 'account:read' },
    }),
    apiKeys: t.relatedConnection('apiKeys', {
      cursor: 'id',
      query: { orderBy: { createdAt: 'desc' } },
      nullable: true,
      authScopes: { permission: 'apiKeys:manage' },
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});
