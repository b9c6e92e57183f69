import { describe, expect, it } from 'vitest';
import { canonicalDecimal } from '../../src/domain/decimals.js';

describe('canonicalDecimal: exact, at least 2 decimals, no trailing zero beyond them', () => {
  it.each([
    ['0', '0.00'],
    ['0.000000', '0.00'],
    ['-0', '0.00'],
    ['-0.000', '0.00'],
    ['10', '10.00'],
    ['10.000000', '10.00'],
    ['0.5', '0.50'],
    ['0.50', '0.50'],
    ['0.045', '0.045'],
    ['0.045000', '0.045'],
    ['9.865', '9.865'],
    ['0.000001', '0.000001'],
    ['-30', '-30.00'],
    ['-0.045', '-0.045'],
    ['0.2', '0.20'],
    ['0.2000', '0.20'],
    ['007.10', '7.10'],
    ['123456789012.123456', '123456789012.123456'],
    ['1.', '1.00'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalDecimal(input)).toBe(expected);
  });

  it.each(['', 'abc', '1e-7', '1,5', '.5', '--1', 'NaN'])('refuses %j', (input) => {
    expect(() => canonicalDecimal(input)).toThrow(TypeError);
  });

  it('never changes the value', () => {
    for (let micros = -2_000_000; micros <= 2_000_000; micros += 12_345) {
      const text = (micros / 1_000_000).toFixed(6);
      expect(Number(canonicalDecimal(text))).toBe(Number(text));
    }
  });
});
