import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_LIST } from '../../../src/domain/messaging/default-price-list.js';
import { batchCost, formatEuros, messageCost, messageCostBreakdown, parseEuros, type PriceList } from '../../../src/domain/messaging/prices.js';

describe('parseEuros / formatEuros', () => {
  it.each<[string, number]>([
    ['0.045', 45_000],
    ['0.03', 30_000],
    ['0.001', 1_000],
    ['0.000001', 1],
    ['12', 12_000_000],
    ['12.50', 12_500_000],
    ['-3.5', -3_500_000],
    ['0.1000000', 100_000],
    [' 7.25 ', 7_250_000],
  ])('%j is %i micro-euros', (decimal, micros) => {
    expect(parseEuros(decimal)).toBe(micros);
  });

  it.each(['', 'abc', '1,5', '1.', '.5', '1e3', '0.0000001', '99999999999.123456'])('%j is refused', (decimal) => {
    expect(() => parseEuros(decimal)).toThrow(RangeError);
  });

  it.each<[number, string, string]>([
    [45_000, '0.045000', '0.045'],
    [30_000, '0.030000', '0.03'],
    [1_500_000, '1.500000', '1.50'],
    [0, '0.000000', '0.00'],
    [1, '0.000001', '0.000001'],
    [-2_250_000, '-2.250000', '-2.25'],
  ])('%i formats as %j and trimmed %j', (micros, full, trimmed) => {
    expect(formatEuros(micros)).toBe(full);
    expect(formatEuros(micros, { trim: true })).toBe(trimmed);
  });

  it('round-trips exactly (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (micros) => {
        expect(parseEuros(formatEuros(micros))).toBe(micros);
        expect(parseEuros(formatEuros(micros, { trim: true, minDecimals: 0 }))).toBe(micros);
      }),
    );
  });

  it('sums that floats get wrong stay exact: 0.1 + 0.2 = 0.3', () => {
    expect(formatEuros(parseEuros('0.1') + parseEuros('0.2'), { trim: true })).toBe('0.30');
  });
});

describe('default price list', () => {
  it('prices France at 0.045 € per segment and has a default for other countries', () => {
    expect(formatEuros(DEFAULT_PRICE_LIST.smsPerCountry.FR ?? 0, { trim: true })).toBe('0.045');
    expect(DEFAULT_PRICE_LIST.smsDefault).toBeGreaterThan(0);
    for (const country of ['BE', 'DE', 'ES', 'IT', 'CH', 'GB', 'US']) expect(DEFAULT_PRICE_LIST.smsPerCountry[country]).toBeGreaterThan(0);
  });

  it('keeps the OTP fee at 0.001 € but waived', () => {
    expect(DEFAULT_PRICE_LIST.otp).toMatchObject({ price: 1_000, waived: true });
  });
});

describe('messageCost', () => {
  const list = DEFAULT_PRICE_LIST;
  it.each<[string, string | null, number, Parameters<typeof messageCost>[2], string]>([
    ['1 segment to France', 'FR', 1, {}, '0.045'],
    ['3 segments to France', 'FR', 3, {}, '0.135'],
    ['two-way to France: +0.03 per SMS', 'FR', 2, { twoWay: true }, '0.12'],
    ['tracked link: +0.01 per SMS', 'FR', 1, { trackedLink: true }, '0.055'],
    ['everything, OTP waived', 'FR', 1, { twoWay: true, trackedLink: true, otp: true }, '0.085'],
    ['Belgium', 'BE', 1, {}, '0.072'],
    ['country not listed uses the default', 'KZ', 2, {}, '0.20'],
    ['no country uses the default', null, 1, {}, '0.10'],
  ])('%s', (_name, country, segments, options, euros) => {
    expect(formatEuros(messageCost(country, segments, options, list), { trim: true })).toBe(euros);
    expect(messageCostBreakdown(country, segments, options, list).total).toBe(messageCost(country, segments, options, list));
  });

  it('charges the OTP fee once it is no longer waived', () => {
    const priced: PriceList = { ...list, otp: { ...list.otp, waived: false } };
    expect(messageCostBreakdown('FR', 1, { otp: true }, priced)).toMatchObject({ otp: 1_000, total: 46_000 });
  });

  it('a surcharge priced per segment multiplies by the segments', () => {
    const perSegment: PriceList = { ...list, trackedLink: { price: 10_000, per: 'SEGMENT' } };
    expect(messageCost('FR', 3, { trackedLink: true }, perSegment)).toBe(3 * 45_000 + 3 * 10_000);
  });
});

describe('batchCost', () => {
  it('breaks the cost down per country and totals it', () => {
    const result = batchCost(
      [
        { country: 'FR', segments: 1 },
        { country: 'FR', segments: 2 },
        { country: 'BE', segments: 1 },
        { country: null, segments: 1 },
        { country: 'DE', segments: 1 },
      ],
      {},
      DEFAULT_PRICE_LIST,
    );
    expect(result).toEqual({
      messages: 5,
      segments: 6,
      total: 135_000 + 72_000 + 100_000 + 79_000,
      byCountry: [
        { country: 'BE', messages: 1, segments: 1, cost: 72_000 },
        { country: 'DE', messages: 1, segments: 1, cost: 79_000 },
        { country: 'FR', messages: 2, segments: 3, cost: 135_000 },
        { country: null, messages: 1, segments: 1, cost: 100_000 },
      ],
    });
  });

  it('a million French SMS cost exactly 45 000 €', () => {
    const messages = { *[Symbol.iterator]() { for (let i = 0; i < 1_000_000; i++) yield { country: 'FR', segments: 1 }; } };
    expect(formatEuros(batchCost(messages, {}, DEFAULT_PRICE_LIST).total, { trim: true })).toBe('45000.00');
  });
});
