/**
 * Sender of an SMS: what the recipient's phone shows as "from".
 *
 * Rules (what carriers accept, notably the French operators):
 * - Alphanumeric sender id: 3 to 11 characters, ASCII letters A-Z a-z, digits 0-9 and spaces,
 *   with at least one letter (an all-digit id would be shown as a phone number the recipient
 *   cannot call back: digits only are read as a short code or a number), no leading, trailing
 *   or double space. Accented letters are refused:
 *   carriers strip or reject them.
 * - Short code: exactly 5 digits, one of the short codes the account may use (the platform's
 *   shared one, or the account's own), passed in.
 * - Virtual number: an international number (`+33...`, E.164 once parsed) that the account owns,
 *   passed in. A national number (`06...`) is refused: the sender must not depend on a default
 *   country.
 * - A two-way message (the recipient may answer) must come from a short code or a virtual
 *   number: an alphanumeric id cannot receive replies.
 */
import { parsePhone } from '../phone.js';

export type SenderKind = 'ALPHANUMERIC' | 'SHORT_CODE' | 'VIRTUAL_NUMBER';

/** Which rule a refused sender breaks. */
export type SenderRule =
  | 'EMPTY'
  | 'LENGTH'
  | 'CHARACTERS'
  | 'NO_LETTER'
  | 'SPACES'
  | 'INVALID_NUMBER'
  | 'SHORT_CODE_NOT_AVAILABLE'
  | 'NUMBER_NOT_OWNED';

export type SenderProblem =
  | { code: 'SENDER_INVALID'; rule: SenderRule; message: string; field: 'sender' }
  | { code: 'TWO_WAY_NEEDS_NUMBER'; message: string; field: 'sender' };

export interface Sender {
  kind: SenderKind;
  /** As submitted to the carrier: the id as typed, the 5 digits, or the E.164 number. */
  value: string;
}

export interface AccountSenderNumbers {
  /** 5-digit short codes the account may send from. */
  shortCodes: readonly string[];
  /** The account's virtual numbers, in E.164. */
  virtualNumbers: readonly string[];
}

export interface SenderOptions {
  twoWay?: boolean;
}

export type SenderValidation = { ok: true; sender: Sender } | { ok: false; problem: SenderProblem };

export const ALPHANUMERIC_SENDER_MIN_LENGTH = 3;
export const ALPHANUMERIC_SENDER_MAX_LENGTH = 11;

const NUMERIC_SENDER = /^\+?[0-9][0-9 .-]*$/;
const SHORT_CODE = /^[0-9]{5}$/;
const ALPHANUMERIC_CHARACTERS = /^[A-Za-z0-9 ]*$/;

function invalid(rule: SenderRule, message: string): SenderValidation {
  return { ok: false, problem: { code: 'SENDER_INVALID', rule, message, field: 'sender' } };
}

export function validateSender(input: string, numbers: AccountSenderNumbers, options: SenderOptions = {}): SenderValidation {
  const result = classifySender(input, numbers);
  if (result.ok && options.twoWay === true && result.sender.kind === 'ALPHANUMERIC') {
    return {
      ok: false,
      problem: {
        code: 'TWO_WAY_NEEDS_NUMBER',
        message: `Two-way messages must be sent from a short code or a virtual number so that replies can reach you, not from "${input}".`,
        field: 'sender',
      },
    };
  }
  return result;
}

function classifySender(input: string, numbers: AccountSenderNumbers): SenderValidation {
  if (input.trim() === '') return invalid('EMPTY', 'The sender is empty.');

  if (NUMERIC_SENDER.test(input)) {
    if (SHORT_CODE.test(input)) {
      return numbers.shortCodes.includes(input)
        ? { ok: true, sender: { kind: 'SHORT_CODE', value: input } }
        : invalid('SHORT_CODE_NOT_AVAILABLE', `The short code ${input} is not available to this account.`);
    }
    if (!input.startsWith('+')) {
      return invalid(
        'NO_LETTER',
        `"${input}" has no letter: a sender id needs at least one, and a numeric sender must be a 5-digit short code or a number in international format (+33...).`,
      );
    }
    const parsed = parsePhone(input);
    if (!parsed.ok) return invalid('INVALID_NUMBER', `The sender number is invalid: ${parsed.message}`);
    return numbers.virtualNumbers.includes(parsed.phone.e164)
      ? { ok: true, sender: { kind: 'VIRTUAL_NUMBER', value: parsed.phone.e164 } }
      : invalid('NUMBER_NOT_OWNED', `The number ${parsed.phone.e164} is not one of this account's virtual numbers.`);
  }

  if (input.length < ALPHANUMERIC_SENDER_MIN_LENGTH || input.length > ALPHANUMERIC_SENDER_MAX_LENGTH) {
    return invalid(
      'LENGTH',
      `A sender id has ${ALPHANUMERIC_SENDER_MIN_LENGTH} to ${ALPHANUMERIC_SENDER_MAX_LENGTH} characters; "${input}" has ${input.length}.`,
    );
  }
  if (!ALPHANUMERIC_CHARACTERS.test(input)) {
    return invalid('CHARACTERS', `A sender id may only contain letters without accents, digits and spaces: "${input}".`);
  }
  if (input.startsWith(' ') || input.endsWith(' ') || input.includes('  ')) {
    return invalid('SPACES', `A sender id may not start or end with a space nor contain two spaces in a row: "${input}".`);
  }
  return { ok: true, sender: { kind: 'ALPHANUMERIC', value: input } };
}
