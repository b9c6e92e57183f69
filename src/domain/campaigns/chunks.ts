/**
 * Chunks of a campaign's materialisation, in number order: pure, so that the resume rule can be
 * tested on its own. Numbers are E.164 strings (`+` and digits), which sort the same way in
 * JavaScript and in PostgreSQL under any collation.
 */
import type { ContactRow, PastedNumber } from './campaign-recipients.js';

/** One recipient of a chunk: a contact (with its values) or a pasted number. */
export type Candidate = { number: string; contact: ContactRow; pasted: null } | { number: string; contact: null; pasted: PastedNumber };

/**
 * The candidates of the next chunk after `after`: the contacts read and the pasted numbers in
 * the same number range, merged in number order (a number both pasted and selected is the
 * contact), at most `chunkSize`. `end` is the resume point, or null when this is the last chunk.
 */
export function mergeChunk(
  contacts: readonly ContactRow[],
  pasted: readonly PastedNumber[],
  after: string | null,
  chunkSize: number,
  moreContacts: boolean,
): { candidates: Candidate[]; end: string | null } {
  const lastContact = contacts.at(-1)?.number ?? null;
  let start = firstAfter(pasted, after);
  const merged: Candidate[] = [];
  let c = 0;
  while (c < contacts.length || start < pasted.length) {
    const contact = contacts[c];
    const number = pasted[start];
    // Pasted numbers past the last contact read may sit before contacts not read yet.
    const pastedUsable = number !== undefined && (!moreContacts || (lastContact !== null && number.e164 <= lastContact));
    if (contact !== undefined && (!pastedUsable || contact.number <= number.e164)) {
      if (pastedUsable && contact.number === number.e164) start++;
      merged.push({ number: contact.number, contact, pasted: null });
      c++;
    } else if (pastedUsable) {
      merged.push({ number: number.e164, contact: null, pasted: number });
      start++;
    } else {
      break;
    }
  }
  if (merged.length > chunkSize) {
    const candidates = merged.slice(0, chunkSize);
    return { candidates, end: candidates.at(-1)!.number };
  }
  const remainingPasted = start < pasted.length;
  return { candidates: merged, end: moreContacts || remainingPasted ? (merged.at(-1)?.number ?? after) : null };
}

/** Index of the first pasted number sorting after `after` (binary search). */
function firstAfter(pasted: readonly PastedNumber[], after: string | null): number {
  if (after === null) return 0;
  let low = 0;
  let high = pasted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (pasted[middle]!.e164 <= after) low = middle + 1;
    else high = middle;
  }
  return low;
}
