import { describe, expect, it } from 'vitest';
import { ContactIdGenerator } from '../../../src/domain/contacts/import-ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ContactIdGenerator', () => {
  it('makes UUIDv7 ids carrying the current time, each greater than the one before', () => {
    const generator = new ContactIdGenerator();
    const before = Date.now();
    const ids = Array.from({ length: 100_000 }, () => generator.next());
    const after = Date.now();
    expect(new Set(ids).size).toBe(ids.length);
    for (const [index, id] of ids.entries()) {
      expect(id).toMatch(UUID_V7);
      if (index > 0) expect(id > ids[index - 1]!, `${id} after ${ids[index - 1]}`).toBe(true);
    }
    const millisecondsOf = (id: string) => parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    expect(millisecondsOf(ids[0]!)).toBeGreaterThanOrEqual(before);
    // 100,000 ids may borrow a few milliseconds ahead (4,096 per millisecond at most).
    expect(millisecondsOf(ids.at(-1)!)).toBeLessThanOrEqual(after + Math.ceil(ids.length / 4096));
  });

  it('keeps its random part random', () => {
    const generator = new ContactIdGenerator();
    const tails = new Set(Array.from({ length: 1000 }, () => generator.next().slice(-12)));
    expect(tails.size).toBe(1000);
  });
});
