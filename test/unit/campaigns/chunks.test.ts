import { describe, expect, it } from 'vitest';
import type { ContactRow, PastedNumber } from '../../../src/domain/campaigns/campaign-recipients.js';
import { mergeChunk } from '../../../src/domain/campaigns/chunks.js';

const contact = (number: string): ContactRow => ({ number, firstName: null, lastName: null, fields: [], blacklisted: false });
const pasted = (e164: string): PastedNumber => ({ input: e164, e164, country: 'FR', type: 'MOBILE' });
const numbersOf = (chunk: ReturnType<typeof mergeChunk>) => chunk.candidates.map((c) => `${c.contact ? 'c' : 'p'}${c.number.slice(-2)}`);

/** Runs every chunk the way the job does (contacts re-read after the resume point) and returns them. */
function walk(contacts: string[], pastedNumbers: string[], size: number) {
  const sortedPasted = [...pastedNumbers].sort().map(pasted);
  const sortedContacts = [...contacts].sort();
  const chunks: string[][] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const read = sortedContacts.filter((number) => after === null || number > after).slice(0, size).map(contact);
    const chunk = mergeChunk(read, sortedPasted, after, size, read.length === size);
    chunks.push(numbersOf(chunk));
    if (chunk.end === null) return chunks;
    after = chunk.end;
  }
  throw new Error('no end');
}

describe('mergeChunk', () => {
  it('merges contacts and pasted numbers in number order; a number both pasted and selected is the contact', () => {
    const chunk = mergeChunk([contact('+33600000002'), contact('+33600000004')], [pasted('+33600000001'), pasted('+33600000004'), pasted('+33600000005')], null, 10, false);
    expect(numbersOf(chunk)).toEqual(['p01', 'c02', 'c04', 'p05']);
    expect(chunk.end).toBeNull();
  });

  it('keeps pasted numbers past the last contact read for a later chunk while contacts remain', () => {
    const chunk = mergeChunk([contact('+33600000002'), contact('+33600000004')], [pasted('+33600000003'), pasted('+33600000009')], null, 2, true);
    expect(numbersOf(chunk)).toEqual(['c02', 'p03']);
    expect(chunk.end).toBe('+33600000003');
  });

  it.each([
    ['only contacts', ['+33600000001', '+33600000002', '+33600000003', '+33600000004', '+33600000005'], [], 2],
    ['only pasted numbers', [], ['+33600000001', '+33600000002', '+33600000003', '+33600000004', '+33600000005'], 2],
    ['pasted before, between, after and equal to contacts', ['+33600000010', '+33600000020', '+33600000030'], ['+33600000005', '+33600000020', '+33600000025', '+33600000040', '+33600000041'], 2],
    ['many pasted numbers inside one contact range', ['+33600000001', '+33600000099'], Array.from({ length: 20 }, (_, i) => `+336000000${String(i + 50)}`), 3],
  ])('walks %s: each number exactly once, in order, chunks at most the size', (_name, contacts, pastedNumbers, size) => {
    const chunks = walk(contacts, pastedNumbers, size);
    const all = chunks.flat();
    const expected = [...new Set([...contacts, ...pastedNumbers])].sort().map((number) => `${contacts.includes(number) ? 'c' : 'p'}${number.slice(-2)}`);
    expect(all).toEqual(expected);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(size);
  });

  it('ends at once when there is nothing', () => {
    expect(mergeChunk([], [], null, 10, false)).toEqual({ candidates: [], end: null });
  });
});
