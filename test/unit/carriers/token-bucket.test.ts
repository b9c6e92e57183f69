import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/gateways/carriers/token-bucket.js';

function drain(bucket: TokenBucket, transactional: boolean, now: number): number {
  let taken = 0;
  while (bucket.tryTake(transactional, now)) taken++;
  return taken;
}

describe('TokenBucket', () => {
  it('lets through the configured rate, counted in segments', () => {
    const bucket = new TokenBucket({ ratePerSecond: 100, reservedShare: 0, burstSeconds: 0.1 }, 0);
    expect(drain(bucket, false, 0)).toBe(10); // the burst
    let sent = 0;
    for (let t = 10; t <= 1000; t += 10) sent += drain(bucket, false, t);
    expect(sent).toBe(100);
  });

  it('keeps a reserve that only transactional traffic may use', () => {
    const bucket = new TokenBucket({ ratePerSecond: 100, reservedShare: 0.2, burstSeconds: 0.1 }, 0);
    expect(drain(bucket, false, 0)).toBe(8); // bulk stops with 2 tokens (20 % of 10) left
    expect(drain(bucket, true, 0)).toBe(2);
    expect(bucket.waitMs(true, 0)).toBe(10);
    expect(bucket.waitMs(false, 0)).toBe(30);
  });

  it('gives bulk the full rate when it is alone', () => {
    const bucket = new TokenBucket({ ratePerSecond: 100, reservedShare: 0.2, burstSeconds: 0.1 }, 0);
    drain(bucket, false, 0);
    let sent = 0;
    for (let t = 10; t <= 1000; t += 10) sent += drain(bucket, false, t);
    expect(sent).toBe(100);
  });

  it('never starves bulk at a low rate with a reserve', () => {
    const bucket = new TokenBucket({ ratePerSecond: 2, reservedShare: 0.5, burstSeconds: 0.05 }, 0);
    let sent = drain(bucket, false, 0);
    for (let t = 100; t <= 10_000; t += 100) sent += drain(bucket, false, t);
    expect(sent).toBeGreaterThanOrEqual(19);
    expect(sent).toBeLessThanOrEqual(22);
  });

  it('halves the rate on a throttling answer, once per burst, and doubles back after a quiet period', () => {
    const bucket = new TokenBucket({ ratePerSecond: 100, reservedShare: 0, recoveryMs: 5000 }, 0);
    expect(bucket.slowDown(1000, 250)).toBe(true);
    expect(bucket.currentRate).toBe(50);
    expect(bucket.slowDown(1100, 250)).toBe(false); // answers to the same burst
    expect(bucket.currentRate).toBe(50);
    expect(bucket.slowDown(1300, 250)).toBe(true);
    expect(bucket.currentRate).toBe(25);
    expect(bucket.tryTake(true, 1300)).toBe(false); // emptied
    bucket.tryTake(true, 6300);
    expect(bucket.currentRate).toBe(50);
    bucket.tryTake(true, 11_300);
    expect(bucket.currentRate).toBe(100);
    bucket.tryTake(true, 20_000);
    expect(bucket.currentRate).toBe(100);
  });

  it('does not go below its minimum rate', () => {
    const bucket = new TokenBucket({ ratePerSecond: 4, reservedShare: 0, minimumRate: 1 }, 0);
    for (let t = 0; t < 10_000; t += 1000) bucket.slowDown(t, 250);
    expect(bucket.currentRate).toBe(1);
  });
});
