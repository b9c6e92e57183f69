/**
 * The queue of one priority lane of a bind: first in, first out, except that a part refused by
 * a throttling answer goes back in front of every part queued after it (by its original
 * position), so throttling slows a bind down without reordering it.
 */
import type { QueuedPart } from './pending-message.js';

export class LaneQueue {
  /** Parts to send again, sorted by `order`; always ahead of `fifo`, whose parts came later. */
  private readonly retries: QueuedPart[] = [];
  private fifo: QueuedPart[] = [];
  private head = 0;
  segments = 0;

  get length(): number {
    return this.retries.length + this.fifo.length - this.head;
  }

  push(part: QueuedPart): void {
    this.fifo.push(part);
    this.segments++;
  }

  /** Back in its place after a throttling answer. */
  requeue(part: QueuedPart): void {
    let at = this.retries.length;
    while (at > 0 && (this.retries[at - 1]?.order ?? 0) > part.order) at--;
    this.retries.splice(at, 0, part);
    this.segments++;
  }

  peek(): QueuedPart | undefined {
    return this.retries[0] ?? this.fifo[this.head];
  }

  shift(): QueuedPart | undefined {
    let part = this.retries.shift();
    if (!part) {
      part = this.fifo[this.head];
      if (!part) return undefined;
      this.fifo[this.head] = undefined as unknown as QueuedPart; // let it be collected before compaction
      this.head++;
      // Compact once the consumed prefix dominates, so shift stays O(1) amortised.
      if (this.head > 1024 && this.head * 2 > this.fifo.length) {
        this.fifo = this.fifo.slice(this.head);
        this.head = 0;
      }
    }
    this.segments--;
    return part;
  }

  /** Empties the queue, returning its parts in sending order. */
  drain(): QueuedPart[] {
    const parts = [...this.retries, ...this.fifo.slice(this.head)];
    this.retries.length = 0;
    this.fifo = [];
    this.head = 0;
    this.segments = 0;
    return parts;
  }
}
