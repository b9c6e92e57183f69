import examples from 'libphonenumber-js/mobile/examples';
import { getCountries, getExampleNumber, type CountryCode } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { blockSuffixDigits, NumberClassifier } from '../../../src/domain/campaigns/number-classifier.js';
import { parsePhone } from '../../../src/domain/phone.js';

function classOf(e164: string): string {
  const parsed = parsePhone(e164);
  return parsed.ok ? `${parsed.phone.country}:${parsed.phone.type}` : 'invalid';
}

describe('NumberClassifier', () => {
  // The premise of the block cache, checked on the metadata the platform runs with: within a
  // block (10,000 numbers for 11 digits or more, 1000 for 10), every valid number has the
  // country and type of the block's first valid number.
  it('gives every valid number of a block the country and type a full parse gives', () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const country of getCountries()) {
      const example = getExampleNumber(country as CountryCode, examples)?.number;
      const suffixDigits = example ? blockSuffixDigits(example.length - 1) : 0;
      if (!example || suffixDigits === 0) continue;
      for (let digits = 0; digits < 100; digits += 11) {
        // Vary the two digits before the block so that neighbouring ranges (other types) are met too.
        const block = example.slice(0, example.length - suffixDigits - 2) + String(digits).padStart(2, '0');
        const classifier = new NumberClassifier();
        for (let suffix = 0; suffix < 10 ** suffixDigits; suffix += suffixDigits === 4 ? 211 : 29) {
          const number = block + String(suffix).padStart(suffixDigits, '0');
          const full = classOf(number);
          if (full === 'invalid') continue;
          const cached = classifier.classify(number);
          checked++;
          if (`${cached?.country}:${cached?.type}` !== full) mismatches.push(`${number}: ${full} vs ${cached?.country}:${cached?.type}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(30_000);
    expect(mismatches).toEqual([]);
  }, 30_000);

  it('parses once per block', () => {
    const classifier = new NumberClassifier();
    for (let i = 0; i < 10_000; i += 7) classifier.classify(`+3361234${String(i).padStart(4, '0')}`);
    classifier.classify('+33712340000');
    expect(classifier.parsed).toBe(2);
    expect(classifier.classify('+33612349999')).toEqual({ country: 'FR', type: 'MOBILE' });
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
