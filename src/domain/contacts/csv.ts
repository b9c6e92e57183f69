/**
 * CSV files as customers produce them (Excel in France: `;` and Latin-1; Google Sheets: `,`
 * and UTF-8): encoding and delimiter detection, and cells safe to open in a spreadsheet. Pure.
 */
import { isUtf8 } from 'node:buffer';

export type CsvEncoding = 'UTF-8' | 'UTF-8 with BOM' | 'ISO-8859-1';

export type EncodingDetection =
  | { ok: true; encoding: CsvEncoding; /** Node's name for decoding. */ nodeEncoding: 'utf8' | 'latin1' }
  | { ok: false; message: string };

/**
 * UTF-8 (with or without BOM) when the bytes are valid UTF-8, else Latin-1 (every byte is a
 * Latin-1 character, and French Excel exports in Windows-1252/Latin-1). UTF-16 and binary files
 * are refused: they are not what a CSV export looks like.
 */
export function detectEncoding(bytes: Uint8Array): EncodingDetection {
  if (bytes.length === 0) return { ok: false, message: 'The file is empty.' };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { ok: false, message: 'The file is encoded in UTF-16; save it as CSV UTF-8 (or Latin-1) and upload it again.' };
  }
  const sample = bytes.subarray(0, 65536);
  let controls = 0;
  for (const byte of sample) {
    if (byte === 0) return { ok: false, message: 'This is not a CSV text file (it contains binary data).' };
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) controls++;
  }
  if (controls > sample.length / 100) return { ok: false, message: 'This is not a CSV text file (it contains binary data).' };
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  // Checked without decoding: a million-row file is tens of MB.
  if (isUtf8(bytes)) return { ok: true, encoding: bom ? 'UTF-8 with BOM' : 'UTF-8', nodeEncoding: 'utf8' };
  return { ok: true, encoding: 'ISO-8859-1', nodeEncoding: 'latin1' };
}

const DELIMITERS = [',', ';', '\t', '|'] as const;

/** The delimiter that splits the header line into the most cells (quotes respected). */
export function detectDelimiter(headerLine: string): string {
  let best: string = ',';
  let bestCount = 0;
  for (const delimiter of DELIMITERS) {
    let count = 0;
    let quoted = false;
    for (const char of headerLine) {
      if (char === '"') quoted = !quoted;
      else if (char === delimiter && !quoted) count++;
    }
    if (count > bestCount) {
      best = delimiter;
      bestCount = count;
    }
  }
  return best;
}

/**
 * A cell a spreadsheet will not run as a formula: values starting with = + - @ tab or CR get a
 * leading apostrophe (OWASP's CSV injection advice). Phone numbers in E.164 start with + and are
 * escaped too: the spreadsheet shows them as text, which is what they are.
 */
export function spreadsheetSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
