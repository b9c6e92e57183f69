import { describe, expect, it } from 'vitest';
import { concatenationHeader, readConcatenation, udhElements } from '../../../src/gateways/carriers/udh.js';

describe('UDH concatenation', () => {
  it('writes the 8-bit reference header: length 5, IEI 0, IE length 3, reference, total, index', () => {
    expect([...concatenationHeader(0xab, 3, 2)]).toEqual([0x05, 0x00, 0x03, 0xab, 0x03, 0x02]);
  });

  it.each([
    [256, 3, 1, /reference/],
    [1, 0, 1, /part count/],
    [1, 3, 0, /index/],
    [1, 3, 4, /index/],
  ])('refuses reference %i, total %i, index %i', (reference, total, index, message) => {
    expect(() => concatenationHeader(reference, total, index)).toThrow(message);
  });

  it('reads its own header back', () => {
    expect(readConcatenation(udhElements(concatenationHeader(7, 4, 3)))).toEqual({ reference: 7, total: 4, index: 3 });
  });

  it('reads the 16-bit reference form that handsets also send', () => {
    const udh = Buffer.from([0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01]);
    expect(readConcatenation(udhElements(udh))).toEqual({ reference: 0x1234, total: 2, index: 1 });
  });

  it('finds the concatenation element among others (a port addressing element first)', () => {
    const udh = Buffer.from([0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 0x09, 0x02, 0x02]);
    expect(udhElements(udh)).toHaveLength(2);
    expect(readConcatenation(udhElements(udh))).toEqual({ reference: 9, total: 2, index: 2 });
  });

  it.each([
    ['no concatenation element', [0x04, 0x05, 0x02, 0x0b, 0x84]],
    ['zero parts', [0x05, 0x00, 0x03, 0x01, 0x00, 0x01]],
    ['index beyond the total', [0x05, 0x00, 0x03, 0x01, 0x02, 0x03]],
    ['index 0', [0x05, 0x00, 0x03, 0x01, 0x02, 0x00]],
  ])('treats a header with %s as a whole message', (_case, bytes) => {
    expect(readConcatenation(udhElements(Buffer.from(bytes)))).toBeNull();
  });
});
