/**
 * Numbers of contacts: raw input (typed, pasted, imported) to E.164 with the list's default
 * calling code for national-format numbers. Pure.
 */
import { parsePhone, type PhoneParseResult } from '../phone.js';

/**
 * A list's default prefix as typed (`+33`, `33`, `0033`) to the stored calling code (`33`), or
 * null when it is no country calling code.
 */
export function parseCallingCode(input: string): string | null {
  const digits = input.trim().replace(/^(\+|00)/, '');
  if (!/^[1-9][0-9]{0,3}$/.test(digits)) return null;
  // A known calling code parses a plausible number of its country; unknown ones are refused.
  const probe = parsePhone('1', { defaultCallingCode: digits });
  return probe.ok || probe.reason !== 'INVALID_COUNTRY' ? digits : null;
}

/** E.164 of a contact number; national-format numbers take `defaultCallingCode` (`33`). */
export function parseContactNumber(input: string, defaultCallingCode: string | null | undefined): PhoneParseResult {
  return parsePhone(input, defaultCallingCode ? { defaultCallingCode } : {});
}

/** `+33` for display. */
export function formatCallingCode(callingCode: string | null): string | null {
  return callingCode === null ? null : `+${callingCode}`;
}
