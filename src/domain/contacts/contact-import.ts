/**
 * CSV import of contacts (a million rows is a normal import).
 *
 * `startContactImport` checks what can be checked at once (encoding, CSV shape, header, column
 * mapping, the account's five dynamic fields), stores the file and queues the job, so a bad file
 * is refused before anything is written. `runContactImport` (the job) streams the file, reads
 * and normalises each row, drops numbers already seen in the file, and hands batches to two
 * writers (import-batches.ts): one transaction per batch, all or nothing, that also advances
 * `committed_rows`; batches commit in file order. Parsing the next batch overlaps the writing of
 * the two before. A re-run after a crash skips the committed rows, only rebuilding its set of
 * numbers seen.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { stringify } from 'csv-stringify/sync';
import type pg from 'pg';
import { config } from '../../config.js';
import { pool, prisma } from '../../db/client.js';
import type { ContactImport } from '../../generated/prisma/client.js';
import { publishEvent } from '../../events/bus.js';
import { importFiles } from '../../gateways/import-files.js';
import { enqueue } from '../../jobs/boss.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { lockAccount } from '../plans.js';
import { ensureContactFields, loadContactFields } from './contact-fields.js';
import { detectDelimiter, detectEncoding, spreadsheetSafe, type CsvEncoding } from './csv.js';
import { ImportBatchWriter, ImportListDeletedError, maySkipForeignKeyChecks, packRow, type ImportBatch, type ImportProfile } from './import-batches.js';
import { CsvFormatError, readCsvRecords, readCsvSample } from './import-csv.js';
import { ContactIdGenerator } from './import-ids.js';
import { normaliseImportRow, resolveMapping, type ImportColumnChoice, type ImportMapping } from './import-rows.js';

export type { ImportProfile } from './import-batches.js';

/**
 * Rows per batch (one transaction). 50,000: per-batch costs (round trips, commit) become
 * negligible while a batch stays a few MB in memory.
 */
export const IMPORT_BATCH_ROWS = 50_000;
/**
 * Batches written at once, each on its own connection: the database work of a batch is most of
 * an import's time and a single backend uses one core.
 */
export const IMPORT_WRITERS = 2;
/** The parser lets pending database replies through this often (see runContactImport). */
const YIELD_EVERY_ROWS = 2048;
const SAMPLE_BYTES = 256 * 1024;
const SAMPLE_ROWS = 100;
const MAX_RECORD_CHARS = 64 * 1024;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** What the job needs besides the mapping: stored as the import's `mapping` JSON. */
export interface StoredMapping extends ImportMapping {
  fieldPositions: number[];
  nodeEncoding: 'utf8' | 'latin1';
}

export interface StartImportInput {
  fileName: string;
  content: Uint8Array;
  listId?: string | null;
  columns?: readonly ImportColumnChoice[] | null;
}

function fileProblem(message: string): ValidationError {
  return ValidationError.single('file', message);
}

/** The first records of the file, decoded, to check its shape before accepting it. */
function sampleRecords(content: Uint8Array, nodeEncoding: 'utf8' | 'latin1'): { delimiter: string; records: string[][] } {
  let head = Buffer.from(content.buffer, content.byteOffset, Math.min(content.byteLength, SAMPLE_BYTES));
  if (head.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)) head = head.subarray(UTF8_BOM.length);
  if (head.length < content.length) {
    // Cut at the last line feed: it never falls inside a UTF-8 sequence.
    const lastNewline = head.lastIndexOf(0x0a);
    if (lastNewline > 0) head = head.subarray(0, lastNewline + 1);
  }
  const text = head.toString(nodeEncoding);
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = detectDelimiter(firstLine);
  try {
    return { delimiter, records: readCsvSample(text, { delimiter, maxRecordLength: MAX_RECORD_CHARS }, SAMPLE_ROWS + 1) };
  } catch (error) {
    if (!(error instanceof CsvFormatError)) throw error;
    throw fileProblem(`This is not a readable CSV file: ${error.message} at line ${error.line}.`);
  }
}

export async function startContactImport(actor: Actor, input: StartImportInput): Promise<ContactImport> {
  requirePermission(actor, 'contacts:write');
  const accountId = actor.accountId;
  const fileName = input.fileName.slice(0, 255) || 'contacts.csv';
  const detected = detectEncoding(input.content);
  if (!detected.ok) throw fileProblem(detected.message);
  const { delimiter, records } = sampleRecords(input.content, detected.nodeEncoding);
  const header = records[0]?.map((name) => name.trim()) ?? [];
  if (header.length === 0 || header.every((name) => name === '')) throw fileProblem('The file has no header line.');
  if (records.length < 2) throw fileProblem('The file has a header line but no data rows.');

  const list = input.listId ? await prisma.contactList.findFirst({ where: { id: input.listId, accountId } }) : null;
  if (input.listId && !list) throw new NotFoundError('Contact list');
  const { mapping, problems } = resolveMapping(header, input.columns, await loadContactFields(prisma, accountId));
  if (!mapping) throw new ValidationError(problems.map((message) => ({ field: 'columns', message })));

  // A number column full of something else (a mapping mistake, a file of another kind).
  const samples = records.slice(1).map((record) => record[mapping.number] ?? '');
  const listCallingCode = list?.defaultCallingCode ?? null;
  const anyNumber = samples.some((value) => normaliseImportRow([value], { mapping: { ...mapping, number: 0, firstName: null, lastName: null, tags: null, fields: [] }, fieldPositions: [], listCallingCode }).ok);
  if (!anyNumber) {
    const example = samples.find((value) => value.trim() !== '') ?? '';
    throw ValidationError.single(
      'columns',
      `The column "${header[mapping.number]}" holds no valid phone number in its first ${samples.length} rows (e.g. "${example.slice(0, 40)}")${listCallingCode ? '' : '; national numbers need a list with a default prefix'}.`,
    );
  }

  const created = await prisma.$transaction(async (tx) => {
    await lockAccount(tx, accountId);
    // Fields the mapping names and the account lacks are created now; a sixth is refused here.
    const definitions = await ensureContactFields(tx, accountId, mapping.fields.map((field) => field.name), 'columns');
    const fieldPositions = mapping.fields.map((field) => definitions.find((d) => d.name.toLowerCase() === field.name.toLowerCase())!.position);
    const stored: StoredMapping = { ...mapping, fieldPositions, nodeEncoding: detected.nodeEncoding };
    return tx.contactImport.create({
      data: {
        accountId,
        listId: list?.id ?? null,
        createdById: actor.userId,
        fileName,
        fileBytes: BigInt(input.content.byteLength),
        encoding: detected.encoding satisfies CsvEncoding,
        delimiter,
        mapping: stored as unknown as object,
      },
    });
  });
  try {
    await importFiles.save(created.id, input.content);
    await enqueue('import-contacts', { importId: created.id });
  } catch (error) {
    await prisma.contactImport.update({ where: { id: created.id }, data: { status: 'FAILED', failure: 'The file could not be stored; upload it again.' } });
    throw error;
  }
  return created;
}

export interface RunImportOptions {
  batchRows?: number;
  /** Called after each batch commits (tests use it to simulate a crash). */
  afterBatchCommitted?: (batchNumber: number) => void;
  /** Filled with the time spent in each phase (the benchmark prints it). */
  profile?: ImportProfile;
  /** Keep every foreign-key check even where the role may skip them (tests compare both ways). */
  keepForeignKeyChecks?: boolean;
  /** Batches written at once; default IMPORT_WRITERS. */
  writers?: number;
}

export type RunImportResult = 'COMPLETED' | 'ALREADY_DONE' | 'ALREADY_RUNNING' | 'FAILED';

function addTime(profile: ImportProfile | undefined, since: number): number {
  const now = performance.now();
  if (profile) profile.parseMs += now - since;
  return now;
}

/** The job: safe to run twice, and at the same time (the second run waits for nothing and leaves). */
export async function runContactImport(importId: string, options: RunImportOptions = {}): Promise<RunImportResult> {
  const batchRows = options.batchRows ?? IMPORT_BATCH_ROWS;
  const client = await pool.connect();
  const moreClients: pg.PoolClient[] = [];
  let locked = false;
  try {
    const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 7)) AS locked', [importId]);
    locked = lock.rows[0]?.locked === true;
    if (!locked) return 'ALREADY_RUNNING';
    const job = await prisma.contactImport.findUnique({ where: { id: importId } });
    if (!job || job.status === 'COMPLETED') return 'ALREADY_DONE';
    const mapping = job.mapping as unknown as StoredMapping;
    const list = job.listId ? await prisma.contactList.findUnique({ where: { id: job.listId } }) : null;
    if (job.listId && !list) {
      await finish(job, 'FAILED', null, new ImportListDeletedError().message);
      return 'FAILED';
    }
    await prisma.contactImport.update({ where: { id: importId }, data: { status: 'RUNNING', startedAt: job.startedAt ?? new Date(), failure: null } });

    const target = { importId, accountId: job.accountId, listId: job.listId };
    const writerOptions = { ids: new ContactIdGenerator(), skipForeignKeyChecks: !options.keepForeignKeyChecks && (await maySkipForeignKeyChecks(client)), profile: options.profile };
    const writers = [await ImportBatchWriter.open(client, target, writerOptions)];
    // Each writer holds a connection of the pool for the whole import; Prisma needs one more.
    const writerCount = Math.max(1, Math.min(options.writers ?? IMPORT_WRITERS, config.databasePoolSize - 2));
    while (writers.length < writerCount) {
      const more = await pool.connect();
      moreClients.push(more);
      writers.push(await ImportBatchWriter.open(more, target, writerOptions));
    }

    const context = { mapping, fieldPositions: mapping.fieldPositions, listCallingCode: list?.defaultCallingCode ?? null };
    const seen = new Set<string>();
    const committedRows = job.committedRows;
    let batchNumber = job.committedBatches;
    let rowNumber = -1; // the header is row 0
    const emptyBatch = (startRow: number): ImportBatch => ({ startRow, endRow: startRow, rows: [], tags: [], refused: [], duplicates: 0, checkStatistics: false });
    let batch = emptyBatch(committedRows);
    let batchSize = 0;
    // Batch N is written by writer N % writers.length once that writer is free, and commits
    // after batch N - 1 (`lastWritten`); the first failure stops the reading.
    let lastWritten: Promise<unknown> = Promise.resolve();
    const writerFree: Promise<unknown>[] = writers.map(() => Promise.resolve());
    let dispatched = 0;
    let failed = false;
    const dispatch = async () => {
      const ready = batch;
      batch = emptyBatch(ready.endRow);
      batchSize = 0;
      // While the account may still double from batch to batch (see ensureContactStatistics).
      ready.checkStatistics = dispatched === 0 || (dispatched >= 2 && (dispatched & (dispatched - 1)) === 0);
      const slot = dispatched++ % writers.length;
      await writerFree[slot];
      if (failed) return;
      const written = writers[slot]!.write(ready, lastWritten).then((counts) => {
        if (!counts) return;
        batchNumber++;
        publishEvent('contactImportProgress', job.accountId, { accountId: job.accountId, importId });
        options.afterBatchCommitted?.(batchNumber);
      });
      written.catch(() => {
        failed = true;
      });
      lastWritten = written;
      writerFree[slot] = written.catch(() => undefined);
    };

    const records = readCsvRecords(importFiles.open(importId), { delimiter: job.delimiter, encoding: mapping.nodeEncoding, maxRecordLength: MAX_RECORD_CHARS });
    try {
      let parseStarted = performance.now();
      reading: for await (const chunk of records) {
        for (const record of chunk) {
          rowNumber++;
          if (rowNumber === 0) continue;
          const replay = rowNumber <= committedRows;
          const result = normaliseImportRow(record, context);
          if (result.ok) {
            const number = result.row.number;
            if (seen.has(number)) {
              if (!replay) batch.duplicates++;
            } else {
              seen.add(number);
              if (!replay) {
                batch.rows.push(packRow(result.row));
                batch.tags.push(result.row.tags);
              }
            }
          } else if (!replay) {
            batch.refused.push({ row: rowNumber, reason: result.reason, value: result.value, message: result.message });
          }
          if (replay) continue;
          batch.endRow = rowNumber;
          if (++batchSize >= batchRows) {
            parseStarted = addTime(options.profile, parseStarted);
            await dispatch();
            if (failed) break reading;
            parseStarted = performance.now();
          } else if (rowNumber % YIELD_EVERY_ROWS === 0) {
            // A chunk of the file holds thousands of rows, parsed without returning to the event
            // loop: without this pause the replies of the batches being written would wait for
            // the whole chunk, and the database would sit idle meanwhile.
            addTime(options.profile, parseStarted);
            await nextTurn();
            parseStarted = performance.now();
          }
        }
      }
      addTime(options.profile, parseStarted);
      if (!failed && batchSize > 0) await dispatch();
      await lastWritten;
    } catch (error) {
      if (error instanceof CsvFormatError && !failed) {
        // The rows before the fault are imported, as the message says.
        if (batchSize > 0) await dispatch();
        await lastWritten;
      }
      await Promise.all(writerFree);
      if (error instanceof CsvFormatError) {
        await finish(job, 'FAILED', null, `The file stops being valid CSV at line ${error.line}: ${error.message}. Rows before it were imported; fix the file and import the rest.`);
        return 'FAILED';
      }
      if (error instanceof ImportListDeletedError) {
        await finish(job, 'FAILED', null, error.message);
        return 'FAILED';
      }
      throw error;
    }
    await finish(job, 'COMPLETED', Math.max(rowNumber, 0), null);
    await importFiles.remove(importId);
    return 'COMPLETED';
  } catch (error) {
    // Recorded for the customer; the job is retried and resumes after the committed rows.
    await prisma.contactImport
      .update({ where: { id: importId }, data: { status: 'FAILED', failure: 'The import stopped unexpectedly; it resumes automatically.' } })
      .catch(() => undefined);
    throw error;
  } finally {
    for (const more of moreClients) more.release();
    if (locked) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 7))', [importId]).catch(() => undefined);
    client.release();
  }
}

async function finish(job: ContactImport, status: 'COMPLETED' | 'FAILED', totalRows: number | null, failure: string | null): Promise<void> {
  await prisma.contactImport.update({ where: { id: job.id }, data: { status, totalRows, failure, finishedAt: new Date() } });
  publishEvent('contactImportProgress', job.accountId, { accountId: job.accountId, importId: job.id });
}

/** The refused rows as CSV (row, value, reason, message), safe to open in a spreadsheet. */
export async function importErrorReport(accountId: string, importId: string): Promise<string> {
  const job = await prisma.contactImport.findFirst({ where: { id: importId, accountId }, select: { id: true } });
  if (!job) throw new NotFoundError('Contact import');
  const errors = await prisma.contactImportError.findMany({ where: { importId }, orderBy: { row: 'asc' } });
  return stringify(
    errors.map((error) => [String(error.row), spreadsheetSafe(error.value), error.reason, spreadsheetSafe(error.message)]),
    { header: true, columns: ['row', 'value', 'reason', 'message'] },
  );
}
