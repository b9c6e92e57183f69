import { config } from '../../config.js';
import { prisma, type Transaction } from '../../db/client.js';
import { Prisma } from '../../generated/prisma/client.js';
import { dispatchServiceMessagesNow, queueServiceMessage } from '../../gateways/service-messages.js';
import { hashPassword } from '../auth/passwords.js';
import { keyedHash, randomDigits, safeEqual } from '../auth/secrets.js';
import { openSession, type Session } from '../auth/sessions.js';
import { ConfirmationCodeError, EmailTakenError, ValidationError } from '../errors.js';
import { checkSignUp, type SignUpInput } from './sign-up-rules.js';

const CODE_LENGTH = 6;
/** A new code can be asked for once a minute at most. */
const RESEND_COOLDOWN_MS = 60_000;

export interface SignUpResult {
  userId: string;
  accountId: string;
  /** Identifies the pending confirmation; the code itself went to the mobile number. */
  confirmationId: string;
  codeExpiresAt: Date;
}

/**
 * Opens an account and its owner, pending the mobile confirmation. Everything is written in
 * one transaction with the code's service message, or nothing is.
 */
export async function signUp(input: SignUpInput): Promise<SignUpResult> {
  const { problems, normalised } = checkSignUp(input);
  if (problems.length > 0) throw new ValidationError(problems);
  if (await prisma.user.findUnique({ where: { email: normalised.email }, select: { id: true } })) throw new EmailTakenError();

  const passwordHash = await hashPassword(normalised.password);
  const code = randomDigits(CODE_LENGTH);
  const codeExpiresAt = new Date(Date.now() + config.auth.mobileCodeTtlSeconds * 1000);
  let signedUp: SignUpResult;
  try {
    signedUp = await prisma.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: {
          email: normalised.email,
          passwordHash,
          firstName: normalised.firstName,
          lastName: normalised.lastName,
          mobile: normalised.mobile,
        },
      });
      const account = await tx.account.create({
        data: {
          name: normalised.companyName,
          companyNumber: normalised.companyNumber,
          ...normalised.address,
          serviceMessagesConsentAt: new Date(),
          memberships: { create: { userId: user.id, role: 'OWNER' } },
        },
      });
      await ensureCodeAllowance(tx, normalised.mobile, 'mobile');
      const confirmation = await tx.mobileConfirmation.create({
        data: { userId: user.id, codeHash: keyedHash(code), expiresAt: codeExpiresAt },
      });
      await queueServiceMessage(tx, {
        accountId: account.id,
        recipient: normalised.mobile,
        body: confirmationText(code),
        purpose: 'MOBILE_CONFIRMATION',
      });
      return { userId: user.id, accountId: account.id, confirmationId: confirmation.id, codeExpiresAt };
    });
  } catch (error) {
    // Two sign-ups with one e-mail at the same instant: the unique index decides.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') throw new EmailTakenError();
    throw error;
  }
  dispatchServiceMessagesNow();
  return signedUp;
}

/**
 * Refuses a confirmation code to a number that got MOBILE_CODES_PER_NUMBER_PER_HOUR of them in
 * the last hour, whoever asked (sign-ups and resends): sign-up forms are a favourite of SMS
 * pumping, where a fraudster makes a platform send codes to premium numbers. Counted from the
 * service messages themselves (index on message (recipient, sender, id)), serialised per number
 * by a transaction-level advisory lock so that concurrent sign-ups cannot all slip through.
 */
async function ensureCodeAllowance(tx: Transaction, mobile: string, field: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`mobile-code:${mobile}`}, 0))`;
  const [sent] = await tx.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM message
     WHERE recipient = ${mobile} AND sender = ${config.serviceMessages.sender} AND kind = 'SERVICE'
       AND created_at > now() - interval '1 hour'`;
  if ((sent?.n ?? 0) >= config.auth.mobileCodesPerNumberPerHour) {
    throw ValidationError.single(field, `${config.auth.mobileCodesPerNumberPerHour} confirmation codes were sent to this number in the last hour; try again later`);
  }
}

export function confirmationText(code: string): string {
  return `${code} is your confirmation code. It expires in ${Math.round(config.auth.mobileCodeTtlSeconds / 60)} minutes. Never share it.`;
}

/**
 * Checks the code sent at sign-up. A right code activates the account and opens a session; a
 * wrong one counts an attempt (committed even though the call fails).
 */
export async function confirmMobile(confirmationId: string, code: string): Promise<Session> {
  const confirmation = await prisma.mobileConfirmation.findUnique({
    where: { id: confirmationId },
    // The first membership: the account opened at sign-up, or the one an invitation joined.
    include: { user: { include: { memberships: { orderBy: { createdAt: 'asc' }, take: 1 } } } },
  });
  if (!confirmation) throw new ConfirmationCodeError('NOT_FOUND', null);
  if (confirmation.confirmedAt || confirmation.user.mobileConfirmedAt) throw new ConfirmationCodeError('ALREADY_CONFIRMED', null);
  if (confirmation.expiresAt <= new Date()) throw new ConfirmationCodeError('EXPIRED', null);
  const maxAttempts = config.auth.mobileCodeMaxAttempts;
  if (confirmation.attempts >= maxAttempts) throw new ConfirmationCodeError('TOO_MANY_ATTEMPTS', 0);

  if (!safeEqual(keyedHash(code.trim()), confirmation.codeHash)) {
    // Atomic increment bounded by the maximum, so parallel guesses cannot exceed it.
    const [counted] = await prisma.$queryRaw<{ attempts: number }[]>`
      UPDATE mobile_confirmation SET attempts = attempts + 1
      WHERE id = ${confirmationId}::uuid AND attempts < ${maxAttempts}
      RETURNING attempts`;
    if (!counted) throw new ConfirmationCodeError('TOO_MANY_ATTEMPTS', 0);
    throw new ConfirmationCodeError('WRONG_CODE', maxAttempts - counted.attempts);
  }

  const owner = confirmation.user.memberships[0];
  if (!owner) throw new ConfirmationCodeError('NOT_FOUND', null);
  return prisma.$transaction(async (tx) => {
    const now = new Date();
    const claimed = await tx.mobileConfirmation.updateMany({
      where: { id: confirmationId, confirmedAt: null },
      data: { confirmedAt: now },
    });
    if (claimed.count === 0) throw new ConfirmationCodeError('ALREADY_CONFIRMED', null);
    await tx.user.update({ where: { id: confirmation.userId }, data: { mobileConfirmedAt: now } });
    await tx.account.updateMany({
      where: { id: owner.accountId, status: 'PENDING_CONFIRMATION' },
      data: { status: 'ACTIVE' },
    });
    return openSession(tx, confirmation.userId, owner.accountId, owner.role);
  });
}

/** Sends a fresh code for a pending confirmation (the old code stops working). */
export async function resendMobileConfirmation(confirmationId: string): Promise<{ codeExpiresAt: Date }> {
  const confirmation = await prisma.mobileConfirmation.findUnique({
    where: { id: confirmationId },
    // The account the code is for: the first membership, as in confirmMobile.
    include: { user: { include: { memberships: { orderBy: { createdAt: 'asc' }, take: 1 } } } },
  });
  if (!confirmation) throw new ConfirmationCodeError('NOT_FOUND', null);
  if (confirmation.confirmedAt || confirmation.user.mobileConfirmedAt) throw new ConfirmationCodeError('ALREADY_CONFIRMED', null);
  const membership = confirmation.user.memberships[0];
  if (!membership) throw new ConfirmationCodeError('NOT_FOUND', null);
  const code = randomDigits(CODE_LENGTH);
  const codeExpiresAt = new Date(Date.now() + config.auth.mobileCodeTtlSeconds * 1000);
  const resent = await prisma.$transaction(async (tx) => {
    const renewed = await tx.mobileConfirmation.updateMany({
      where: { id: confirmationId, confirmedAt: null, createdAt: { lte: new Date(Date.now() - RESEND_COOLDOWN_MS) } },
      data: { codeHash: keyedHash(code), attempts: 0, expiresAt: codeExpiresAt, createdAt: new Date() },
    });
    if (renewed.count === 0) throw ValidationError.single('confirmationId', 'a code was sent less than a minute ago; wait before asking again');
    await ensureCodeAllowance(tx, confirmation.user.mobile, 'confirmationId');
    await queueServiceMessage(tx, {
      accountId: membership.accountId,
      recipient: confirmation.user.mobile,
      body: confirmationText(code),
      purpose: 'MOBILE_CONFIRMATION',
    });
    return { codeExpiresAt };
  });
  dispatchServiceMessagesNow();
  return resent;
}
