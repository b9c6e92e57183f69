/**
 * Ids of the contacts an import creates, made here rather than by the column default
 * `uuidv7()`: the same kind of id (UUID version 7, time-ordered, so "newest first" still holds),
 * but PostgreSQL's generator draws strong random bytes per row, about a second of the server's
 * time per million contacts, on the core an import waits for. RFC 9562 layout, method 1: 48-bit
 * Unix milliseconds, a 12-bit counter within the millisecond (monotonic), 62 random bits.
 */
import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const POOL_BYTES = 8192;
const COUNTER_MAX = 0xfff;

export class ContactIdGenerator {
  private lastMs = -1;
  private counter = 0;
  /** `tttttttt-tttt-7` for the current millisecond. */
  private prefix = '';
  private readonly pool = Buffer.alloc(POOL_BYTES);
  private poolOffset = POOL_BYTES;

  next(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.setMillisecond(now);
    } else if (++this.counter > COUNTER_MAX) {
      // More than 4096 ids in a millisecond (or the clock went back): borrow the next one.
      this.setMillisecond(this.lastMs + 1);
    }
    if (this.poolOffset + 8 > POOL_BYTES) {
      randomFillSync(this.pool);
      this.poolOffset = 0;
    }
    const pool = this.pool;
    const at = this.poolOffset;
    this.poolOffset += 8;
    const counter = this.counter;
    return (
      this.prefix +
      HEX[counter >> 8]![1] +
      HEX[counter & 0xff] +
      '-' +
      HEX[(pool[at]! & 0x3f) | 0x80] +
      HEX[pool[at + 1]!] +
      '-' +
      HEX[pool[at + 2]!] +
      HEX[pool[at + 3]!] +
      HEX[pool[at + 4]!] +
      HEX[pool[at + 5]!] +
      HEX[pool[at + 6]!] +
      HEX[pool[at + 7]!]
    );
  }

  private setMillisecond(ms: number): void {
    this.lastMs = ms;
    this.counter = 0;
    const hex = ms.toString(16).padStart(12, '0');
    this.prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7`;
  }
}
