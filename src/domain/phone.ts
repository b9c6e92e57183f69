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
  Metadata,
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

/**
 * The shapes most French lists hold, read without the library's general parser (about 10 µs a
 * number: most of the CPU of a million-row import): `+33` or `0033` then 9 digits, or `0` then 9
 * digits when the default is France (`FR`, `+33`), digits grouped by single spaces, dots or
 * dashes. Validity and type come from the library's own French metadata, checked in the order
 * of its getNumberType, so the answer is the one the full parse gives (the unit test compares
 * both over every 4-digit prefix and many layouts). Other shapes, and numbers these patterns
 * refuse, take the full parse, which also explains the refusal.
 */
interface MetadataType {
  pattern(): string;
  possibleLengths(): number[] | undefined;
}
/** The part of the library's numbering plan used here (its typings omit these methods). */
interface MetadataPlan {
  nationalNumberPattern(): string;
  hasTypes(): boolean;
  type(name: string): MetadataType | undefined;
}
interface CompiledType {
  type: PhoneNumberType;
  pattern: RegExp;
  lengths: number[] | undefined;
}
interface FrenchPlan {
  national: RegExp;
  fixedLine: CompiledType | null;
  /** The library answers FIXED_LINE_OR_MOBILE for any fixed line when this holds. */
  mobileSameAsFixedLine: boolean;
  mobile: CompiledType | null;
  /** The library's NON_FIXED_LINE_PHONE_TYPES, same order. */
  others: CompiledType[];
}
const NON_FIXED_LINE_TYPES = ['MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'] as const;

let frenchPlan: FrenchPlan | null | undefined;
function loadFrenchPlan(): FrenchPlan | null {
  if (frenchPlan !== undefined) return frenchPlan;
  const metadata = new Metadata();
  metadata.selectNumberingPlan('FR');
  const plan = metadata.numberingPlan as unknown as MetadataPlan | undefined;
  const compile = (name: PhoneNumberType): CompiledType | null => {
    const definition = plan?.type(name);
    if (!definition || !definition.pattern()) return null;
    return { type: name, pattern: new RegExp(`^(?:${definition.pattern()})$`), lengths: definition.possibleLengths() };
  };
  // Only for metadata shaped as the shortcut assumes: France alone on +33, with number types.
  const alone = getCountries().filter((country) => getCountryCallingCode(country) === '33').length === 1;
  frenchPlan =
    plan && alone && plan.hasTypes()
      ? {
          national: new RegExp(`^(?:${plan.nationalNumberPattern()})$`),
          fixedLine: compile('FIXED_LINE'),
          mobileSameAsFixedLine: !plan.type('MOBILE') || plan.type('MOBILE')!.pattern() === '',
          mobile: compile('MOBILE'),
          others: NON_FIXED_LINE_TYPES.map(compile).filter((type): type is CompiledType => type !== null),
        }
      : null;
  return frenchPlan;
}

function matchesType(type: CompiledType | null, nationalNumber: string): boolean {
  if (!type) return false;
  if (type.lengths && !type.lengths.includes(nationalNumber.length)) return false;
  return type.pattern.test(nationalNumber);
}

/** The library's getNumberType for a French national number; undefined when not valid. */
function frenchNumberType(plan: FrenchPlan, nationalNumber: string): PhoneNumberType | undefined {
  if (!plan.national.test(nationalNumber)) return undefined;
  if (matchesType(plan.fixedLine, nationalNumber)) {
    if (plan.mobileSameAsFixedLine || matchesType(plan.mobile, nationalNumber)) return 'FIXED_LINE_OR_MOBILE';
    return 'FIXED_LINE';
  }
  for (const type of plan.others) if (matchesType(type, nationalNumber)) return type.type;
  return undefined;
}

let lastDefaultCallingCode: string | undefined;
let lastDefaultIsFrance = false;
/** Whether parsePhone reads a national number as French with these options. */
function defaultIsFrance(options: PhoneParseOptions): boolean {
  if (options.defaultCountry !== undefined && options.defaultCountry !== '') return options.defaultCountry.toUpperCase() === 'FR';
  const code = options.defaultCallingCode;
  if (code === undefined) return false;
  if (code !== lastDefaultCallingCode) {
    lastDefaultCallingCode = code;
    lastDefaultIsFrance = code.trim() !== '' && code.replace(/[^0-9]/g, '').replace(/^00/, '') === '33';
  }
  return lastDefaultIsFrance;
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;
function isSeparator(code: number): boolean {
  return code === 32 || code === 46 || code === 45; // space . -
}

/** The 9-digit French national number of `text` when it has one of the shortcut's shapes. */
function frenchNationalNumber(text: string, options: PhoneParseOptions): string | null {
  let start: number;
  if (text.startsWith('+33')) start = 3;
  else if (text.startsWith('0033')) start = 4;
  else if (text.charCodeAt(0) === DIGIT_0 && defaultIsFrance(options)) start = 1;
  else return null;
  let digits = '';
  let previousIsDigit = true; // every prefix ends with a digit
  for (let index = start; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= DIGIT_0 && code <= DIGIT_9) {
      if (digits.length === 9) return null;
      digits += text[index];
      previousIsDigit = true;
    } else if (isSeparator(code) && previousIsDigit) {
      previousIsDigit = false;
    } else {
      return null;
    }
  }
  if (!previousIsDigit || digits.length !== 9 || digits.charCodeAt(0) === DIGIT_0) return null;
  return digits;
}

/** The French shortcut alone: null when the number needs the full parse. `trimmed` has no surrounding blanks. */
export function parseFrenchShortcut(trimmed: string, options: PhoneParseOptions): PhoneParseResult | null {
  const nationalNumber = frenchNationalNumber(trimmed, options);
  if (nationalNumber === null) return null;
  const plan = loadFrenchPlan();
  if (!plan) return null;
  const type = frenchNumberType(plan, nationalNumber);
  if (type === undefined) return null;
  return { ok: true, phone: { e164: `+33${nationalNumber}`, country: 'FR', callingCode: '33', type, nationalNumber } };
}

export function parsePhone(input: string, options: PhoneParseOptions = {}): PhoneParseResult {
  const trimmed = input.trim();
  if (trimmed === '') return refuse('EMPTY', 'The phone number is empty.');
  return parseFrenchShortcut(trimmed, options) ?? parsePhoneInFull(trimmed, options);
}

/** parsePhone without the French shortcut: the reference the shortcut is tested against. */
export function parsePhoneInFull(input: string, options: PhoneParseOptions = {}): PhoneParseResult {
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
