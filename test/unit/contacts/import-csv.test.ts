/**
 * The import's CSV reader against csv-parse (the reference it replaces on the hot path): same
 * records, or both refusing, on generated files cut into random chunks.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvFormatError, CsvRecordReader, readCsvRecords, readCsvSample } from '../../../src/domain/contacts/import-csv.js';

const MAX = 64 * 1024;

function reference(text: string | Buffer, delimiter: string, encoding: 'utf8' | 'latin1' = 'utf8'): string[][] | 'error' {
  try {
    return parse(text, { delimiter, encoding, bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, max_record_size: MAX }) as string[][];
  } catch {
    return 'error';
  }
}

function readInPieces(text: string, delimiter: string, cuts: number[]): string[][] | 'error' {
  const reader = new CsvRecordReader({ delimiter, maxRecordLength: MAX });
  const records: string[][] = [];
  let start = 0;
  try {
    for (const cut of [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b)) {
      reader.push(text.slice(start, cut), records);
      start = cut;
    }
    reader.push(text.slice(start), records);
    reader.end(records);
    return records;
  } catch (error) {
    if (!(error instanceof CsvFormatError)) throw error;
    return 'error';
  }
}

async function readBytes(bytes: Buffer, delimiter: string, cuts: number[], encoding: 'utf8' | 'latin1' = 'utf8'): Promise<string[][] | 'error'> {
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  const records: string[][] = [];
  try {
    for await (const batch of readCsvRecords(Readable.from(pieces.filter((piece) => piece.length > 0)), { delimiter, maxRecordLength: MAX, encoding })) records.push(...batch);
    return records;
  } catch (error) {
    if (!(error instanceof CsvFormatError)) throw error;
    return 'error';
  }
}

const TOKENS = ['a', 'bc', 'é', '€', ' ', ';', ',', '\t', '"', '""', '\n', '\r\n', '\r', '06 12 34 56 78'];
const csvText = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((tokens) => tokens.join(''));
const cuts = fc.array(fc.nat(), { maxLength: 6 });

describe('CsvRecordReader reads what csv-parse reads', () => {
  it.each([
    ['plain lines', 'phone;name\n0612345678;Zoé\n+33612345679;Luc\n'],
    ['CRLF and no final newline', 'phone;name\r\n0612345678;Zoé\r\n+33612345679;Luc'],
    ['old Mac line ends', 'phone;name\r0612345678;Zoé\r'],
    ['empty lines skipped', '\n\nphone;name\n\n0612345678;Zoé\n\n'],
    ['quoted values with delimiters, quotes and line breaks', 'phone;name\n"06 12 34 56 78";"Dupont; ""Jo""\nsecond line"\n'],
    ['a quote inside a value', 'phone;name\n0612345678;L"Ours\n'],
    ['relaxed closing quote', 'phone;name\n"06"12;"a""b"c\n'],
    ['quoted empty line is a record', 'phone\n""\n0612345678\n'],
    ['LF file with a stray CR', 'phone;name\n0612345678;Zoé\r\n'],
    ['CRLF file with a stray LF inside a line', 'phone;name\r\n0612\n345678;Zoé\r\n'],
    ['quoted values and CRLF', 'phone;name\r\n"06";"a"\r\n"b";""\r\n'],
    ['quote never closed', 'phone;name\n"0612345678;Zoé\n'],
  ])('%s', (_name, text) => {
    expect(readInPieces(text, ';', [])).toEqual(reference(text, ';'));
    for (let cut = 0; cut <= text.length; cut++) expect(readInPieces(text, ';', [cut]), `cut at ${cut}`).toEqual(reference(text, ';'));
  });

  it('on generated text cut anywhere', () => {
    fc.assert(
      fc.property(csvText, cuts, fc.constantFrom(';', ','), (text, pieces, delimiter) => {
        expect(readInPieces(text, delimiter, pieces)).toEqual(reference(text, delimiter));
      }),
      { numRuns: 3000 },
    );
  });

  it('on generated UTF-8 bytes (with or without BOM) cut anywhere, even inside a character', async () => {
    await fc.assert(
      fc.asyncProperty(csvText, cuts, fc.boolean(), async (text, pieces, bom) => {
        const bytes = Buffer.from(`${bom ? '\uFEFF' : ''}${text}`, 'utf8');
        expect(await readBytes(bytes, ';', pieces)).toEqual(reference(bytes, ';'));
      }),
      { numRuns: 1000 },
    );
  });

  it('on Latin-1 bytes', async () => {
    const bytes = Buffer.from('numero;prénom\n+33611111111;Hélène\n"+33611111112";"Bérénice"\n', 'latin1');
    expect(await readBytes(bytes, ';', [5, 20], 'latin1')).toEqual([
      ['numero', 'prénom'],
      ['+33611111111', 'Hélène'],
      ['+33611111112', 'Bérénice'],
    ]);
    expect(await readBytes(bytes, ';', [5, 20], 'latin1')).toEqual(reference(bytes, ';', 'latin1'));
  });

  it('refuses a quote left open instead of reading the rest of the file as one value', () => {
    const text = `phone;name\n"0612345678;Zoé\n${'0612345678;x\n'.repeat(10_000)}`;
    const reader = new CsvRecordReader({ delimiter: ';', maxRecordLength: 1000 });
    const records: string[][] = [];
    expect(() => reader.push(text, records)).toThrow(expect.objectContaining({ message: expect.stringMatching(/longer than 1000 characters/), line: 2 }));
    expect(records).toEqual([['phone', 'name']]);
  });
});

describe('readCsvSample', () => {
  it('reads the first records and ignores a fault after them', () => {
    expect(readCsvSample('\uFEFFphone\n1\n2\n3\n"4\n', { delimiter: ',', maxRecordLength: MAX }, 3)).toEqual([['phone'], ['1'], ['2']]);
    expect(() => readCsvSample('phone\n"1\n', { delimiter: ',', maxRecordLength: MAX }, 3)).toThrow(CsvFormatError);
  });
});
