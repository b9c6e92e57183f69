import examples from 'libphonenumber-js/mobile/examples';
import { getCountries, getExampleNumber, type CountryCode } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { BLOCK_MIN_DIGITS, BLOCK_SUFFIX_DIGITS, NumberClassifier } from '../../../src/domain/campaigns/number-classifier.js';
import { parsePhone } from '../../../src/domain/phone.js';

function classOf(e164: string): string {
  const parsed = parsePhone(e164);
  return parsed.ok ? `${parsed.phone.country}:${parsed.phone.type}` : 'invalid';
}

describe('NumberClassifier', () => {
  // The premise of the block cache, checked on the metadata the platform runs with: within a
  // block of 1000 numbers (10 digits or more), every valid number has the country and type of
  // the block's first valid number.
  it('gives every valid number of a block the country and type a full parse gives', () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const country of getCountries()) {
      const example = getExampleNumber(country as CountryCode, examples)?.number;
      if (!example || example.length - 1 < BLOCK_MIN_DIGITS) continue;
      for (let digit = 0; digit < 10; digit++) {
        // Vary the digit before the block so that neighbouring ranges (other types) are met too.
        const block = example.slice(0, example.length - BLOCK_SUFFIX_DIGITS - 1) + digit;
        const classifier = new NumberClassifier();
        for (let suffix = 0; suffix < 1000; suffix += 37) {
          const number = block + String(suffix).padStart(BLOCK_SUFFIX_DIGITS, '0');
          const full = classOf(number);
          if (full === 'invalid') continue;
          const cached = classifier.classify(number);
          checked++;
          if (`${cached?.country}:${cached?.type}` !== full) mismatches.push(`${number}: ${full} vs ${cached?.country}:${cached?.type}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(20_000);
    expect(mismatches).toEqual([]);
  });

  it('parses once per block', () => {
    const classifier = new NumberClassifier();
    for (let i = 0; i < 1000; i++) classifier.classify(`+33612345${String(i).padStart(3, '0')}`);
    classifier.classify('+33712345000');
    expect(classifier.parsed).toBe(2);
    expect(classifier.classify('+33612345999')).toEqual({ country: 'FR', type: 'MOBILE' });
    expect(classifier.classify('+33142685300')).toEqual({ country: 'FR', type: 'FIXED_LINE' });
  });

  it('parses short numbers one by one and refuses what does not parse', () => {
    const classifier = new NumberClassifier();
    const tokelau = getExampleNumber('TK', examples)!.number; // 7 digits or fewer
    expect(classifier.classify(tokelau)).toEqual({ country: 'TK', type: 'MOBILE' });
    classifier.classify(tokelau);
    expect(classifier.parsed).toBe(2);
    expect(classifier.classify('+999123')).toBeNull();
  });
});
