import { builder } from './builder.js';
import { actorAccountId } from './context.js';
import { RoleEnum } from './user.js';

export const ApiKeyType = builder.prismaNode('ApiKey', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  description: 'A partner API key. Its secret is shown once, when created.',
  fields: (t) => ({
    name: t.exposeString('name'),
    role: t.expose('role', { type: RoleEnum }),
    prefix: t.exposeString('prefix', { description: 'The public part of the key (`sk_<prefix>_...`).' }),
    createdBy: t.relation('createdBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

export const CreateApiKeyPayload = builder
  .objectRef<{ apiKey: { id: string }; secret: string }>('CreateApiKeyPayload')
  .implement({
    fields: (t) => ({
      apiKey: t.field({ type: ApiKeyType, resolve: (payload) => payload.apiKey as never }),
      secret: t.exposeString('secret', { description: 'The full key. Shown this once; store it safely.' }),
    }),
  });

export const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    role: t.field({ type: RoleEnum, required: true, description: 'Rights of the key; OWNER is not allowed.' }),
  }),
});

export const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', {
  fields: (t) => ({ id: t.globalID({ required: true, for: [ApiKeyType] }) }),
});
