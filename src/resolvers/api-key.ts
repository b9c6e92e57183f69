import { createApiKey, revokeApiKey } from '../domain/auth/api-keys.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { ApiKeyType, CreateApiKeyInput, CreateApiKeyPayload, RevokeApiKeyInput } from '../schema/api-key.js';
import { builder } from '../schema/builder.js';
import { requireActor } from './actor.js';

builder.mutationField('createApiKey', (t) =>
  t.field({
    type: CreateApiKeyPayload,
    authScopes: { $all: { permission: 'apiKeys:manage', user: true } },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    errors: { types: [ValidationError] },
    resolve: (_root, { input }, context) => createApiKey(requireActor(context), input),
  }),
);

builder.mutationField('revokeApiKey', (t) =>
  t.prismaField({
    type: ApiKeyType,
    authScopes: { permission: 'apiKeys:manage' },
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true }) },
    errors: { types: [NotFoundError] },
    resolve: (_query, _root, { input }, context) => revokeApiKey(requireActor(context), input.id.id),
  }),
);
