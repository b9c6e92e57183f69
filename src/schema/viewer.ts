import type { Actor } from '../domain/auth/actor.js';
import { isPlatformOperator } from '../domain/operators/platform-operators.js';
import { ROLE_PERMISSIONS } from '../domain/permissions.js';
import { prisma } from '../db/client.js';
import { AccountType } from './account.js';
import { ApiKeyType } from './api-key.js';
import { builder } from './builder.js';
import { MembershipType, RoleEnum, UserType } from './user.js';

export const ViewerType = builder.objectRef<Actor>('Viewer').implement({
  description: 'Who is calling: a user (session) or a partner API key, acting in one account.',
  fields: (t) => ({
    kind: t.string({ description: '`USER` or `API_KEY`.', resolve: (actor) => actor.kind }),
    role: t.expose('role', { type: RoleEnum }),
    permissions: t.stringList({ resolve: (actor) => [...ROLE_PERMISSIONS[actor.role]] }),
    platformOperator: t.boolean({
      description: 'A member of the platform staff: may list unrouted replies and hand them to an account (`unroutedMessages`).',
      resolve: (actor) => isPlatformOperator(actor),
    }),
    account: t.prismaField({
      type: AccountType,
      resolve: (query, actor) => prisma.account.findUniqueOrThrow({ ...query, where: { id: actor.accountId } }),
    }),
    user: t.prismaField({
      type: UserType,
      nullable: true,
      resolve: (query, actor) => (actor.userId ? prisma.user.findUnique({ ...query, where: { id: actor.userId } }) : null),
    }),
    apiKey: t.prismaField({
      type: ApiKeyType,
      nullable: true,
      resolve: (query, actor) => (actor.apiKeyId ? prisma.apiKey.findUnique({ ...query, where: { id: actor.apiKeyId } }) : null),
    }),
    memberships: t.prismaField({
      type: [MembershipType],
      description: 'The accounts this user belongs to (log in again with `accountId` to switch).',
      resolve: (query, actor) =>
        actor.userId ? prisma.membership.findMany({ ...query, where: { userId: actor.userId }, orderBy: { createdAt: 'asc' } }) : [],
    }),
  }),
});
