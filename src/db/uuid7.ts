import { randomBytes } from 'node:crypto';

/**
 * UUID version 7 (RFC 9562) for rows inserted with raw SQL, matching Prisma's `uuid(7)`:
 * a millisecond timestamp then random bits, so ids sort by creation time. Within one
 * millisecond a counter in `rand_a` keeps ids of this process increasing.
 */
let lastMs = 0;
let counter = 0;

export function uuid7(now = Date.now()): string {
  if (now <= lastMs) {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
  } else {
    lastMs = now;
    counter = 0;
  }
  const bytes = randomBytes(16);
  let ms = lastMs;
  for (let index = 5; index >= 0; index--) {
    bytes[index] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value (an id from a client) is a UUID at all: anything else cannot name a row. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
