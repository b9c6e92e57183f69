/**
 * The French shortcut of parsePhone (what makes a million-row import affordable) must give
 * exactly what the full libphonenumber parse gives: compared here over every 4-digit prefix of
 * a French national number, in the layouts lists hold and in near-miss layouts that must fall
 * back to the full parse.
 */
import { describe, expect, it } from 'vitest';
import { parseFrenchShortcut, parsePhone, parsePhoneInFull, type PhoneParseOptions } from '../../../src/domain/phone.js';

/** Deterministic pseudo-random digits (mulberry32), so a failure can be replayed. */
function randomDigits(seed: number): (count: number) => string {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (count) => Array.from({ length: count }, () => String(Math.floor(next() * 10))).join('');
}

const pairs = (n: string, separator: string) => `${n[0]}${separator}${n.slice(1, 3)}${separator}${n.slice(3, 5)}${separator}${n.slice(5, 7)}${separator}${n.slice(7)}`;

/** Layouts the shortcut reads (given a French default for the national ones). */
const COMMON_LAYOUTS: Array<[string, (n: string) => string]> = [
  ['0612345678', (n) => `0${n}`],
  ['06 12 34 56 78', (n) => `0${pairs(n, ' ')}`],
  ['06.12.34.56.78', (n) => `0${pairs(n, '.')}`],
  ['06-12-34-56-78', (n) => `0${pairs(n, '-')}`],
  ['+33612345678', (n) => `+33${n}`],
  ['+33 6 12 34 56 78', (n) => `+33 ${pairs(n, ' ')}`],
  ['0033612345678', (n) => `0033${n}`],
  ['0033 6 12 34 56 78', (n) => `0033 ${pairs(n, ' ')}`],
];

/** Layouts that must not change the answer, whichever path they take. */
const ODD_LAYOUTS: Array<[string, (n: string) => string]> = [
  ['0 6 12...', (n) => `0 ${pairs(n, ' ')}`],
  ['06  12 (double space)', (n) => `0${n[0]}  ${n.slice(1)}`],
  ['trailing dot', (n) => `0${pairs(n, '.')}.`],
  ['+33 (0)6...', (n) => `+33 (0)${pairs(n, ' ')}`],
  ['+33 06...', (n) => `+33 0${n}`],
  ['+33-6-...', (n) => `+33-${pairs(n, '-')}`],
  ['+ 33 6...', (n) => `+ 33 ${n}`],
  ['00 33 6...', (n) => `00 33 ${n}`],
  ['003 36...', (n) => `003 3${n}`],
  ['0033 06...', (n) => `0033 0${n}`],
  ['8 digits', (n) => `0${n.slice(0, 8)}`],
  ['10 digits', (n) => `0${n}1`],
  ['+33 then 8 digits', (n) => `+33${n.slice(0, 8)}`],
  ['+33 then 10 digits', (n) => `+33${n}4`],
  ['00 prefix national', (n) => `00${n}`],
  ['slash groups', (n) => `0${pairs(n, '/')}`],
  ['no-break spaces', (n) => `0${pairs(n, '\u00A0')}`],
  ['full-width digits', (n) => `0${n}`.replace(/[0-9]/g, (digit) => String.fromCharCode(0xff10 + Number(digit)))],
  ['letter inside', (n) => `0${n.slice(0, 4)}a${n.slice(4)}`],
  ['extension', (n) => `0${n} ext 12`],
];

const FRENCH_DEFAULTS: PhoneParseOptions[] = [{ defaultCountry: 'FR' }, { defaultCallingCode: '+33' }];
const OTHER_DEFAULTS: PhoneParseOptions[] = [
  {},
  { defaultCountry: 'fr' },
  { defaultCallingCode: '33' },
  { defaultCallingCode: '0033' },
  { defaultCallingCode: ' +33 ' },
  { defaultCountry: 'GB' },
  { defaultCallingCode: '+44' },
  { defaultCountry: 'FR', defaultCallingCode: '+44' },
  { defaultCountry: 'BE', defaultCallingCode: '+33' },
  { defaultCountry: '', defaultCallingCode: '+33' },
  { defaultCountry: 'XX' },
];

/** One 9-digit national number for each 4-digit prefix 1000-9999 (every French range). */
function nationalNumbers(seed: number): string[] {
  const digits = randomDigits(seed);
  return Array.from({ length: 9000 }, (_, index) => `${1000 + index}${digits(5)}`);
}

describe('parsePhone: the French shortcut agrees with the full parse', () => {
  it('over every 4-digit prefix, in the common layouts, with a French default', () => {
    let shortcuts = 0;
    let valid = 0;
    for (const [index, national] of nationalNumbers(1).entries()) {
      const [, layout] = COMMON_LAYOUTS[index % COMMON_LAYOUTS.length]!;
      const options = FRENCH_DEFAULTS[index % FRENCH_DEFAULTS.length]!;
      const input = layout(national);
      const full = parsePhoneInFull(input, options);
      const shortcut = parseFrenchShortcut(input, options);
      if (shortcut) {
        shortcuts++;
        expect(shortcut, `${input} with ${JSON.stringify(options)}`).toEqual(full);
      }
      if (full.ok) valid++;
      // Every valid number in these layouts takes the shortcut: the fast path is really used.
      expect(shortcut !== null, `${input} with ${JSON.stringify(options)}: shortcut taken`).toBe(full.ok);
      expect(parsePhone(input, options)).toEqual(full);
    }
    // Most French ranges are assigned: the comparison covered thousands of valid numbers.
    expect(valid).toBeGreaterThan(5000);
    expect(shortcuts).toBe(valid);
  });

  it.each(COMMON_LAYOUTS)('in the layout %s, with every kind of default', (_name, layout) => {
    for (const national of nationalNumbers(2).filter((_, index) => index % 37 === 0)) {
      for (const options of [...FRENCH_DEFAULTS, ...OTHER_DEFAULTS]) {
        const input = layout(national);
        expect(parsePhone(input, options), `${input} with ${JSON.stringify(options)}`).toEqual(parsePhoneInFull(input, options));
      }
    }
  });

  it.each(ODD_LAYOUTS)('in the near-miss layout %s', (_name, layout) => {
    for (const national of nationalNumbers(3).filter((_, index) => index % 29 === 0)) {
      for (const options of [...FRENCH_DEFAULTS, {}]) {
        const input = layout(national);
        expect(parsePhone(input, options), `${input} with ${JSON.stringify(options)}`).toEqual(parsePhoneInFull(input, options));
      }
    }
  });

  it('covers mobile, fixed line, VoIP and special numbers', () => {
    const types = new Set<string>();
    for (const input of ['0612345678', '0123456789', '0912345678', '0812345678', '0800123456', '+33 7 81 23 45 67']) {
      const result = parseFrenchShortcut(input, { defaultCountry: 'FR' });
      expect(result, input).toEqual(parsePhoneInFull(input, { defaultCountry: 'FR' }));
      if (result?.ok) types.add(result.phone.type);
    }
    expect([...types].sort()).toEqual(['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'VOIP']);
  });
});
