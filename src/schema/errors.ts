import {
  ConfirmationCodeError,
  type DomainError,
  DuplicateContactError,
  EmailTakenError,
  InvalidCredentialsError,
  InvalidSessionError,
  LegalNoticeRequiredError,
  MobileNotConfirmedError,
  NotAuthenticatedError,
  NotFoundError,
  PermissionDeniedError,
  PlanLimitError,
  ServiceNotActiveError,
  ValidationError,
  InsufficientCreditError,
  IdempotencyKeyReusedError,
  PaymentDeclinedError,
  LastOwnerError,
  InvitationInvalidError,
} from '../domain/errors.js';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { builder } from './builder.js';

/** The one interface of every error a user can act on: query `... on Error { code message }`. */
export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  fields: (t) => ({
    code: t.exposeString('code', { description: 'Stable machine-readable code, e.g. VALIDATION_FAILED.' }),
    message: t.exposeString('message', { description: 'A sentence for people.' }),
  }),
});

const asError = { interfaces: [ErrorInterface] };

const FieldProblem = builder.objectRef<{ field: string; message: string }>('FieldProblem').implement({
  fields: (t) => ({
    field: t.exposeString('field', { description: 'Path of the input field, e.g. `address.postalCode`.' }),
    message: t.exposeString('message'),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  ...asError,
  fields: (t) => ({
  problems: t.field({ type: [FieldProblem], resolve: (error) => error.problems }),
})
});
builder.objectType(NotAuthenticatedError, { name: 'NotAuthenticatedError', ...asError });
builder.objectType(PermissionDeniedError, {
  name: 'PermissionDeniedError',
  ...asError,
  fields: (t) => ({
  permission: t.exposeString('permission'),
})
});
builder.objectType(InvalidCredentialsError, { name: 'InvalidCredentialsError', ...asError });
builder.objectType(EmailTakenError, { name: 'EmailTakenError', ...asError });
builder.objectType(MobileNotConfirmedError, { name: 'MobileNotConfirmedError', ...asError });

const ConfirmationFailure = builder.enumType('ConfirmationFailure', {
  values: ['WRONG_CODE', 'EXPIRED', 'TOO_MANY_ATTEMPTS', 'ALREADY_CONFIRMED', 'NOT_FOUND'] as const,
});
builder.objectType(ConfirmationCodeError, {
  name: 'ConfirmationCodeError',
  ...asError,
  fields: (t) => ({
  reason: t.field({ type: ConfirmationFailure, resolve: (error) => error.reason }),
  attemptsLeft: t.int({ nullable: true, resolve: (error) => error.attemptsLeft }),
})
});
builder.objectType(InvalidSessionError, { name: 'InvalidSessionError', ...asError });
builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  ...asError,
  fields: (t) => ({ entity: t.exposeString('entity') })
});
builder.objectType(PlanLimitError, {
  name: 'PlanLimitError',
  ...asError,
  fields: (t) => ({
  limit: t.exposeString('limit', { description: 'The plan limit reached, e.g. `contactLists`.' }),
  allowed: t.exposeInt('allowed'),
  currentPlan: t.exposeString('currentPlan'),
  upgradePlan: t.exposeString('upgradePlan', { nullable: true, description: 'The smallest plan that allows more.' }),
})
});
builder.objectType(ServiceNotActiveError, {
  name: 'ServiceNotActiveError',
  ...asError,
  fields: (t) => ({ service: t.exposeString('service') })
});
builder.objectType(LegalNoticeRequiredError, {
  name: 'LegalNoticeRequiredError',
  ...asError,
  fields: (t) => ({
  service: t.exposeString('service'),
  version: t.exposeString('version', { description: 'The legal notice version to accept.' }),
})
});

builder.objectType(DuplicateContactError, {
  name: 'DuplicateContactError',
  ...asError,
  fields: (t) => ({
    number: t.exposeString('number', { description: 'The number, in E.164.' }),
    existingContactId: t.id({ description: 'Global id of the contact that has it.', resolve: (error) => encodeGlobalID('Contact', error.existingContactId) }),
  }),
});

/** Errors any authenticated mutation may return. */
export const COMMON_ERRORS = [ValidationError, PermissionDeniedError, NotFoundError];

// ---- Money and organisation (issue 4) ----
builder.objectType(InsufficientCreditError, {
  name: 'InsufficientCreditError',
  ...asError,
  fields: (t) => ({
    required: t.expose('required', { type: 'Decimal', description: 'Euros needed.' }),
    available: t.expose('available', { type: 'Decimal', description: 'Euros available.' }),
    missing: t.expose('missing', { type: 'Decimal', description: 'Euros missing: top up at least this much.' }),
  }),
});
builder.objectType(IdempotencyKeyReusedError, {
  name: 'IdempotencyKeyReusedError',
  ...asError,
  fields: (t) => ({ key: t.exposeString('key') }),
});
builder.objectType(PaymentDeclinedError, {
  name: 'PaymentDeclinedError',
  ...asError,
  fields: (t) => ({ reason: t.exposeString('reason') }),
});
builder.objectType(LastOwnerError, { name: 'LastOwnerError', ...asError });
const InvitationFailure = builder.enumType('InvitationFailure', { values: ['NOT_FOUND', 'EXPIRED', 'REVOKED', 'ALREADY_ACCEPTED'] as const });
builder.objectType(InvitationInvalidError, {
  name: 'InvitationInvalidError',
  ...asError,
  fields: (t) => ({ reason: t.field({ type: InvitationFailure, resolve: (error) => error.reason }) }),
});
