import type { AcceptedInvitation } from '../domain/team.js';
import { builder } from './builder.js';
import { actorAccountId } from './context.js';
import { SessionType } from './session.js';
import { RoleEnum, UserType } from './user.js';

const InvitationStateEnum = builder.enumType('InvitationState', { values: ['PENDING', 'ACCEPTED', 'REVOKED', 'EXPIRED'] as const });

export const InvitationType = builder.prismaNode('Invitation', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  description: 'An invitation to join the team, sent by e-mail. Its token is never shown again.',
  fields: (t) => ({
    email: t.expose('email', { type: 'Email' }),
    role: t.expose('role', { type: RoleEnum }),
    state: t.field({
      type: InvitationStateEnum,
      resolve: (invitation) =>
        invitation.acceptedAt ? 'ACCEPTED' : invitation.revokedAt ? 'REVOKED' : invitation.expiresAt <= new Date() ? 'EXPIRED' : 'PENDING',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const InviteMemberInput = builder.inputType('InviteMemberInput', {
  fields: (t) => ({
    email: t.field({ type: 'Email', required: true }),
    role: t.field({ type: RoleEnum, required: true, description: 'Only an owner may grant OWNER or ADMIN.' }),
  }),
});

export const RevokeInvitationInput = builder.inputType('RevokeInvitationInput', {
  fields: (t) => ({ invitationId: t.globalID({ required: true, for: [InvitationType] }) }),
});

export const AcceptInvitationInput = builder.inputType('AcceptInvitationInput', {
  fields: (t) => ({
    token: t.string({ required: true, description: 'The token from the invitation e-mail.' }),
    password: t.string({ required: true, description: 'Your password, or the one to create if you have no user yet.' }),
    firstName: t.string({ description: 'New users only.' }),
    lastName: t.string({ description: 'New users only.' }),
    mobile: t.field({ type: 'Phone', description: 'New users only: confirmed with a code, as at sign-up.' }),
  }),
});

export const ChangeMemberRoleInput = builder.inputType('ChangeMemberRoleInput', {
  fields: (t) => ({
    userId: t.globalID({ required: true, for: [UserType] }),
    role: t.field({ type: RoleEnum, required: true }),
  }),
});

export const RemoveMemberInput = builder.inputType('RemoveMemberInput', {
  fields: (t) => ({ userId: t.globalID({ required: true, for: [UserType] }) }),
});

export const AcceptInvitationPayload = builder.objectRef<AcceptedInvitation>('AcceptInvitationPayload').implement({
  description: 'Either a session (existing users) or a pending mobile confirmation (new users: call `confirmMobile`).',
  fields: (t) => ({
    session: t.field({ type: SessionType, nullable: true, resolve: (accepted) => (accepted.kind === 'SESSION' ? accepted.session : null) }),
    confirmationId: t.id({ nullable: true, resolve: (accepted) => (accepted.kind === 'CONFIRM_MOBILE' ? accepted.confirmationId : null) }),
    codeExpiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (accepted) => (accepted.kind === 'CONFIRM_MOBILE' ? accepted.codeExpiresAt : null),
    }),
  }),
});

export const RemovedMemberType = builder.objectRef<{ userId: string }>('RemovedMember').implement({
  fields: (t) => ({ userId: t.id({ resolve: (removed) => Buffer.from(`User:${removed.userId}`).toString('base64') }) }),
});
