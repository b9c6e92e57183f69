import { describe, expect, it } from 'vitest';
import { LaneQueue } from '../../../src/gateways/carriers/lane-queue.js';
import type { PendingMessage, QueuedPart } from '../../../src/gateways/carriers/pending-message.js';

const part = (order: number): QueuedPart => ({ message: {} as PendingMessage, index: 0, order, refusals: 0 });

describe('LaneQueue', () => {
  it('is first in, first out', () => {
    const queue = new LaneQueue();
    for (let i = 0; i < 5; i++) queue.push(part(i));
    expect(Array.from({ length: 5 }, () => queue.shift()?.order)).toEqual([0, 1, 2, 3, 4]);
    expect(queue.shift()).toBeUndefined();
    expect(queue.segments).toBe(0);
  });

  it('puts throttled parts back in their original place, ahead of later ones', () => {
    const queue = new LaneQueue();
    for (let i = 0; i < 10; i++) queue.push(part(i));
    const sent = Array.from({ length: 5 }, () => queue.shift() as QueuedPart);
    // Answers come back out of order: 3 then 1 then 4 were throttled.
    for (const order of [3, 1, 4]) queue.requeue(sent[order] as QueuedPart);
    expect(queue.segments).toBe(8);
    expect(queue.drain().map((p) => p.order)).toEqual([1, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('stays in order over many pushes and shifts (compaction)', () => {
    const queue = new LaneQueue();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      queue.push(part(i));
      if (i % 3 === 0) out.push(queue.shift()?.order ?? -1);
    }
    while (queue.length > 0) out.push(queue.shift()?.order ?? -1);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
