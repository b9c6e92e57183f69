import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { invoiceAmounts, parseAmountInput } from '../../../src/domain/credit/amounts.js';
import { ValidationError } from '../../../src/domain/errors.js';
import { MICROS_PER_EURO } from '../../../src/domain/messaging/prices.js';

const cents = { maxDecimals: 2, maximum: 10_000 * MICROS_PER_EURO };

describe('parseAmountInput', () => {
  it.each([
    ['50', 50_000_000],
    ['50.5', 50_500_000],
    ['0.01', 10_000],
    [' 12.34 ', 12_340_000],
    ['10000', 10_000_000_000],
  ])('%s -> %i micro-euros', (text, micros) => {
    expect(parseAmountInput('amount', text, cents)).toBe(micros);
  });

  it.each([
    ['0', 'must be more than 0'],
    ['-1', 'must be more than 0'],
    ['0.001', 'at most 2 decimals'],
    ['1.000', 'at most 2 decimals'],
    ['abc', 'is not an amount'],
    ['1e3', 'is not an amount'],
    ['', 'is not an amount'],
    ['10000.01', 'must be at most 10000'],
    ['99999999999999999999', 'too large'],
  ])('refuses %j (%s)', (text, message) => {
    let caught: unknown;
    try {
      parseAmountInput('amount', text, cents);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).problems).toEqual([{ field: 'amount', message: expect.stringContaining(message) }]);
  });

  it('applies a minimum (transfers to a sub-account: 30 €)', () => {
    expect(() => parseAmountInput('amount', '29.99', { maxDecimals: 2, minimum: 30 * MICROS_PER_EURO })).toThrow(/at least 30/);
    expect(parseAmountInput('amount', '30', { maxDecimals: 2, minimum: 30 * MICROS_PER_EURO })).toBe(30 * MICROS_PER_EURO);
  });
});

describe('invoiceAmounts', () => {
  it.each([
    [100_000_000, '0.20', 20_000_000],
    [12_340_000, '0.20', 2_470_000], // 2.468 -> 2.47
    [12_325_000, '0.20', 2_470_000], // 2.465 -> 2.47 (half up)
    [10_000, '0.20', 0], // 0.002 -> 0.00
    [25_000, '0.20', 10_000], // 0.005 -> 0.01
    [100_000_000, '0.055', 5_500_000],
    [100_000_000, '0', 0],
    [33_330_000, '0.2', 6_670_000], // 6.666 -> 6.67
  ])('%i µ€ at %s -> VAT %i µ€', (excluding, rate, vat) => {
    expect(invoiceAmounts(excluding, rate)).toEqual({ excludingVat: excluding, vat, includingVat: excluding + vat });
  });

  it('always gives whole cents and includes exactly the VAT', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 10_000 }), (amountCents, rateBp) => {
        const rate = `${Math.floor(rateBp / 10_000)}.${String(rateBp % 10_000).padStart(4, '0')}`;
        const amounts = invoiceAmounts(amountCents * 10_000, rate);
        expect(amounts.vat % 10_000).toBe(0);
        expect(amounts.includingVat).toBe(amounts.excludingVat + amounts.vat);
        // Within half a cent of the exact VAT.
        expect(Math.abs(amounts.vat * 10_000 - amountCents * 10_000 * rateBp)).toBeLessThanOrEqual(5_000 * 10_000);
      }),
    );
  });
});
