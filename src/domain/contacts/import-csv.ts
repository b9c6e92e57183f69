/**
 * The CSV reader of contact imports: the records csv-parse gives with the options imports use
 * (the detected delimiter, double quotes, relaxed quotes and column count, empty lines skipped,
 * a UTF-8 BOM skipped, the record delimiter found on the first line: \r\n, \n or \r), about ten
 * times faster, which a million-row import needs. A line without a quote (nearly every line of a
 * contact list) is split with indexOf/split; a record with a quote goes through a state machine
 * that follows csv-parse's rules, relaxed quotes included. The unit test compares both readers
 * on generated files cut into random chunks. Pure.
 */
import { StringDecoder } from 'node:string_decoder';

/** A file that stops being CSV (a quote never closed, a record too long). */
export class CsvFormatError extends Error {
  constructor(
    message: string,
    /** 1-based line where the faulty record starts. */
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvFormatError';
  }
}

export interface CsvReaderOptions {
  /** One character: `;`, `,`, tab or `|`. */
  delimiter: string;
  /** Characters a record may hold (an unclosed quote otherwise swallows the rest of the file). */
  maxRecordLength: number;
}

const QUOTE = '"';
const RECORD_DELIMITERS = ['\r\n', '\n', '\r'] as const;

/**
 * Fed text in pieces (`push`, then `end`), appends complete records to the given array. Keeps
 * only the unfinished record between pieces.
 */
export class CsvRecordReader {
  private pending = '';
  private recordDelimiter: string | null = null;
  /** Line where `pending` starts. */
  private line = 1;

  constructor(private readonly options: CsvReaderOptions) {
    if (options.delimiter.length !== 1 || options.delimiter === QUOTE) throw new Error(`unsupported CSV delimiter ${JSON.stringify(options.delimiter)}`);
  }

  /** Reads the records `text` completes; the unfinished last one waits for the next piece. */
  push(text: string, into: string[][]): void {
    this.read(this.pending === '' ? text : this.pending + text, false, into);
  }

  /** Reads what is left: the last record, or an error when a quote is still open. */
  end(into: string[][]): void {
    this.read(this.pending, true, into);
    this.pending = '';
  }

  private read(text: string, final: boolean, into: string[][]): void {
    const { delimiter, maxRecordLength } = this.options;
    let position = 0;
    // The next quote, looked for again only once passed (not once per line).
    let quote = text.indexOf(QUOTE);
    while (position < text.length) {
      const recordDelimiter = this.recordDelimiter;
      if (recordDelimiter !== null) {
        const lineEnd = text.indexOf(recordDelimiter, position);
        if (lineEnd !== -1 && lineEnd - position <= maxRecordLength) {
          if (quote !== -1 && quote < position) quote = text.indexOf(QUOTE, position);
          if (quote === -1 || quote > lineEnd) {
            // The common case: a whole line, no quote.
            if (lineEnd > position) into.push(text.slice(position, lineEnd).split(delimiter));
            position = lineEnd + recordDelimiter.length;
            this.line++;
            continue;
          }
        }
      }
      const next = this.readRecord(text, position, final, into);
      if (next === -1) break;
      position = next;
    }
    this.pending = position === 0 ? text : text.slice(position);
    if (!final && this.pending.length > maxRecordLength) {
      throw new CsvFormatError(`A record is longer than ${maxRecordLength} characters (a quote opened and never closed?)`, this.line);
    }
  }

  /** Length of the record delimiter at `index` (found on first sight), 0 if none, -1 if unknown yet. */
  private recordDelimiterAt(text: string, index: number, final: boolean): number {
    // Once known, a delimiter cut at the end of the text does not matter: a record the text
    // does not finish is read again from its start with the next piece.
    if (this.recordDelimiter !== null) return text.startsWith(this.recordDelimiter, index) ? this.recordDelimiter.length : 0;
    const char = text[index];
    if (char !== '\r' && char !== '\n') return 0;
    // A \r at the end of the text may be the first half of \r\n.
    if (char === '\r' && index + 1 >= text.length && !final) return -1;
    this.recordDelimiter = RECORD_DELIMITERS.find((candidate) => text.startsWith(candidate, index))!;
    return this.recordDelimiter.length;
  }

  /**
   * One record from `start`, character by character (csv-parse's rules): appended to `into`
   * unless it is an empty line. Returns where the next record starts, or -1 when the text ends
   * before the record does and more may come.
   */
  private readRecord(text: string, start: number, final: boolean, into: string[][]): number {
    const { delimiter, maxRecordLength } = this.options;
    const fields: string[] = [];
    let field = '';
    let quoting = false;
    let wasQuoting = false;
    let lines = 0;
    let index = start;
    while (index < text.length) {
      if (index - start > maxRecordLength) {
        throw new CsvFormatError(`A record is longer than ${maxRecordLength} characters (a quote opened and never closed?)`, this.line);
      }
      const char = text[index]!;
      if (quoting) {
        if (char !== QUOTE) {
          // Up to the next quote at once.
          const quote = text.indexOf(QUOTE, index);
          const stop = quote === -1 ? text.length : quote;
          const content = text.slice(index, stop);
          lines += countLines(content);
          field += content;
          index = stop;
          continue;
        }
        if (index + 1 >= text.length && !final) return -1;
        const after = text[index + 1];
        if (after === QUOTE) {
          // "" inside quotes is one quote.
          field += QUOTE;
          index += 2;
          continue;
        }
        quoting = false;
        wasQuoting = true;
        index++;
        if (after === undefined || after === delimiter) continue;
        const closing = this.recordDelimiterAt(text, index, final);
        if (closing === -1) return -1;
        // A closing quote followed by something else: the quotes were part of the text.
        if (closing === 0) field = `${QUOTE}${field}${QUOTE}`;
        continue;
      }
      const recordEnd = this.recordDelimiterAt(text, index, final);
      if (recordEnd === -1) return -1;
      if (recordEnd > 0) {
        this.line += lines + 1;
        if (fields.length > 0 || field !== '' || wasQuoting) {
          fields.push(field);
          into.push(fields);
        }
        return index + recordEnd;
      }
      if (char === delimiter) {
        fields.push(field);
        field = '';
        wasQuoting = false;
      } else if (char === QUOTE && field === '') {
        quoting = true;
      } else {
        field += char;
      }
      index++;
    }
    if (!final) return -1;
    if (quoting) throw new CsvFormatError('A quoted value is never closed', this.line);
    if (fields.length > 0 || field !== '' || wasQuoting) {
      fields.push(field);
      into.push(fields);
    }
    this.line += lines;
    return text.length;
  }
}

/** Line breaks in a piece of a quoted value (\r\n, \n or a lone \r each count once). */
function countLines(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (char === 10 || (char === 13 && text.charCodeAt(index + 1) !== 10)) count++;
  }
  return count;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * The records of a file, a batch per chunk read. The bytes are decoded as a whole stream, so a
 * character cut between two chunks is read whole.
 */
export async function* readCsvRecords(
  chunks: AsyncIterable<Buffer>,
  options: CsvReaderOptions & { encoding: 'utf8' | 'latin1' },
): AsyncGenerator<string[][]> {
  const decoder = new StringDecoder(options.encoding);
  const reader = new CsvRecordReader(options);
  let head: Buffer | null = Buffer.alloc(0);
  for await (const chunk of chunks) {
    let bytes = chunk;
    if (head !== null) {
      // The BOM is bytes, skipped before decoding (as csv-parse does), whatever the encoding.
      head = Buffer.concat([head, chunk]);
      if (head.length < UTF8_BOM.length) continue;
      bytes = UTF8_BOM.every((byte, index) => head![index] === byte) ? head.subarray(UTF8_BOM.length) : head;
      head = null;
    }
    const records: string[][] = [];
    reader.push(decoder.write(bytes), records);
    if (records.length > 0) yield records;
  }
  const records: string[][] = [];
  if (head !== null && head.length > 0) reader.push(decoder.write(head), records);
  reader.push(decoder.end(), records);
  reader.end(records);
  if (records.length > 0) yield records;
}

/** The first records of a text (a sample of the file); an error after them is not looked for. */
export function readCsvSample(text: string, options: CsvReaderOptions, maxRecords: number): string[][] {
  const reader = new CsvRecordReader(options);
  const records: string[][] = [];
  try {
    reader.push(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, records);
    reader.end(records);
  } catch (error) {
    if (records.length < maxRecords) throw error;
  }
  return records.slice(0, maxRecords);
}
