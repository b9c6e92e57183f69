/**
 * Country and type (mobile, fixed line...) of a million contact numbers in well under a second.
 *
 * Parsing one number with the full libphonenumber metadata costs ~7 µs, i.e. 7 s for a million.
 * But numbering plans assign numbers by blocks: in libphonenumber's metadata the type and the
 * country of a valid number never depend on its last 4 digits when it has 11 digits or more
 * (France: +33 and 9 digits), nor on its last 3 when it has 10 (checked for every country's
 * example number against suffixes all over its block by test/unit/campaigns/number-classifier
 * .test.ts, which fails if new metadata breaks it). So the first valid number seen in a block is
 * parsed, and the others of the block reuse its answer: a million French mobiles cost at most
 * 20,000 parses. Shorter numbers (a few small territories) are parsed one by one.
 *
 * Only for numbers already validated (contacts are stored in E.164 after `parsePhone`): the
 * block's answer says nothing about whether another number of the block is valid.
 */
import { parsePhone, type PhoneNumberType } from '../phone.js';

export interface NumberClass {
  /** ISO 3166 alpha-2; null for non-geographic numbers. */
  country: string | null;
  type: PhoneNumberType;
}

/** Digits that vary within a block, by the number of digits of the E.164 number (after `+`). */
export function blockSuffixDigits(digits: number): number {
  return digits >= 11 ? 4 : digits >= 10 ? 3 : 0;
}

export class NumberClassifier {
  readonly #blocks = new Map<string, NumberClass>();
  parsed = 0;

  /** Country and type of a valid E.164 number, or null when it does not parse (should not happen for contacts). */
  classify(e164: string): NumberClass | null {
    const suffix = blockSuffixDigits(e164.length - 1);
    if (suffix === 0) return this.#parse(e164);
    // The length is part of the key: some plans have numbers of several lengths.
    const key = e164.slice(0, e164.length - suffix) + e164.length;
    const known = this.#blocks.get(key);
    if (known !== undefined) return known;
    const parsed = this.#parse(e164);
    if (parsed !== null) this.#blocks.set(key, parsed);
    return parsed;
  }

  #parse(e164: string): NumberClass | null {
    this.parsed++;
    const result = parsePhone(e164);
    return result.ok ? { country: result.phone.country, type: result.phone.type } : null;
  }
}
