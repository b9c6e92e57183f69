import { describe, expect, it } from 'vitest';
import { InboundAssembler } from '../../../src/gateways/carriers/inbound-assembler.js';

const parts = ['Bonjour, ', 'je voudrais ', 'annuler.'];

describe('InboundAssembler', () => {
  it.each([
    [[1, 2, 3]],
    [[3, 2, 1]],
    [[2, 3, 1]],
    [[3, 1, 2]],
  ])('reassembles parts arriving in order %j', (order) => {
    const assembler = new InboundAssembler(60_000);
    const results = order.map((index, t) => assembler.add('k', { reference: 1, total: 3, index }, parts[index - 1] ?? '', t));
    expect(results.slice(0, -1)).toEqual([null, null]);
    expect(results.at(-1)).toMatchObject({ text: 'Bonjour, je voudrais annuler.', parts: 3, complete: true, firstAt: 0 });
    expect(assembler.pendingSets).toBe(0);
  });

  it('keeps sets with different keys apart', () => {
    const assembler = new InboundAssembler(60_000);
    assembler.add('a', { reference: 1, total: 2, index: 1 }, 'A1', 0);
    assembler.add('b', { reference: 1, total: 2, index: 1 }, 'B1', 0);
    expect(assembler.add('b', { reference: 1, total: 2, index: 2 }, 'B2', 0)).toMatchObject({ text: 'B1B2' });
    expect(assembler.add('a', { reference: 1, total: 2, index: 2 }, 'A2', 0)).toMatchObject({ text: 'A1A2' });
  });

  it('takes a repeated part once', () => {
    const assembler = new InboundAssembler(60_000);
    assembler.add('k', { reference: 1, total: 2, index: 1 }, 'one', 0);
    expect(assembler.add('k', { reference: 1, total: 2, index: 1 }, 'one', 1)).toBeNull();
    expect(assembler.add('k', { reference: 1, total: 2, index: 2 }, 'two', 2)).toMatchObject({ text: 'onetwo' });
  });

  it('hands over an incomplete set after the timeout, with the parts that came, in order', () => {
    const assembler = new InboundAssembler(1000);
    assembler.add('k', { reference: 1, total: 3, index: 3 }, 'C', 0);
    assembler.add('k', { reference: 1, total: 3, index: 1 }, 'A', 10);
    expect(assembler.expire(999)).toEqual([]);
    expect(assembler.expire(1000)).toEqual([expect.objectContaining({ key: 'k', text: 'AC', parts: 3, complete: false })]);
    expect(assembler.pendingSets).toBe(0);
  });

  it('puts a set back when it could not be handled, so the repeated last part completes it again', () => {
    const assembler = new InboundAssembler(60_000);
    assembler.add('k', { reference: 1, total: 2, index: 1 }, 'A', 0);
    const done = assembler.add('k', { reference: 1, total: 2, index: 2 }, 'B', 1);
    expect(done).not.toBeNull();
    if (done) assembler.restore(done.set);
    expect(assembler.add('k', { reference: 1, total: 2, index: 2 }, 'B', 2)).toMatchObject({ text: 'AB', complete: true });
  });
});
