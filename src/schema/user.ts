import { builder } from './builder.js';
import { actorAccountId } from './context.js';

export const RoleEnum = builder.enumType('Role', {
  values: ['OWNER', 'ADMIN', 'MANAGER', 'AGENT', 'ANALYST', 'BILLING'] as const,
});

export const UserType = builder.prismaNode('User', {
  id: { field: 'id' },
  nullable: true,
  // Only members of the caller's account are visible.
  findUnique: (id, context) => ({ id, memberships: { some: { accountId: actorAccountId(context) } } }),
  fields: (t) => ({
    email: t.expose('email', { type: 'Email' }),
    firstName: t.exposeString('firstName'),
    lastName: t.exposeString('lastName'),
    mobile: t.field({
      type: 'Phone',
      nullable: true,
      description: 'Private: only the user themself sees their mobile number.',
      resolve: (user, _args, context) => (context.actor?.userId === user.id ? user.mobile : null),
    }),
    mobileConfirmed: t.boolean({ resolve: (user) => user.mobileConfirmedAt !== null }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const MembershipType = builder.prismaObject('Membership', {
  fields: (t) => ({
    role: t.expose('role', { type: RoleEnum }),
    user: t.relation('user'),
    account: t.relation('account'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});
