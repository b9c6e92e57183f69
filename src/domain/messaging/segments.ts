/**
 * Segments of an SMS: how many SMS a text takes, and the parts themselves (sent with UDH
 * concatenation headers, hence 153 septets / 67 code units per part instead of 160 / 70).
 *
 * `countSegments` is the inner loop of a campaign (once per recipient, after personalisation):
 * one pass over the code units with one typed-array read each, no allocation but the result.
 * The exact part-by-part walk is done only when a multi-part message contains a two-septet
 * character or a surrogate pair, since only those can move a part boundary.
 */
import { GSM_SEPTETS, type SmsEncoding } from './encoding.js';

export const GSM7_SINGLE_LIMIT = 160;
export const GSM7_PART_LIMIT = 153;
export const UCS2_SINGLE_LIMIT = 70;
export const UCS2_PART_LIMIT = 67;
/** Carriers and handsets reassemble at most this many parts; longer messages are refused. */
export const MAX_PARTS = 10;

export interface SegmentCount {
  encoding: SmsEncoding;
  /** Characters as a reader counts them: Unicode code points (an emoji is one). */
  characters: number;
  /** Septets for GSM-7 (extension characters count two), UTF-16 code units for UCS-2. */
  units: number;
  /** Number of SMS (parts); at least 1, an empty text is sent as one empty SMS. */
  segments: number;
  /** Capacity of each part: 160/70 for a single SMS, 153/67 for a concatenated one. */
  unitsPerSegment: number;
  /** Units still free in the last part before one more SMS is needed. */
  remaining: number;
}

export interface MessageTooLong {
  code: 'TOO_LONG';
  message: string;
  segments: number;
  maxSegments: number;
}

export interface SegmentedMessage extends SegmentCount {
  parts: string[];
  /** Set when the text needs more than MAX_PARTS parts: it cannot be sent as it is. */
  problem: MessageTooLong | null;
}

// Units used in the last part by the latest greedy walk: a module-level scratch value rather
// than a returned object, so the hot path allocates nothing.
let lastPartUnits = 0;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Width in code units of the character starting at `i`: 2 for a surrogate pair, else 1. */
function ucs2Width(text: string, i: number): number {
  return isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
}

function gsmPartsExact(text: string): number {
  const septetsOf = GSM_SEPTETS;
  let parts = 1;
  let used = 0;
  for (let i = 0; i < text.length; i++) {
    const septets = septetsOf[text.charCodeAt(i)] ?? 0;
    if (used + septets > GSM7_PART_LIMIT) {
      parts++;
      used = 0;
    }
    used += septets;
  }
  lastPartUnits = used;
  return parts;
}

function ucs2PartsExact(text: string): number {
  let parts = 1;
  let used = 0;
  for (let i = 0; i < text.length; ) {
    const width = ucs2Width(text, i);
    if (used + width > UCS2_PART_LIMIT) {
      parts++;
      used = 0;
    }
    used += width;
    i += width;
  }
  lastPartUnits = used;
  return parts;
}

export function countSegments(text: string): SegmentCount {
  // Kept small so that V8 inlines it into the caller's loop; the rarer paths are functions of
  // their own. A local alias of the table is read much faster than the imported binding.
  const septetsOf = GSM_SEPTETS;
  const length = text.length;
  let septets = 0;
  let i = 0;
  for (; i < length; i++) {
    const cost = septetsOf[text.charCodeAt(i)] ?? 0;
    if (cost === 0) return countUcs2(text, i);
    septets += cost;
  }
  if (septets <= GSM7_SINGLE_LIMIT) {
    return { encoding: 'GSM7', characters: length, units: septets, segments: 1, unitsPerSegment: GSM7_SINGLE_LIMIT, remaining: GSM7_SINGLE_LIMIT - septets };
  }
  return countGsmParts(text, septets);
}

function countGsmParts(text: string, septets: number): SegmentCount {
  let segments: number;
  if (septets !== text.length) {
    // Two-septet characters: one may not fit at the end of a part.
    segments = gsmPartsExact(text);
  } else {
    segments = Math.ceil(septets / GSM7_PART_LIMIT);
    lastPartUnits = septets - (segments - 1) * GSM7_PART_LIMIT;
  }
  return { encoding: 'GSM7', characters: text.length, units: septets, segments, unitsPerSegment: GSM7_PART_LIMIT, remaining: GSM7_PART_LIMIT - lastPartUnits };
}

/** UCS-2 from the first non-GSM character at `from`: every code unit counts one; only surrogate pairs need attention. */
function countUcs2(text: string, from: number): SegmentCount {
  const length = text.length;
  let surrogatePairs = 0;
  for (let i = from; i < length; i++) {
    // High surrogate followed by a low one (charCodeAt past the end is NaN, & gives 0).
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      surrogatePairs++;
      i++;
    }
  }
  const characters = length - surrogatePairs;
  if (length <= UCS2_SINGLE_LIMIT) {
    return { encoding: 'UCS2', characters, units: length, segments: 1, unitsPerSegment: UCS2_SINGLE_LIMIT, remaining: UCS2_SINGLE_LIMIT - length };
  }
  let segments: number;
  if (surrogatePairs > 0) {
    segments = ucs2PartsExact(text);
  } else {
    segments = Math.ceil(length / UCS2_PART_LIMIT);
    lastPartUnits = length - (segments - 1) * UCS2_PART_LIMIT;
  }
  return { encoding: 'UCS2', characters, units: length, segments, unitsPerSegment: UCS2_PART_LIMIT, remaining: UCS2_PART_LIMIT - lastPartUnits };
}

/**
 * Counts a text given as consecutive pieces without concatenating them: a personalised message
 * is literal pieces, whose figures are computed once per template, and a few short values per
 * recipient. Scanning only the values, and never flattening the rendered string, is what makes
 * the per-recipient path fast. `countSegments(pieces.join(''))` gives the same result (a property
 * test checks it).
 */
export class SegmentTally {
  length = 0;
  septets = 0;
  gsm = true;
  surrogatePairs = 0;
  /** A piece starts with a low or ends with a high surrogate: a pair may span two pieces. */
  splitSurrogate = false;

  reset(): void {
    this.length = 0;
    this.septets = 0;
    this.gsm = true;
    this.surrogatePairs = 0;
    this.splitSurrogate = false;
  }

  add(text: string): void {
    const septetsOf = GSM_SEPTETS;
    const length = text.length;
    if (length === 0) return;
    let septets = 0;
    let gsm = this.gsm;
    let pairs = 0;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      const cost = septetsOf[code] ?? 0;
      if (cost === 0) {
        gsm = false;
        if ((code & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
          pairs++;
          i++;
        }
      }
      septets += cost;
    }
    if ((text.charCodeAt(0) & 0xfc00) === 0xdc00 || (text.charCodeAt(length - 1) & 0xfc00) === 0xd800) this.splitSurrogate = true;
    this.length += length;
    this.septets += septets;
    this.gsm = gsm;
    this.surrogatePairs += pairs;
  }

  addTally(other: SegmentTally): void {
    this.length += other.length;
    this.septets += other.septets;
    this.gsm = this.gsm && other.gsm;
    this.surrogatePairs += other.surrogatePairs;
    this.splitSurrogate = this.splitSurrogate || other.splitSurrogate;
  }

  /** The count of the concatenated pieces; `text` (their concatenation) is read only for the rare exact walks. */
  result(text: string): SegmentCount {
    if (this.splitSurrogate) return countSegments(text);
    const length = this.length;
    if (this.gsm) {
      const septets = this.septets;
      if (septets <= GSM7_SINGLE_LIMIT) {
        return { encoding: 'GSM7', characters: length, units: septets, segments: 1, unitsPerSegment: GSM7_SINGLE_LIMIT, remaining: GSM7_SINGLE_LIMIT - septets };
      }
      return countGsmParts(text, septets);
    }
    const characters = length - this.surrogatePairs;
    if (length <= UCS2_SINGLE_LIMIT) {
      return { encoding: 'UCS2', characters, units: length, segments: 1, unitsPerSegment: UCS2_SINGLE_LIMIT, remaining: UCS2_SINGLE_LIMIT - length };
    }
    if (this.surrogatePairs > 0) return countUcs2(text, 0);
    const segments = Math.ceil(length / UCS2_PART_LIMIT);
    return { encoding: 'UCS2', characters, units: length, segments, unitsPerSegment: UCS2_PART_LIMIT, remaining: UCS2_PART_LIMIT - (length - (segments - 1) * UCS2_PART_LIMIT) };
  }
}

/**
 * The parts to submit, in order; they re-join to `text`. A part never ends between the escape
 * and the code of an extension character (it is one code unit in the string, so that holds by
 * construction) nor between the two halves of a surrogate pair.
 */
export function splitIntoParts(text: string, encoding: SmsEncoding = countSegments(text).encoding): string[] {
  if (encoding === 'GSM7') {
    const septetsOf = GSM_SEPTETS;
    let septets = 0;
    for (let i = 0; i < text.length; i++) septets += septetsOf[text.charCodeAt(i)] ?? 0;
    if (septets <= GSM7_SINGLE_LIMIT) return [text];
    const parts: string[] = [];
    let start = 0;
    let used = 0;
    for (let i = 0; i < text.length; i++) {
      const cost = septetsOf[text.charCodeAt(i)] ?? 0;
      if (used + cost > GSM7_PART_LIMIT) {
        parts.push(text.slice(start, i));
        start = i;
        used = 0;
      }
      used += cost;
    }
    parts.push(text.slice(start));
    return parts;
  }
  if (text.length <= UCS2_SINGLE_LIMIT) return [text];
  const parts: string[] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < text.length; ) {
    const width = ucs2Width(text, i);
    if (used + width > UCS2_PART_LIMIT) {
      parts.push(text.slice(start, i));
      start = i;
      used = 0;
    }
    used += width;
    i += width;
  }
  parts.push(text.slice(start));
  return parts;
}

export function tooLongProblem(count: Pick<SegmentCount, 'segments' | 'encoding'>): MessageTooLong | null {
  if (count.segments <= MAX_PARTS) return null;
  const max = count.encoding === 'GSM7' ? MAX_PARTS * GSM7_PART_LIMIT : MAX_PARTS * UCS2_PART_LIMIT;
  return {
    code: 'TOO_LONG',
    message: `The message needs ${count.segments} SMS; at most ${MAX_PARTS} are allowed (${max} ${count.encoding === 'GSM7' ? 'GSM characters' : 'Unicode characters'}).`,
    segments: count.segments,
    maxSegments: MAX_PARTS,
  };
}

/** Counts and parts of a text: what the preview shows and what dispatch submits. */
export function segmentMessage(text: string): SegmentedMessage {
  const count = countSegments(text);
  return { ...count, parts: splitIntoParts(text, count.encoding), problem: tooLongProblem(count) };
}
