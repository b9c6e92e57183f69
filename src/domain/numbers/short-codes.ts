/**
 * The platform's shared 5-digit short codes (SPEC section 8), one or more per country, from
 * configuration (`SHORT_CODES`). Every account may send two-way messages through them; a reply
 * to one goes to the account that last sent to that number through it.
 */

export interface SharedShortCode {
  /** ISO 3166 alpha-2 country whose numbers it reaches. */
  country: string;
  /** Exactly 5 digits. */
  code: string;
}

const ENTRY = /^([A-Z]{2}):([0-9]{5})$/;

/**
 * Reads `FR:36111,FR:38100,BE:60400`: comma-separated `COUNTRY:CODE` entries. Throws a
 * RangeError naming the bad entry (configuration is validated at start-up).
 */
export function parseSharedShortCodes(text: string): SharedShortCode[] {
  const codes: SharedShortCode[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim().toUpperCase();
    if (entry === '') continue;
    const match = ENTRY.exec(entry);
    if (match === null) throw new RangeError(`"${raw.trim()}" is not COUNTRY:CODE with a 2-letter country and a 5-digit code (e.g. FR:36111)`);
    const [, country = '', code = ''] = match;
    if (seen.has(code)) throw new RangeError(`the short code ${code} is listed twice`);
    seen.add(code);
    codes.push({ country, code });
  }
  return codes;
}

/** The first shared short code for that country, or null. */
export function sharedShortCodeFor(country: string | null, codes: readonly SharedShortCode[]): string | null {
  if (country === null) return null;
  return codes.find((entry) => entry.country === country)?.code ?? null;
}

/** True for a 5-digit short code (as opposed to a long number). */
export function isShortCode(value: string): boolean {
  return /^[0-9]{5}$/.test(value);
}
