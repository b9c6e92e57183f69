/**
 * CSV import of contacts (a million rows is a normal import).
 *
 * `startContactImport` checks what can be checked at once (encoding, CSV shape, header, column
 * mapping, the account's five dynamic fields), stores the file and queues the job, so a bad file
 * is refused before anything is written. `runContactImport` (the job) streams the file, normalises
 * each row, drops numbers already seen in the file, and writes batches: each batch is COPYed into
 * a temporary staging table and merged with one set-based statement (numbers absent from the
 * account inserted, present ones updated only when a value changes, list memberships and tags
 * inserted), refused rows recorded, all in one transaction that also advances `committed_rows`.
 * A batch is all or nothing; a re-run after a
 * crash skips the committed rows and only rebuilds its in-memory set of numbers seen.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
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
import { normaliseImportRow, resolveMapping, type ContactRow, type ImportColumnChoice, type ImportMapping, type RowRefusal } from './import-rows.js';

/**
 * Rows per batch (one transaction). 50,000: per-batch costs (round trips, ANALYZE of the staging
 * table, commit) become negligible while a batch stays a few MB in memory.
 */
export const IMPORT_BATCH_ROWS = 50_000;
/** The parser lets pending database replies through this often (see runContactImport). */
const YIELD_EVERY_ROWS = 256;
const SAMPLE_BYTES = 256 * 1024;
const SAMPLE_ROWS = 100;
const MAX_RECORD_BYTES = 64 * 1024;
/** Refused values are kept whole up to this length in the error report. */
const MAX_REPORTED_VALUE = 500;

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
  let head = content.subarray(0, SAMPLE_BYTES);
  if (head.length < content.length) {
    // Cut at the last line feed: it never falls inside a UTF-8 sequence.
    const lastNewline = head.lastIndexOf(0x0a);
    if (lastNewline > 0) head = head.subarray(0, lastNewline + 1);
  }
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString(nodeEncoding).replace(/^\uFEFF/, '');
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = detectDelimiter(firstLine);
  try {
    const records = parseSync(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_BYTES,
      to: SAMPLE_ROWS + 1,
    }) as string[][];
    return { delimiter, records };
  } catch (error) {
    throw fileProblem(`This is not a readable CSV file: ${(error as Error).message}`);
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

interface Batch {
  /** Last data row of the batch (1-based). */
  endRow: number;
  rows: ContactRow[];
  refused: ({ row: number } & RowRefusal)[];
  duplicates: number;
}

export interface RunImportOptions {
  batchRows?: number;
  /** Called after each batch commits (tests use it to simulate a crash). */
  afterBatchCommitted?: (batchNumber: number) => void;
  /** Filled with the time spent in each phase (the benchmark prints it). */
  profile?: ImportProfile;
}

/** Milliseconds per phase of an import; parsing overlaps the database phases. */
export interface ImportProfile {
  parseMs: number;
  copyMs: number;
  mergeMs: number;
  errorsAndCommitMs: number;
}

export type RunImportResult = 'COMPLETED' | 'ALREADY_DONE' | 'ALREADY_RUNNING' | 'FAILED';

const STAGING = `CREATE TEMP TABLE IF NOT EXISTS contact_import_staging (
  number text NOT NULL, calling_code text NOT NULL, first_name text, last_name text,
  field_1 text, field_2 text, field_3 text, field_4 text, field_5 text, tags text
) ON COMMIT DELETE ROWS`;

function copyValue(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\t\n\r]/g, (char) => (char === '\\' ? '\\\\' : char === '\t' ? '\\t' : char === '\n' ? '\\n' : '\\r'));
}

function copyLines(rows: readonly ContactRow[]): string {
  let text = '';
  for (const row of rows) {
    text += `${copyValue(row.number)}\t${row.callingCode}\t${copyValue(row.firstName)}\t${copyValue(row.lastName)}\t`;
    text += `${row.fields.map(copyValue).join('\t')}\t${copyValue(row.tags)}\n`;
  }
  return text;
}

/**
 * One set-based statement per batch, chosen from the profile of a million-row import: the old
 * `INSERT ... ON CONFLICT DO UPDATE` locked (and so rewrote) every existing row even when nothing
 * changed, and the list and tag inserts looked every number up again. Here the batch is joined
 * once with the account's contacts (unique index on account + number); absent numbers are
 * inserted, present ones updated only when a value changes (the comparison is made in the join,
 * so unchanged rows are not even revisited; the UPDATE checks again against the row it locks),
 * and the ids found or returned feed the list memberships and tags in the same statement.
 */
const MERGE_BATCH = `WITH batch AS MATERIALIZED (
    SELECT s.*, c.id AS contact_id,
           (c.first_name, c.last_name, c.field_1, c.field_2, c.field_3, c.field_4, c.field_5) IS DISTINCT FROM
           (COALESCE(s.first_name, c.first_name), COALESCE(s.last_name, c.last_name), COALESCE(s.field_1, c.field_1),
            COALESCE(s.field_2, c.field_2), COALESCE(s.field_3, c.field_3), COALESCE(s.field_4, c.field_4), COALESCE(s.field_5, c.field_5)) AS differs
      FROM contact_import_staging s
      LEFT JOIN contact c ON c.account_id = $1::uuid AND c.number = s.number
  ),
  inserted AS (
    INSERT INTO contact (account_id, number, calling_code, first_name, last_name, field_1, field_2, field_3, field_4, field_5)
    SELECT $1::uuid, number, calling_code, first_name, last_name, field_1, field_2, field_3, field_4, field_5 FROM batch WHERE contact_id IS NULL
    RETURNING id, number
  ),
  changed AS (
    UPDATE contact AS c SET
      first_name = COALESCE(b.first_name, c.first_name), last_name = COALESCE(b.last_name, c.last_name),
      field_1 = COALESCE(b.field_1, c.field_1), field_2 = COALESCE(b.field_2, c.field_2), field_3 = COALESCE(b.field_3, c.field_3),
      field_4 = COALESCE(b.field_4, c.field_4), field_5 = COALESCE(b.field_5, c.field_5), updated_at = now()
      FROM batch b
     WHERE b.differs AND c.id = b.contact_id
       AND (c.first_name, c.last_name, c.field_1, c.field_2, c.field_3, c.field_4, c.field_5) IS DISTINCT FROM
           (COALESCE(b.first_name, c.first_name), COALESCE(b.last_name, c.last_name), COALESCE(b.field_1, c.field_1),
            COALESCE(b.field_2, c.field_2), COALESCE(b.field_3, c.field_3), COALESCE(b.field_4, c.field_4), COALESCE(b.field_5, c.field_5))
    RETURNING c.id
  ),
  resolved AS MATERIALIZED (
    SELECT contact_id AS id, tags FROM batch WHERE contact_id IS NOT NULL
    UNION ALL
    SELECT i.id, b.tags FROM inserted i JOIN batch b ON b.number = i.number
  ),
  members AS (
    INSERT INTO contact_list_member (list_id, contact_id)
    SELECT $2::uuid, id FROM resolved WHERE $2::uuid IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING 1
  ),
  tagged AS (
    INSERT INTO contact_tag (contact_id, account_id, tag)
    SELECT r.id, $1::uuid, tag FROM resolved r, unnest(string_to_array(r.tags, '|')) AS tag WHERE r.tags IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM inserted)::int AS created, (SELECT count(*) FROM changed)::int AS updated,
         (SELECT count(*) FROM members)::int AS added, (SELECT count(*) FROM tagged)::int AS tagged`;

/** A contact created or deleted by someone else between the batch's lookup and its writes. */
function isConcurrentContactChange(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === '23503';
}

const MAX_BATCH_ATTEMPTS = 3;

function addTime(profile: ImportProfile | undefined, phase: keyof ImportProfile, since: number): void {
  if (profile) profile[phase] += performance.now() - since;
}

/** Writes the batch in one transaction; a concurrent change of the same contacts retries it. */
async function writeBatch(client: pg.PoolClient, job: ContactImport, batch: Batch, profile?: ImportProfile): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeBatchOnce(client, job, batch, profile);
    } catch (error) {
      if (attempt >= MAX_BATCH_ATTEMPTS || !isConcurrentContactChange(error)) throw error;
    }
  }
}

async function writeBatchOnce(client: pg.PoolClient, job: ContactImport, batch: Batch, profile?: ImportProfile): Promise<boolean> {
  await client.query('BEGIN');
  try {
    const current = await client.query<{ committed_rows: number }>('SELECT committed_rows FROM contact_import WHERE id = $1 FOR UPDATE', [job.id]);
    if ((current.rows[0]?.committed_rows ?? 0) >= batch.endRow) {
      await client.query('ROLLBACK');
      return false;
    }
    let created = 0;
    let updated = 0;
    let added = 0;
    if (batch.rows.length > 0) {
      // The merge sorts and hashes a whole batch: in memory rather than in temporary files.
      await client.query("SET LOCAL work_mem = '64MB'");
      let started = performance.now();
      await pipeline(Readable.from([copyLines(batch.rows)]), client.query(copyFrom('COPY contact_import_staging FROM STDIN')));
      await client.query('ANALYZE contact_import_staging');
      addTime(profile, 'copyMs', started);
      started = performance.now();
      const merged = await client.query<{ created: number; updated: number; added: number }>(MERGE_BATCH, [job.accountId, job.listId]);
      addTime(profile, 'mergeMs', started);
      created = merged.rows[0]?.created ?? 0;
      updated = merged.rows[0]?.updated ?? 0;
      added = merged.rows[0]?.added ?? 0;
    }
    const started = performance.now();
    if (batch.refused.length > 0) {
      await client.query(
        `INSERT INTO contact_import_error (import_id, row, value, reason, message)
         SELECT $1::uuid, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING`,
        [
          job.id,
          batch.refused.map((refusal) => refusal.row),
          batch.refused.map((refusal) => refusal.value.slice(0, MAX_REPORTED_VALUE)),
          batch.refused.map((refusal) => refusal.reason),
          batch.refused.map((refusal) => refusal.message.slice(0, 1000)),
        ],
      );
    }
    await client.query(
      `UPDATE contact_import SET committed_rows = $2, committed_batches = committed_batches + 1, created = created + $3,
              updated = updated + $4, added_to_list = added_to_list + $5, duplicates_in_file = duplicates_in_file + $6,
              error_rows = error_rows + $7
        WHERE id = $1`,
      [job.id, batch.endRow, created, updated, added, batch.duplicates, batch.refused.length],
    );
    await client.query('COMMIT');
    addTime(profile, 'errorsAndCommitMs', started);
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function isCsvError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && String((error as Error & { code?: unknown }).code ?? '').startsWith('CSV_');
}

/** The job: safe to run twice, and at the same time (the second run waits for nothing and leaves). */
export async function runContactImport(importId: string, options: RunImportOptions = {}): Promise<RunImportResult> {
  const batchRows = options.batchRows ?? IMPORT_BATCH_ROWS;
  const client = await pool.connect();
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
      await finish(job, 'FAILED', null, 'The target list was deleted during the import.');
      return 'FAILED';
    }
    await prisma.contactImport.update({ where: { id: importId }, data: { status: 'RUNNING', startedAt: job.startedAt ?? new Date(), failure: null } });
    await client.query(STAGING);

    const context = { mapping, fieldPositions: mapping.fieldPositions, listCallingCode: list?.defaultCallingCode ?? null };
    const seen = new Set<string>();
    const committedRows = job.committedRows;
    let batchNumber = job.committedBatches;
    let batch: Batch = { endRow: 0, rows: [], refused: [], duplicates: 0 };
    let batchSize = 0;
    let inFlight: Promise<unknown> = Promise.resolve();
    let rowNumber = -1; // the header is row 0
    const flush = async () => {
      const ready = batch;
      batch = { endRow: rowNumber, rows: [], refused: [], duplicates: 0 };
      batchSize = 0;
      await inFlight;
      // Parsing goes on while PostgreSQL merges this batch; an error surfaces at the next await.
      inFlight = writeBatch(client, job, ready, options.profile).then((written) => {
        if (!written) return;
        batchNumber++;
        publishEvent('contactImportProgress', job.accountId, { accountId: job.accountId, importId });
        options.afterBatchCommitted?.(batchNumber);
      });
      inFlight.catch(() => undefined);
    };

    const parser = importFiles.open(importId).pipe(
      parse({
        delimiter: job.delimiter,
        bom: true,
        encoding: mapping.nodeEncoding,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        max_record_size: MAX_RECORD_BYTES,
      }),
    );
    try {
      let parseStarted = performance.now();
      for await (const record of parser as AsyncIterable<string[]>) {
        rowNumber++;
        if (rowNumber === 0) continue;
        if (rowNumber % YIELD_EVERY_ROWS === 0) {
          // The parser hands over whole file chunks (thousands of rows) without returning to the
          // event loop: without this pause the replies of the batch being merged would wait for
          // the chunk, and PostgreSQL would sit idle while the rows are parsed (profile: a third
          // of the import time spent waiting this way).
          addTime(options.profile, 'parseMs', parseStarted);
          await new Promise((resolve) => setImmediate(resolve));
          parseStarted = performance.now();
        }
        const result = normaliseImportRow(record, context);
        const replay = rowNumber <= committedRows;
        if (result.ok) {
          if (seen.has(result.row.number)) {
            if (!replay) batch.duplicates++;
          } else {
            seen.add(result.row.number);
            if (!replay) batch.rows.push(result.row);
          }
        } else if (!replay) {
          batch.refused.push({ row: rowNumber, reason: result.reason, value: result.value, message: result.message });
        }
        if (replay) continue;
        batch.endRow = rowNumber;
        if (++batchSize >= batchRows) {
          addTime(options.profile, 'parseMs', parseStarted);
          await flush();
          parseStarted = performance.now();
        }
      }
      addTime(options.profile, 'parseMs', parseStarted);
      if (batchSize > 0) await flush();
      await inFlight;
    } catch (error) {
      await inFlight.catch(() => undefined);
      if (!isCsvError(error)) throw error;
      const line = (error as { lines?: number }).lines;
      await finish(job, 'FAILED', null, `The file stops being valid CSV${line ? ` at line ${line}` : ''}: ${error.message}. Rows before it were imported; fix the file and import the rest.`);
      return 'FAILED';
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
