/**
 * Addresses of inbound SMS as carriers give them, brought to the form the platform stores:
 * short codes as their 5 digits, long numbers in E.164. Carriers send international numbers with
 * or without `+` (the type of number says which), sometimes with a `00` prefix, and now and then
 * a national number. Pure: no I/O.
 */
import { parsePhone } from '../phone.js';
import { isShortCode } from './short-codes.js';

const E164 = /^\+[1-9][0-9]{6,14}$/;

/** The address in stored form; unreadable input comes back trimmed, as given (kept for operators). */
export function normaliseInboundAddress(raw: string, defaultCountry: string | null = null): string {
  const compact = raw.trim().replace(/[\s().-]/g, '');
  if (isShortCode(compact)) return compact;
  if (/^\+[0-9]+$/.test(compact)) return compact;
  if (/^00[1-9][0-9]+$/.test(compact)) return `+${compact.slice(2)}`;
  if (/^0[1-9][0-9]+$/.test(compact) && defaultCountry !== null) {
    const parsed = parsePhone(compact, { defaultCountry });
    return parsed.ok ? parsed.phone.e164 : compact;
  }
  if (/^[1-9][0-9]{7,14}$/.test(compact)) return `+${compact}`;
  return raw.trim();
}

/** True for a number in E.164 (what a blacklist entry or a conversation holds). */
export function isE164(value: string): boolean {
  return E164.test(value);
}
