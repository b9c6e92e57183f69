import freeEmailDomains from 'free-email-domains';
import { config } from '../../config.js';
import type { FieldProblem } from '../errors.js';
import { isMobileType, parsePhone } from '../phone.js';

/**
 * The rules of SPEC section 1 for opening an account, as pure checks that report every
 * problem with the field it concerns.
 */
export interface SignUpInput {
  email: string;
  password: string;
  firstName: string;
  lastName: string;
  mobile: string;
  companyName: string;
  companyNumber: string;
  address: { street: string; postalCode: string; city: string; country: string };
  acceptServiceMessages: boolean;
}

export interface NormalisedSignUp extends SignUpInput {
  /** E.164 */
  mobile: string;
}

const FREE_DOMAINS = new Set<string>([...freeEmailDomains, ...config.auth.extraFreeEmailDomains]);
// Deliberately simple: one @, a dot in the domain, no spaces. Deliverability is proven by use.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const COUNTRY_CODE = /^[A-Z]{2}$/;
const POSTAL_CODES: Record<string, RegExp> = {
  FR: /^\d{5}$/,
  BE: /^\d{4}$/,
  CH: /^\d{4}$/,
  LU: /^\d{4}$/,
  DE: /^\d{5}$/,
  ES: /^\d{5}$/,
  IT: /^\d{5}$/,
};
export const MIN_PASSWORD_LENGTH = 10;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function emailProblem(email: string): string | null {
  if (!EMAIL_SHAPE.test(email)) return 'is not a valid e-mail address';
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (FREE_DOMAINS.has(domain)) return `must be a professional address (${domain} is a free web-mail domain)`;
  return null;
}

/** The Luhn checksum used by SIREN and SIRET. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** La Poste's establishments share one SIREN and are numbered outside the Luhn rule. */
const LA_POSTE_SIREN = '356000000';

export function companyNumberProblem(country: string, raw: string): string | null {
  const value = raw.replace(/[\s.-]/g, '');
  if (country !== 'FR') {
    return /^[A-Za-z0-9]{3,30}$/.test(value) ? null : 'must be 3 to 30 letters or digits';
  }
  if (!/^\d{9}$|^\d{14}$/.test(value)) return 'must be a SIREN (9 digits) or a SIRET (14 digits)';
  if (value.length === 9) return passesLuhn(value) ? null : 'is not a valid SIREN (checksum fails)';
  if (!passesLuhn(value.slice(0, 9))) return 'is not a valid SIRET (its SIREN checksum fails)';
  if (value.startsWith(LA_POSTE_SIREN)) {
    const digitSum = [...value].reduce((sum, digit) => sum + Number(digit), 0);
    return digitSum % 5 === 0 ? null : 'is not a valid SIRET (checksum fails)';
  }
  return passesLuhn(value) ? null : 'is not a valid SIRET (checksum fails)';
}

export function checkSignUp(input: SignUpInput): { problems: FieldProblem[]; normalised: NormalisedSignUp } {
  const problems: FieldProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  const required = (field: string, value: string, max: number) => {
    if (!value.trim()) problem(field, 'is required');
    else if (value.trim().length > max) problem(field, `must be at most ${max} characters`);
  };

  const email = normaliseEmail(input.email);
  const emailIssue = emailProblem(email);
  if (emailIssue) problem('email', emailIssue);

  if (input.password.length < MIN_PASSWORD_LENGTH) problem('password', `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  else if (input.password.length > 256) problem('password', 'must be at most 256 characters');

  required('firstName', input.firstName, 100);
  required('lastName', input.lastName, 100);
  required('companyName', input.companyName, 200);

  const country = input.address.country.trim().toUpperCase();
  required('address.street', input.address.street, 200);
  required('address.city', input.address.city, 100);
  required('address.postalCode', input.address.postalCode, 20);
  if (!COUNTRY_CODE.test(country)) problem('address.country', 'must be an ISO 3166 two-letter country code');
  const postalShape = POSTAL_CODES[country];
  if (input.address.postalCode.trim() && postalShape && !postalShape.test(input.address.postalCode.trim())) {
    problem('address.postalCode', `is not a valid postal code for ${country}`);
  }

  if (!input.companyNumber.trim()) problem('companyNumber', 'is required');
  else if (COUNTRY_CODE.test(country)) {
    const companyIssue = companyNumberProblem(country, input.companyNumber);
    if (companyIssue) problem('companyNumber', companyIssue);
  }

  let mobile = input.mobile;
  const parsed = parsePhone(input.mobile, COUNTRY_CODE.test(country) ? { defaultCountry: country } : {});
  if (!parsed.ok) problem('mobile', parsed.message);
  else if (!isMobileType(parsed.phone.type)) {
    problem('mobile', `must be a mobile number (${parsed.phone.e164} is ${parsed.phone.type.toLowerCase().replaceAll('_', ' ')})`);
  } else mobile = parsed.phone.e164;

  if (!input.acceptServiceMessages) {
    problem('acceptServiceMessages', 'must be accepted: the mobile number receives security and service messages only');
  }

  return {
    problems,
    normalised: {
      ...input,
      email,
      mobile,
      firstName: input.firstName.trim(),
      lastName: input.lastName.trim(),
      companyName: input.companyName.trim(),
      companyNumber: input.companyNumber.replace(/[\s.-]/g, '').toUpperCase(),
      address: {
        street: input.address.street.trim(),
        postalCode: input.address.postalCode.trim(),
        city: input.address.city.trim(),
        country,
      },
    },
  };
}
