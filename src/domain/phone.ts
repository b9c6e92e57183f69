/**
 * Phone numbers: parsing raw user input (sign-up form, pasted recipients, imported lists) into
 * E.164 with the country and the number type, using libphonenumber-js with its full ("max")
 * metadata so that the type (mobile, fixed line, VoIP...) is known.
 *
 * Pure: no I/O. Accepted input:
 * - international format: `+33 6 12 34 56 78`, `0033612345678` (a leading `00` is read as `+`,
 *   the international prefix of most countries; `011` works when the default country is US/CA);
 * - national format with a default country (`FR`) or a default calling code (`+33`, `33`,
 *   `0033`, as a contact list's default prefix is usually typed).
 * Separators allowed: spaces, `-`, `.`, `/`, brackets. Anything else (letters, extensions, `#`)
 * is refused: an SMS cannot be sent to an extension, and letters usually mean a typo.
 */
import {
  getCountries,
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberWithError,
  ParseError,
  validatePhoneNumberLength,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js/max';

export type PhoneNumberType =
  | 'MOBILE'
  | 'FIXED_LINE'
  | 'FIXED_LINE_OR_MOBILE'
  | 'VOIP'
  | 'TOLL_FREE'
  | 'PREMIUM_RATE'
  | 'SHARED_COST'
  | 'PERSONAL_NUMBER'
  | 'PAGER'
  | 'UAN'
  | 'VOICEMAIL'
  | 'UNKNOWN';

/**
 * Why a number was refused.
 * - EMPTY: nothing but blanks.
 * - NOT_A_NUMBER: letters or symbols, or too few digits to be a phone number at all.
 * - INVALID_COUNTRY: the calling code (`+999...`) or the default country/calling code is unknown.
 * - NO_COUNTRY: a national number (`06...`) without any default country or calling code.
 * - TOO_SHORT / TOO_LONG: fewer / more digits than any number of that country.
 * - INVALID_LENGTH: a length between the country's shortest and longest that no number has.
 * - INVALID_FOR_REGION: the length is right but the country assigns no number in that range.
 */
export type PhoneInvalidReason =
  | 'EMPTY'
  | 'NOT_A_NUMBER'
  | 'INVALID_COUNTRY'
  | 'NO_COUNTRY'
  | 'TOO_SHORT'
  | 'TOO_LONG'
  | 'INVALID_LENGTH'
  | 'INVALID_FOR_REGION';

export interface ParsedPhone {
  /** `+33612345678` */
  e164: string;
  /** ISO 3166-1 alpha-2, or null for non-geographic numbers (e.g. +870 Inmarsat). */
  country: string | null;
  /** Without `+`: `33`. */
  callingCode: string;
  type: PhoneNumberType;
  /** Without calling code nor national prefix: `612345678`. */
  nationalNumber: string;
}

export type PhoneParseResult =
  | { ok: true; phone: ParsedPhone }
  | { ok: false; reason: PhoneInvalidReason; message: string };

export interface PhoneParseOptions {
  /** ISO alpha-2 country used for numbers written in national format. */
  defaultCountry?: string;
  /** Calling code used for national numbers when no default country: `+33`, `33` or `0033`. */
  defaultCallingCode?: string;
}

// Digits (any script: libphonenumber reads full-width and Arabic-Indic digits), the leading
// plus signs and the separators people type. Everything else is refused before parsing because
// the library silently drops trailing garbage ("+33 6 12 34 56 7a" would parse as 8 digits).
const ACCEPTED_INPUT = /^[+\uFF0B]?[\p{Nd}\s\u00A0\u2000-\u200B\u202F().\-\u2010-\u2015\u2212/]*$/u;
const HAS_DIGIT = /\p{Nd}/u;

let callingCodes: Set<string> | undefined;
/** Calling codes of countries (the library throws a plain Error on an unknown default one). */
function knownCallingCodes(): Set<string> {
  callingCodes ??= new Set(getCountries().map((country) => getCountryCallingCode(country)));
  return callingCodes;
}

function refuse(reason: PhoneInvalidReason, message: string): PhoneParseResult {
  return { ok: false, reason, message };
}

function typeOf(phone: PhoneNumber): PhoneNumberType {
  return phone.getType() ?? 'UNKNOWN';
}

export function parsePhone(input: string, options: PhoneParseOptions = {}): PhoneParseResult {
  const trimmed = input.trim();
  if (trimmed === '') return refuse('EMPTY', 'The phone number is empty.');
  if (!ACCEPTED_INPUT.test(trimmed) || !HAS_DIGIT.test(trimmed)) {
    return refuse(
      'NOT_A_NUMBER',
      `"${trimmed}" is not a phone number: only digits, a leading + and separators (space, - . / brackets) are allowed.`,
    );
  }
  // "0033..." is the international form dialled from most countries.
  const text = /^00[1-9]/.test(trimmed) ? `+${trimmed.slice(2)}` : trimmed;
  const international = text.startsWith('+') || text.startsWith('\uFF0B');

  let defaultCountry: CountryCode | undefined;
  let defaultCallingCode: string | undefined;
  if (!international) {
    if (options.defaultCountry !== undefined && options.defaultCountry !== '') {
      const country = options.defaultCountry.toUpperCase();
      if (!isSupportedCountry(country)) {
        return refuse('INVALID_COUNTRY', `Unknown default country "${options.defaultCountry}" for the national number "${trimmed}".`);
      }
      defaultCountry = country;
    } else if (options.defaultCallingCode !== undefined && options.defaultCallingCode.trim() !== '') {
      defaultCallingCode = options.defaultCallingCode.replace(/[^0-9]/g, '').replace(/^00/, '');
      if (!knownCallingCodes().has(defaultCallingCode)) {
        return refuse('INVALID_COUNTRY', `Invalid default calling code "${options.defaultCallingCode}".`);
      }
    } else {
      return refuse(
        'NO_COUNTRY',
        `"${trimmed}" is in national format: write it with its country code (e.g. +33...) or give a default country.`,
      );
    }
  }
  const libOptions = { defaultCountry, defaultCallingCode };

  let phone: PhoneNumber;
  try {
    phone = parsePhoneNumberWithError(text, libOptions);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return fromLibraryError(error.message, trimmed, options);
  }
  if (phone.ext !== undefined) {
    return refuse('NOT_A_NUMBER', `"${trimmed}" has an extension; an SMS cannot be sent to an extension.`);
  }
  if (!phone.isValid()) {
    const length = validatePhoneNumberLength(text, libOptions);
    const where = phone.country ?? `+${phone.countryCallingCode}`;
    switch (length) {
      case 'TOO_SHORT':
        return refuse('TOO_SHORT', `"${trimmed}" is too short for a ${where} number.`);
      case 'TOO_LONG':
        return refuse('TOO_LONG', `"${trimmed}" is too long for a ${where} number.`);
      case 'INVALID_LENGTH':
        return refuse('INVALID_LENGTH', `"${trimmed}" has a number of digits that no ${where} number has.`);
      case 'INVALID_COUNTRY':
        return refuse('INVALID_COUNTRY', `"${trimmed}" has an unknown country calling code.`);
      case 'NOT_A_NUMBER':
        return refuse('NOT_A_NUMBER', `"${trimmed}" is not a phone number.`);
      default:
        return refuse('INVALID_FOR_REGION', `"${trimmed}" is not an assigned ${where} number.`);
    }
  }
  return {
    ok: true,
    phone: {
      e164: phone.number,
      country: phone.country ?? null,
      callingCode: phone.countryCallingCode,
      type: typeOf(phone),
      nationalNumber: phone.nationalNumber,
    },
  };
}

function fromLibraryError(code: string, input: string, options: PhoneParseOptions): PhoneParseResult {
  switch (code) {
    case 'INVALID_COUNTRY':
      return options.defaultCallingCode !== undefined && !/^\s*(\+|00)/.test(input)
        ? refuse('INVALID_COUNTRY', `Unknown default calling code "${options.defaultCallingCode}".`)
        : refuse('INVALID_COUNTRY', `"${input}" starts with an unknown country calling code.`);
    case 'TOO_SHORT':
      return refuse('TOO_SHORT', `"${input}" is too short to be a phone number.`);
    case 'TOO_LONG':
      return refuse('TOO_LONG', `"${input}" is too long to be a phone number.`);
    default:
      return refuse('NOT_A_NUMBER', `"${input}" is not a phone number.`);
  }
}

/** Types that can receive an SMS for sure (US/CA numbers do not tell mobile from fixed line). */
export function isMobileType(type: PhoneNumberType): boolean {
  return type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE';
}
