/**
 * GSM 03.38 character sets and "smart encoding" (look-alike replacement).
 *
 * The tables are indexed by UTF-16 code unit so that the counting loop in `segments.ts` costs one
 * typed-array read per character: no regex, no Map, no allocation.
 */

export type SmsEncoding = 'GSM7' | 'UCS2';

/** The 127 characters of the GSM 03.38 basic table (0x1B, the escape to the extension table, is not a character). */
export const GSM_BASIC_CHARACTERS =
  '@£$¥èéùìòÇ\nØø\rÅå' +
  'Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

/** Characters of the extension table: each is sent as ESC + code, so it takes two septets. */
export const GSM_EXTENSION_CHARACTERS = '\f^{}\\[~]|€';

/**
 * Septets taken by each UTF-16 code unit: 1 (basic table), 2 (extension table) or 0 (not GSM:
 * the message must be UCS-2). 64 KiB, built once.
 */
export const GSM_SEPTETS: Uint8Array = buildSeptetTable();

function buildSeptetTable(): Uint8Array {
  const table = new Uint8Array(0x10000);
  for (let i = 0; i < GSM_BASIC_CHARACTERS.length; i++) table[GSM_BASIC_CHARACTERS.charCodeAt(i)] = 1;
  for (let i = 0; i < GSM_EXTENSION_CHARACTERS.length; i++) table[GSM_EXTENSION_CHARACTERS.charCodeAt(i)] = 2;
  return table;
}

/** Septets of one UTF-16 code unit in GSM-7, 0 when it is not in the GSM tables. */
export function gsmSeptets(charCode: number): number {
  return GSM_SEPTETS[charCode] ?? 0;
}

export function isGsmText(text: string): boolean {
  const septetsOf = GSM_SEPTETS;
  for (let i = 0; i < text.length; i++) {
    if (septetsOf[text.charCodeAt(i)] === 0) return false;
  }
  return true;
}

export function detectEncoding(text: string): SmsEncoding {
  return isGsmText(text) ? 'GSM7' : 'UCS2';
}

/**
 * Distinct characters (code points, in order of appearance) that are in neither GSM table and
 * therefore force the whole message into UCS-2: shown to the sender so they can rewrite them.
 */
export function nonGsmCharacters(text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (GSM_SEPTETS[text.charCodeAt(i)] !== 0) continue;
    const codePoint = text.codePointAt(i) ?? 0;
    const character = String.fromCodePoint(codePoint);
    if (codePoint > 0xffff) i++;
    if (!found.includes(character)) found.push(character);
  }
  return found;
}

/**
 * Look-alike replacements used by smart encoding. Every replacement is made only of GSM
 * characters (a test checks it). Accented letters that GSM has (é è ù ì ò à É Ç Ä Ö Ñ Ü ä ö ñ ü
 * Å å Æ æ Ø ø ß) are kept; the others lose their accent, as a reader would expect.
 * `ç` becomes `c` rather than GSM's capital `Ç`, so that "reçu" stays lower-case ("recu").
 */
export const SMART_REPLACEMENTS: Readonly<Record<string, string>> = {
  // quotes and apostrophes
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201B': "'", '\u2032': "'", '\u02BC': "'", '\u0060': "'", '\u00B4': "'",
  '\u201C': '"', '\u201D': '"', '\u201E': '"', '\u201F': '"', '\u2033': '"', '\u00AB': '"', '\u00BB': '"',
  '\u2039': '<', '\u203A': '>',
  // dashes, bullets, ellipsis
  '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-', '\u2015': '-', '\u2212': '-', '\u2022': '-',
  '\u2026': '...',
  // spaces: non-breaking (French typography puts them before ; : ! ? and inside « »), thin, em...
  '\u00A0': ' ', '\u2000': ' ', '\u2001': ' ', '\u2002': ' ', '\u2003': ' ', '\u2004': ' ', '\u2005': ' ',
  '\u2006': ' ', '\u2007': ' ', '\u2008': ' ', '\u2009': ' ', '\u200A': ' ', '\u202F': ' ', '\u205F': ' ',
  '\u3000': ' ', '\t': ' ',
  // invisible characters: dropped
  '\u200B': '', '\u2060': '', '\uFEFF': '', '\u00AD': '',
  // symbols with a GSM twin
  '\u02C6': '^', '\u02DC': '~', '\u2206': 'Δ', '\u2126': 'Ω', '\u00B5': 'u',
  // accented letters outside GSM
  'á': 'a', 'â': 'a', 'ã': 'a', 'ā': 'a', 'À': 'A', 'Á': 'A', 'Â': 'A', 'Ã': 'A', 'Ā': 'A',
  'ç': 'c', 'ć': 'c', 'č': 'c', 'Ć': 'C', 'Č': 'C',
  'ê': 'e', 'ë': 'e', 'ē': 'e', 'ę': 'e', 'ě': 'e', 'È': 'E', 'Ê': 'E', 'Ë': 'E', 'Ē': 'E', 'Ę': 'E', 'Ě': 'E',
  'í': 'i', 'î': 'i', 'ï': 'i', 'ī': 'i', 'Ì': 'I', 'Í': 'I', 'Î': 'I', 'Ï': 'I', 'Ī': 'I',
  'ó': 'o', 'ô': 'o', 'õ': 'o', 'ō': 'o', 'Ò': 'O', 'Ó': 'O', 'Ô': 'O', 'Õ': 'O', 'Ō': 'O',
  'ú': 'u', 'û': 'u', 'ū': 'u', 'ů': 'u', 'Ù': 'U', 'Ú': 'U', 'Û': 'U', 'Ū': 'U', 'Ů': 'U',
  'ý': 'y', 'ÿ': 'y', 'Ý': 'Y', 'Ÿ': 'Y',
  'ń': 'n', 'ň': 'n', 'Ń': 'N', 'Ň': 'N',
  'ł': 'l', 'Ł': 'L', 'ś': 's', 'š': 's', 'Ś': 'S', 'Š': 'S', 'ź': 'z', 'ż': 'z', 'ž': 'z', 'Ź': 'Z', 'Ż': 'Z', 'Ž': 'Z',
  'ř': 'r', 'Ř': 'R', 'ď': 'd', 'Ď': 'D', 'ť': 't', 'Ť': 'T', 'ğ': 'g', 'Ğ': 'G', 'ı': 'i', 'İ': 'I', 'ş': 's', 'Ş': 'S',
  'œ': 'oe', 'Œ': 'OE',
};

// SMART_REPLACEMENTS by code unit (all keys are in the BMP): REPLACEMENT_INDEX[code] is 0 for
// none, else 1 + the index of the replacement in REPLACEMENT_TEXTS. A dense typed array, because
// a sparse JS array with indices up to 0xFEFF would fall back to slow dictionary lookups.
const REPLACEMENT_INDEX = new Uint16Array(0x10000);
const REPLACEMENT_TEXTS: string[] = [];
for (const [character, replacement] of Object.entries(SMART_REPLACEMENTS)) {
  const code = character.charCodeAt(0);
  if (GSM_SEPTETS[code] !== 0) continue; // never replace a GSM character
  REPLACEMENT_TEXTS.push(replacement);
  REPLACEMENT_INDEX[code] = REPLACEMENT_TEXTS.length;
}

export interface CharacterReplacement {
  character: string;
  replacement: string;
  count: number;
}

export interface SmartEncodingResult {
  text: string;
  /** In order of first appearance; empty when the text was left as it was. */
  replacements: readonly CharacterReplacement[];
}

const UNCHANGED: readonly CharacterReplacement[] = Object.freeze([]);

/**
 * Replaces look-alike characters by GSM equivalents, but only when that makes the whole text
 * GSM-7: if a character without equivalent remains (an emoji, Cyrillic...), the message is UCS-2
 * anyway, replacing would only degrade it, so the text is returned unchanged.
 */
export function smartEncode(text: string): SmartEncodingResult {
  const septetsOf = GSM_SEPTETS; // local aliases: see countSegments
  const replacementIndex = REPLACEMENT_INDEX;
  const length = text.length;
  let first = 0;
  while (first < length && septetsOf[text.charCodeAt(first)] !== 0) first++;
  if (first === length) return { text, replacements: UNCHANGED };
  for (let i = first; i < length; i++) {
    const code = text.charCodeAt(i);
    if (septetsOf[code] === 0 && replacementIndex[code] === 0) return { text, replacements: UNCHANGED };
  }
  const replacements: CharacterReplacement[] = [];
  let output = text.slice(0, first);
  let runStart = first;
  for (let i = first; i < length; i++) {
    const code = text.charCodeAt(i);
    if (septetsOf[code] !== 0) continue;
    const replacement = REPLACEMENT_TEXTS[(replacementIndex[code] ?? 1) - 1] ?? '';
    output += text.slice(runStart, i) + replacement;
    runStart = i + 1;
    let seen: CharacterReplacement | undefined;
    for (const r of replacements) if (r.character.charCodeAt(0) === code) seen = r;
    if (seen) seen.count++;
    else replacements.push({ character: String.fromCharCode(code), replacement, count: 1 });
  }
  output += text.slice(runStart);
  return { text: output, replacements };
}
