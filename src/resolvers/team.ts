import { prisma } from '../db/client.js';
import {
  InvalidCredentialsError,
  InvitationInvalidError,
  LastOwnerError,
  NotFoundError,
  PermissionDeniedError,
  PlanLimitError,
  ValidationError,
} from '../domain/errors.js';
import { acceptInvitation, changeMemberRole, inviteMember, removeMember, revokeInvitation } from '../domain/team.js';
import { builder } from '../schema/builder.js';
import {
  AcceptInvitationInput,
  AcceptInvitationPayload,
  ChangeMemberRoleInput,
  InvitationType,
  InviteMemberInput,
  RemovedMemberType,
  RemoveMemberInput,
  RevokeInvitationInput,
} from '../schema/team.js';
import { MembershipType } from '../schema/user.js';
import { requireActor } from './actor.js';

builder.queryField('invitations', (t) =>
  t.prismaConnection({
    type: InvitationType,
    cursor: 'id',
    description: 'Invitations of the current account, newest first.',
    authScopes: { permission: 'team:manage' },
    resolve: (query, _root, _args, context) =>
      prisma.invitation.findMany({ ...query, where: { accountId: requireActor(context).accountId }, orderBy: { id: 'desc' } }),
  }),
);

builder.mutationField('inviteMember', (t) =>
  t.prismaField({
    type: InvitationType,
    description: 'Invites someone by e-mail (the e-mail carries a single-use token). Counts towards the plan\'s team members.',
    authScopes: { $all: { permission: 'team:manage', user: true } },
    args: { input: t.arg({ type: InviteMemberInput, required: true }) },
    errors: { types: [ValidationError, PlanLimitError, PermissionDeniedError] },
    resolve: async (query, _root, { input }, context) => {
      const { invitation } = await inviteMember(requireActor(context), input);
      return prisma.invitation.findUniqueOrThrow({ ...query, where: { id: invitation.id } });
    },
  }),
);

builder.mutationField('revokeInvitation', (t) =>
  t.prismaField({
    type: InvitationType,
    authScopes: { permission: 'team:manage' },
    args: { input: t.arg({ type: RevokeInvitationInput, required: true }) },
    errors: { types: [NotFoundError, PermissionDeniedError] },
    resolve: async (query, _root, { input }, context) => {
      const invitation = await revokeInvitation(requireActor(context), input.invitationId.id);
      return prisma.invitation.findUniqueOrThrow({ ...query, where: { id: invitation.id } });
    },
  }),
);

builder.mutationField('acceptInvitation', (t) =>
  t.field({
    type: AcceptInvitationPayload,
    description: 'Joins the team of the invitation. No authentication needed: the token and the password prove who you are.',
    args: { input: t.arg({ type: AcceptInvitationInput, required: true }) },
    errors: { types: [InvitationInvalidError, InvalidCredentialsError, ValidationError, PlanLimitError] },
    resolve: (_root, { input }) => acceptInvitation(input),
  }),
);

builder.mutationField('changeMemberRole', (t) =>
  t.prismaField({
    type: MembershipType,
    description: 'Only an owner grants OWNER or ADMIN or changes an owner or admin; the last owner stays an owner.',
    authScopes: { permission: 'team:manage' },
    args: { input: t.arg({ type: ChangeMemberRoleInput, required: true }) },
    errors: { types: [NotFoundError, PermissionDeniedError, LastOwnerError] },
    resolve: async (query, _root, { input }, context) => {
      const membership = await changeMemberRole(requireActor(context), { userId: input.userId.id, role: input.role });
      return prisma.membership.findUniqueOrThrow({ ...query, where: { id: membership.id } });
    },
  }),
);

builder.mutationField('removeMember', (t) =>
  t.field({
    type: RemovedMemberType,
    description: 'Removes a member and revokes their sessions here. The last owner cannot be removed.',
    authScopes: { permission: 'team:manage' },
    args: { input: t.arg({ type: RemoveMemberInput, required: true }) },
    errors: { types: [NotFoundError, PermissionDeniedError, LastOwnerError] },
    resolve: (_root, { input }, context) => removeMember(requireActor(context), { userId: input.userId.id }),
  }),
);
