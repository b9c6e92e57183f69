import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uuid7 } from '../../../src/db/uuid7.js';
import { canonicalJson, hashInput } from '../../../src/domain/idempotency.js';
import { SimulatedPaymentProvider } from '../../../src/gateways/payments.js';

describe('idempotency input hashing', () => {
  it('ignores key order and tells apart different inputs and operations', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
    expect(hashInput('topUpCredit', { amount: 1, note: 'x' })).toBe(hashInput('topUpCredit', { note: 'x', amount: 1 }));
    expect(hashInput('topUpCredit', { amount: 1 })).not.toBe(hashInput('topUpCredit', { amount: 2 }));
    expect(hashInput('topUpCredit', { amount: 1 })).not.toBe(hashInput('transferCredit', { amount: 1 }));
  });
});

describe('uuid7', () => {
  it('has the version and variant bits of a UUID v7 and sorts by creation', () => {
    const ids = Array.from({ length: 2000 }, () => uuid7());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('encodes the millisecond timestamp first (ids stay increasing, so time only moves forward)', () => {
    let ms = Date.now() + 10 * 365 * 24 * 3600 * 1000;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 2 ** 30 }), { minLength: 1, maxLength: 20 }), (steps) => {
        for (const step of steps.sort((a, b) => a - b)) {
          ms += step;
          expect(Number.parseInt(uuid7(ms).replaceAll('-', '').slice(0, 12), 16)).toBe(ms);
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe('payment simulator', () => {
  const provider = new SimulatedPaymentProvider();
  const request = (amountExcludingVat: number) => ({
    accountId: 'a',
    amount: amountExcludingVat * 1.2,
    amountExcludingVat,
    currency: 'EUR' as const,
    description: 'test',
    requestId: `r-${amountExcludingVat}`,
  });

  it.each([
    [50_130_000, 'DECLINED'],
    [130_000, 'DECLINED'],
    [50_000_000, 'APPROVED'],
    [50_120_000, 'APPROVED'],
    [13_000_000, 'APPROVED'],
  ])('%i µ€ -> %s', async (amount, status) => {
    expect((await provider.collect(request(amount))).status).toBe(status);
  });

  it('gives the same reference for the same request id (a retry is the same payment)', async () => {
    const first = await provider.collect(request(10_000_000));
    const second = await provider.collect(request(10_000_000));
    expect(first).toEqual(second);
  });
});
