/**
 * Failures a user can act on. Each is a class the GraphQL schema exposes through the one
 * `Error` interface (Pothos errors plugin); anything else is masked and logged.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export interface FieldProblem {
  /** Input path, e.g. `address.postalCode`. */
  field: string;
  message: string;
}

/** Input that breaks a rule; lists every problem found, not only the first. */
export class ValidationError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((problem) => `${problem.field}: ${problem.message}`).join('; '));
  }
  static single(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class NotAuthenticatedError extends DomainError {
  readonly code = 'NOT_AUTHENTICATED';
  constructor(message = 'Authentication required: send a valid access token or API key.') {
    super(message);
  }
}

export class PermissionDeniedError extends DomainError {
  readonly code = 'PERMISSION_DENIED';
  constructor(readonly permission: string, role: string) {
    super(`Your role (${role}) does not allow this action (needs "${permission}").`);
  }
}

/** Wrong e-mail or password; never says which, so it cannot reveal whether an e-mail exists. */
export class InvalidCredentialsError extends DomainError {
  readonly code = 'INVALID_CREDENTIALS';
  constructor() {
    super('Wrong e-mail or password.');
  }
}

export class EmailTakenError extends DomainError {
  readonly code = 'EMAIL_TAKEN';
  constructor() {
    super('An account already uses this e-mail address.');
  }
}

export class MobileNotConfirmedError extends DomainError {
  readonly code = 'MOBILE_NOT_CONFIRMED';
  constructor() {
    super('Confirm your mobile number with the code we sent before logging in.');
  }
}

export type ConfirmationFailure = 'WRONG_CODE' | 'EXPIRED' | 'TOO_MANY_ATTEMPTS' | 'ALREADY_CONFIRMED' | 'NOT_FOUND';

export class ConfirmationCodeError extends DomainError {
  readonly code = 'CONFIRMATION_FAILED';
  constructor(readonly reason: ConfirmationFailure, readonly attemptsLeft: number | null) {
    super(confirmationMessage(reason, attemptsLeft));
  }
}

function confirmationMessage(reason: ConfirmationFailure, attemptsLeft: number | null): string {
  switch (reason) {
    case 'WRONG_CODE':
      return `Wrong confirmation code; ${attemptsLeft ?? 0} attempt(s) left.`;
    case 'EXPIRED':
      return 'This confirmation code has expired; ask for a new one.';
    case 'TOO_MANY_ATTEMPTS':
      return 'Too many wrong codes; ask for a new one.';
    case 'ALREADY_CONFIRMED':
      return 'This mobile number is already confirmed.';
    case 'NOT_FOUND':
      return 'No confirmation is pending for this sign-up.';
  }
}

export class InvalidSessionError extends DomainError {
  readonly code = 'INVALID_SESSION';
  constructor(message = 'This session is no longer valid; log in again.') {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(readonly entity: string) {
    super(`${entity} not found.`);
  }
}

export class PlanLimitError extends DomainError {
  readonly code = 'PLAN_LIMIT_REACHED';
  constructor(
    readonly limit: string,
    readonly allowed: number,
    readonly currentPlan: string,
    /** The smallest plan that allows more, or null on the largest plan. */
    readonly upgradePlan: string | null,
  ) {
    super(
      `Your ${currentPlan} plan allows ${allowed} ${limitLabel(limit)}` +
        (upgradePlan ? `; the ${upgradePlan} plan allows more.` : '; this is the largest plan.'),
    );
  }
}

export class ServiceNotActiveError extends DomainError {
  readonly code = 'SERVICE_NOT_ACTIVE';
  constructor(readonly service: string) {
    super(`The ${service} service is not active on this account; activate it first.`);
  }
}

export class LegalNoticeRequiredError extends DomainError {
  readonly code = 'LEGAL_NOTICE_REQUIRED';
  constructor(readonly service: string, readonly version: string) {
    super(`Activating ${service} requires accepting its legal notice (version ${version}).`);
  }
}

const LIMIT_LABELS: Record<string, string> = {
  liveLinks: 'SMS 2.0 links or landing pages alive at once',
  liveSharedFiles: 'shared files alive at once',
  subAccounts: 'sub-accounts',
  contactLists: 'contact lists',
  smsTemplates: 'SMS templates',
  openConversations: 'open conversations',
  monthlyDataExports: 'data exports per calendar month',
  teamMembers: 'team members (owner included)',
};

function limitLabel(limit: string): string {
  return LIMIT_LABELS[limit] ?? limit;
}

// ---- Money and organisation (issue 4) ----

/** The balance cannot cover a debit; says how much is missing (SPEC section 3). */
export class InsufficientCreditError extends DomainError {
  readonly code = 'INSUFFICIENT_CREDIT';
  constructor(
    /** Decimal strings in euros. */
    readonly required: string,
    readonly available: string,
    readonly missing: string,
  ) {
    super(`Insufficient credit: ${required} € needed, ${available} € available; ${missing} € missing.`);
  }
}

/** An idempotency key already used with another operation or another input. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor(readonly key: string, readonly firstOperation: string) {
    super(`The idempotency key "${key}" was already used for a different request (${firstOperation}); use a new key for a new request.`);
  }
}

/** The payment provider refused a top-up; nothing was credited. */
export class PaymentDeclinedError extends DomainError {
  readonly code = 'PAYMENT_DECLINED';
  constructor(readonly reason: string) {
    super(`The payment was declined: ${reason}. Nothing was credited.`);
  }
}

/** A change that would leave the account without an owner. */
export class LastOwnerError extends DomainError {
  readonly code = 'LAST_OWNER';
  constructor() {
    super('An account keeps at least one owner: make another member owner first.');
  }
}

/** An invitation token that is unknown, expired, revoked or already used. */
export class InvitationInvalidError extends DomainError {
  readonly code = 'INVITATION_INVALID';
  constructor(readonly reason: 'NOT_FOUND' | 'EXPIRED' | 'REVOKED' | 'ALREADY_ACCEPTED') {
    super(
      {
        NOT_FOUND: 'This invitation does not exist.',
        EXPIRED: 'This invitation has expired; ask for a new one.',
        REVOKED: 'This invitation was withdrawn.',
        ALREADY_ACCEPTED: 'This invitation was already accepted.',
      }[reason],
    );
  }
}

/** A number is stored once per account: creating it again names the existing contact. */
export class DuplicateContactError extends DomainError {
  readonly code = 'DUPLICATE_CONTACT';
  constructor(readonly number: string, readonly existingContactId: string) {
    super(`A contact with the number ${number} already exists in this account.`);
  }
}
