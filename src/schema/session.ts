import type { Session } from '../domain/auth/sessions.js';
import type { SignUpResult } from '../domain/accounts/sign-up.js';
import { prisma } from '../db/client.js';
import { AccountType } from './account.js';
import { builder } from './builder.js';
import { RoleEnum, UserType } from './user.js';

export const SessionType = builder.objectRef<Session>('Session').implement({
  description: 'Credentials of a logged-in user: a short-lived access token and a single-use refresh token.',
  fields: (t) => ({
    accessToken: t.exposeString('accessToken', { description: 'Send as `Authorization: Bearer <token>`.' }),
    accessTokenExpiresAt: t.expose('accessTokenExpiresAt', { type: 'DateTime' }),
    refreshToken: t.exposeString('refreshToken', { description: 'Good for one `refreshSession`.' }),
    refreshTokenExpiresAt: t.expose('refreshTokenExpiresAt', { type: 'DateTime' }),
    role: t.expose('role', { type: RoleEnum }),
    user: t.prismaField({
      type: UserType,
      resolve: (query, session) => prisma.user.findUniqueOrThrow({ ...query, where: { id: session.userId } }),
    }),
    account: t.prismaField({
      type: AccountType,
      resolve: (query, session) => prisma.account.findUniqueOrThrow({ ...query, where: { id: session.accountId } }),
    }),
  }),
});

export const SignUpPayload = builder.objectRef<SignUpResult>('SignUpPayload').implement({
  fields: (t) => ({
    confirmationId: t.exposeID('confirmationId', { description: 'Pass to `confirmMobile` with the code sent by SMS.' }),
    codeExpiresAt: t.expose('codeExpiresAt', { type: 'DateTime' }),
  }),
});

const AddressInput = builder.inputType('AddressInput', {
  fields: (t) => ({
    street: t.string({ required: true }),
    postalCode: t.string({ required: true }),
    city: t.string({ required: true }),
    country: t.string({ required: true, description: 'ISO 3166 alpha-2, e.g. FR.' }),
  }),
});

export const SignUpInput = builder.inputType('SignUpInput', {
  fields: (t) => ({
    email: t.field({ type: 'Email', required: true, description: 'A professional address (free web-mail is refused).' }),
    password: t.string({ required: true, description: 'At least 10 characters.' }),
    firstName: t.string({ required: true }),
    lastName: t.string({ required: true }),
    mobile: t.field({ type: 'Phone', required: true, description: 'A mobile number; national format is read in the address country.' }),
    companyName: t.string({ required: true }),
    companyNumber: t.string({ required: true, description: 'France: SIREN (9 digits) or SIRET (14 digits); elsewhere 3-30 letters or digits.' }),
    address: t.field({ type: AddressInput, required: true }),
    acceptServiceMessages: t.boolean({
      required: true,
      description: 'Consent that the mobile number receives security and service messages (and nothing else).',
    }),
  }),
});

export const ConfirmMobileInput = builder.inputType('ConfirmMobileInput', {
  fields: (t) => ({
    confirmationId: t.id({ required: true }),
    code: t.string({ required: true }),
  }),
});

export const LogInInput = builder.inputType('LogInInput', {
  fields: (t) => ({
    email: t.field({ type: 'Email', required: true }),
    password: t.string({ required: true }),
    accountId: t.globalID({ for: [AccountType], description: 'Which of your accounts to open; default: your own.' }),
  }),
});

export const RefreshTokenInput = builder.inputType('RefreshTokenInput', {
  fields: (t) => ({ refreshToken: t.string({ required: true }) }),
});
