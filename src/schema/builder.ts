import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { config } from '../config.js';
import { prisma } from '../db/client.js';
import { NotAuthenticatedError, PermissionDeniedError } from '../domain/errors.js';
import { can, type Permission } from '../domain/permissions.js';
import { isPlatformOperator } from '../domain/operators/platform-operators.js';
import type PrismaTypes from '../generated/pothos-prisma-types.js';
import { getDatamodel } from '../generated/pothos-prisma-types.js';
import type { Context } from './context.js';

/**
 * Plugin order (each wraps the ones after it):
 * 1. scope-auth first, so no other plugin's resolver wrapper runs before authorisation;
 * 2. errors next, so domain errors thrown by resolvers become typed results;
 * 3. prisma, then relay, which builds nodes and connections on the prisma types.
 */
export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { authenticated: boolean; permission: Permission; user: boolean; platformOperator: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Email: { Input: string; Output: string };
    Phone: { Input: string; Output: string };
    Decimal: { Input: string; Output: string | { toFixed(): string } };
    /** GraphQL multipart request upload (Yoga parses it natively); input only. */
    File: { Input: File; Output: never };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      authenticated: context.actor !== null,
      user: context.actor?.kind === 'USER',
      permission: (permission: Permission) => context.actor !== null && can(context.actor.role, permission),
      // Read from the database only when a field asks for it.
      platformOperator: () => isPlatformOperator(context.actor),
    }),
    unauthorizedError: (_parent, context, _info, result) =>
      context.actor ? new PermissionDeniedError(describeFailure(result.failure) || 'a permission this role lacks', context.actor.role) : new NotAuthenticatedError(),
  },
  errors: { defaultTypes: [] },
  prisma: {
    client: prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: config.env === 'development' ? 'warn' : null,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
  },
});

interface ScopeFailure {
  kind: string;
  scope?: string;
  parameter?: unknown;
  failures?: ScopeFailure[];
}

/** Names what was missing: the first failed scope, searched through any/all combinations. */
function describeFailure(failure: ScopeFailure): string {
  if (failure.kind === 'AuthScope' && failure.scope === 'permission') return String(failure.parameter);
  if (failure.kind === 'AuthScope' && failure.scope === 'user') return 'a logged-in user (not an API key)';
  if (failure.kind === 'AuthScope' && failure.scope === 'platformOperator') return 'platform operator';
  for (const inner of failure.failures ?? []) {
    const described = describeFailure(inner);
    if (described) return described;
  }
  return '';
}
