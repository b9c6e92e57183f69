import { confirmMobile, resendMobileConfirmation, signUp } from '../domain/accounts/sign-up.js';
import { logIn, logOut, refreshSession } from '../domain/auth/sessions.js';
import {
  ConfirmationCodeError,
  EmailTakenError,
  InvalidCredentialsError,
  InvalidSessionError,
  MobileNotConfirmedError,
  ValidationError,
} from '../domain/errors.js';
import { builder } from '../schema/builder.js';
import {
  ConfirmMobileInput,
  LogInInput,
  RefreshTokenInput,
  SessionType,
  SignUpInput,
  SignUpPayload,
} from '../schema/session.js';

builder.mutationField('signUp', (t) =>
  t.field({
    type: SignUpPayload,
    description: 'Opens an account; a confirmation code is sent to the mobile number.',
    args: { input: t.arg({ type: SignUpInput, required: true }) },
    errors: { types: [ValidationError, EmailTakenError] },
    resolve: (_root, { input }) => signUp(input),
  }),
);

builder.mutationField('confirmMobile', (t) =>
  t.field({
    type: SessionType,
    description: 'Confirms the mobile number with the code sent at sign-up; activates the account and logs in.',
    args: { input: t.arg({ type: ConfirmMobileInput, required: true }) },
    errors: { types: [ConfirmationCodeError] },
    resolve: (_root, { input }) => confirmMobile(String(input.confirmationId), input.code),
  }),
);

builder.mutationField('resendMobileConfirmation', (t) =>
  t.field({
    type: 'DateTime',
    description: 'Sends a new confirmation code (at most once a minute); returns when it expires.',
    args: { confirmationId: t.arg.id({ required: true }) },
    errors: { types: [ConfirmationCodeError, ValidationError] },
    resolve: async (_root, { confirmationId }) => (await resendMobileConfirmation(String(confirmationId))).codeExpiresAt,
  }),
);

builder.mutationField('logIn', (t) =>
  t.field({
    type: SessionType,
    args: { input: t.arg({ type: LogInInput, required: true }) },
    errors: { types: [InvalidCredentialsError, MobileNotConfirmedError] },
    resolve: (_root, { input }) =>
      logIn({ email: input.email, password: input.password, accountId: input.accountId?.id ?? null }),
  }),
);

builder.mutationField('refreshSession', (t) =>
  t.field({
    type: SessionType,
    description: 'Exchanges a refresh token for a new session; each refresh token works once.',
    args: { input: t.arg({ type: RefreshTokenInput, required: true }) },
    errors: { types: [InvalidSessionError] },
    resolve: (_root, { input }) => refreshSession(input.refreshToken),
  }),
);

builder.mutationField('logOut', (t) =>
  t.boolean({
    description: 'Revokes the session of this refresh token (the access token expires on its own).',
    args: { input: t.arg({ type: RefreshTokenInput, required: true }) },
    resolve: async (_root, { input }) => {
      await logOut(input.refreshToken);
      return true;
    },
  }),
);
