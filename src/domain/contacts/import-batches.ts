/**
 * One batch of a contact import written in one transaction: all of it or nothing, and the
 * import's `committed_rows` moved to the batch's last row in the same transaction, after the
 * batch before it has committed (two batches are written at once, on two connections, but they
 * commit in file order, so a re-run resumes after a whole prefix of the file).
 *
 * In the transaction:
 * 1. the account and the list are locked FOR KEY SHARE (the lock a foreign-key check takes);
 * 2. lookup: the batch's numbers that the account already has, in one index scan (an array of
 *    numbers, not a join: whatever the planner believes about the account's size, the scan
 *    reads the account at most once, where a mistaken join would read it once per row);
 * 3. the contacts already there that get a new list membership or tags are locked FOR KEY SHARE;
 *    one found deleted meanwhile fails the attempt, as the foreign-key check would, and the
 *    batch is retried;
 * 4. the new contacts, their memberships and tags are COPYed straight into their tables;
 * 5. the known ones are COPYed into a temporary table, and one statement updates them where a
 *    value changes and adds their memberships and tags.
 *
 * The foreign-key checks of steps 4 and 5 were more than half of a fresh import's time (three
 * per new contact, each a row lock through SPI) and every one of them is already satisfied: by
 * the locks of steps 1 and 3, or because the row pointed at is written by step 4 itself. So,
 * when the database role may, steps 4 and 5 run with `session_replication_role = replica`
 * (triggers, hence these checks, off for those statements only), unless these tables have other
 * triggers (see maySkipForeignKeyChecks).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { mayBypassForeignKeyChecks } from '../../db/replication-role.js';
import type { ContactIdGenerator } from './import-ids.js';
import type { ContactRow, RowRefusal } from './import-rows.js';

/** Refused values are kept whole up to this length in the error report. */
const MAX_REPORTED_VALUE = 500;
const MAX_REPORTED_MESSAGE = 1000;
const MAX_BATCH_ATTEMPTS = 3;

export interface ImportBatch {
  /** Last data row of the batch before this one (1-based; 0 for the first). */
  startRow: number;
  /** Last data row of this batch. */
  endRow: number;
  /** Valid rows, each number once in the whole file, packed (see packRow). */
  rows: string[];
  /** Tags of each row (`|`-separated), same order. */
  tags: (string | null)[];
  refused: ({ row: number } & RowRefusal)[];
  duplicates: number;
  /** Check the planner's statistics first (see ensureContactStatistics). */
  checkStatistics: boolean;
}

export interface ImportTarget {
  importId: string;
  accountId: string;
  listId: string | null;
}

/** Milliseconds per phase, summed over both writers (so more than the wall-clock time). */
export interface ImportProfile {
  parseMs: number;
  lookupMs: number;
  copyMs: number;
  mergeMs: number;
  /** Waiting for the batch before to commit. */
  orderMs: number;
  errorsAndCommitMs: number;
}

/** The list was deleted while the import ran. */
export class ImportListDeletedError extends Error {
  constructor() {
    super('The target list was deleted during the import.');
    this.name = 'ImportListDeletedError';
  }
}

/** What a foreign-key check would have refused: a contact deleted while the batch referenced it. */
class ContactDeletedMeanwhileError extends Error {
  constructor(missing: number) {
    super(`${missing} contact(s) deleted while the import referenced them`);
    this.name = 'ContactDeletedMeanwhileError';
  }
}

const STAGING = `CREATE TEMP TABLE IF NOT EXISTS contact_import_known (
  contact_id uuid NOT NULL, first_name text, last_name text, field_1 text, field_2 text, field_3 text, field_4 text, field_5 text,
  tags text, join_list boolean NOT NULL
) ON COMMIT DELETE ROWS`;

const COPY_KNOWN = 'COPY contact_import_known (contact_id, first_name, last_name, field_1, field_2, field_3, field_4, field_5, tags, join_list) FROM STDIN';
const COPY_CONTACTS = 'COPY contact (id, account_id, number, calling_code, first_name, last_name, field_1, field_2, field_3, field_4, field_5) FROM STDIN';
const COPY_MEMBERS = 'COPY contact_list_member (list_id, contact_id) FROM STDIN';
const COPY_TAGS = 'COPY contact_tag (contact_id, account_id, tag) FROM STDIN';

const SPECIAL = /[\\\t\n\r]/;
function copyValue(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (char) => (char === '\\' ? '\\\\' : char === '\t' ? '\\t' : char === '\n' ? '\\n' : '\\r'));
}

function copyUnescape(value: string): string | null {
  if (value === '\\N') return null;
  if (!value.includes('\\')) return value;
  return value.replace(/\\(.)/g, (_, char: string) => (char === 't' ? '\t' : char === 'n' ? '\n' : char === 'r' ? '\r' : char));
}

/**
 * A row as a batch keeps it until written: its COPY columns number, calling_code, first_name,
 * last_name, field_1 to field_5 in one flat string. Kept as objects (a row, its fields, a
 * string per value) for the second or two a batch waits, rows cost the garbage collector more
 * than all the parsing.
 */
export function packRow(row: ContactRow): string {
  const fields = row.fields;
  return [
    row.number,
    row.callingCode,
    copyValue(row.firstName),
    copyValue(row.lastName),
    copyValue(fields[0]),
    copyValue(fields[1]),
    copyValue(fields[2]),
    copyValue(fields[3]),
    copyValue(fields[4]),
  ].join('\t');
}

/** Where the values (first_name onwards) start in a packed row. */
function valuesStart(packed: string): number {
  return packed.indexOf('\t', packed.indexOf('\t') + 1) + 1;
}

async function copyInto(client: pg.PoolClient, statement: string, lines: string[]): Promise<void> {
  if (lines.length > 0) await pipeline(Readable.from([lines.join('')]), client.query(copyFrom(statement)));
}

// The batch table is never analysed (its size is known: one batch): its only join (known
// contacts updated) must read it once and reach each contact by primary key.
const PLAN_SETTINGS = 'SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off';

const LOCK_TARGETS = `SELECT EXISTS (SELECT 1 FROM account WHERE id = $1::uuid FOR KEY SHARE) AS account,
  ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM contact_list WHERE id = $2::uuid FOR KEY SHARE)) AS list`;

/**
 * Row: number, id, member of the list, then the stored values (see changesStoredValues). The
 * numbers come joined with commas (E.164 has none): cheaper than an array parameter.
 */
const LOOKUP = `SELECT c.number, c.id,
    $3::uuid IS NOT NULL AND EXISTS (SELECT 1 FROM contact_list_member l WHERE l.list_id = $3::uuid AND l.contact_id = c.id) AS member,
    c.first_name, c.last_name, c.field_1, c.field_2, c.field_3, c.field_4, c.field_5
  FROM contact c WHERE c.account_id = $1::uuid AND c.number = ANY (string_to_array($2, ','))`;
type FoundContact = [number: string, id: string, member: boolean, ...stored: (string | null)[]];

/** Whether the packed values change a stored value (values in the file replace, blanks keep). */
function changesStoredValues(values: string, found: FoundContact): boolean {
  const fileValues = values.split('\t');
  for (let index = 0; index < 7; index++) {
    const value = fileValues[index]!;
    if (value !== '\\N' && copyUnescape(value) !== found[3 + index]) return true;
  }
  return false;
}

const LOCK_KNOWN = 'SELECT count(*)::int AS kept FROM (SELECT 1 FROM contact WHERE id = ANY ($1::uuid[]) FOR KEY SHARE) AS kept';

/**
 * Values present in the file replace the stored ones, blanks keep them; a contact is rewritten
 * only when a value changes (a re-import of the same file writes nothing).
 */
const MERGE_KNOWN = `WITH changed AS (
    UPDATE contact AS c SET
      first_name = COALESCE(k.first_name, c.first_name), last_name = COALESCE(k.last_name, c.last_name),
      field_1 = COALESCE(k.field_1, c.field_1), field_2 = COALESCE(k.field_2, c.field_2), field_3 = COALESCE(k.field_3, c.field_3),
      field_4 = COALESCE(k.field_4, c.field_4), field_5 = COALESCE(k.field_5, c.field_5), updated_at = now()
      FROM contact_import_known k
     WHERE c.id = k.contact_id
       AND (c.first_name, c.last_name, c.field_1, c.field_2, c.field_3, c.field_4, c.field_5) IS DISTINCT FROM
           (COALESCE(k.first_name, c.first_name), COALESCE(k.last_name, c.last_name), COALESCE(k.field_1, c.field_1),
            COALESCE(k.field_2, c.field_2), COALESCE(k.field_3, c.field_3), COALESCE(k.field_4, c.field_4), COALESCE(k.field_5, c.field_5))
    RETURNING 1
  ),
  members AS (
    INSERT INTO contact_list_member (list_id, contact_id)
    SELECT $1::uuid, contact_id FROM contact_import_known WHERE join_list
    ON CONFLICT DO NOTHING
    RETURNING 1
  ),
  tagged AS (
    INSERT INTO contact_tag (contact_id, account_id, tag)
    SELECT k.contact_id, $2::uuid, tag FROM contact_import_known k, unnest(string_to_array(k.tags, '|')) AS tag
     WHERE k.tags IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM changed)::int AS updated, (SELECT count(*) FROM members)::int AS added`;

const INSERT_REFUSED = `INSERT INTO contact_import_error (import_id, row, value, reason, message)
  SELECT $1::uuid, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING`;

const ADVANCE = `UPDATE contact_import SET committed_rows = $3, committed_batches = committed_batches + 1, created = created + $4,
    updated = updated + $5, added_to_list = added_to_list + $6, duplicates_in_file = duplicates_in_file + $7,
    error_rows = error_rows + $8
  WHERE id = $1::uuid AND committed_rows = $2`;

/** From this estimate on, the planner prefers probing the unique index anyway. */
const ESTIMATE_TRUSTED = 10_000;

/**
 * The lookup reads the account's contacts through the unique (account, number) index, one
 * probe per number, when the planner knows the account is large; with statistics from before
 * the import (an empty table, or only other tenants) it believes the account small and reads
 * all of it instead, once per batch. So the import compares a small estimate with a count
 * bounded at ten times that estimate, and refreshes the statistics when they are off by more
 * (SKIP_LOCKED: an autovacuum at work is refreshing them anyway).
 */
export async function ensureContactStatistics(client: pg.PoolClient, accountId: string): Promise<void> {
  const plan = await client.query<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>('EXPLAIN (FORMAT JSON) SELECT 1 FROM contact WHERE account_id = $1::uuid', [accountId]);
  const estimate = plan.rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0;
  if (estimate >= ESTIMATE_TRUSTED) return;
  const bound = Math.max(1000, Math.ceil(estimate) * 10);
  const counted = await client.query<{ contacts: number }>('SELECT count(*)::int AS contacts FROM (SELECT 1 FROM contact WHERE account_id = $1::uuid LIMIT $2) AS sample', [
    accountId,
    bound,
  ]);
  if ((counted.rows[0]?.contacts ?? 0) < bound) return;
  // A role that may not analyse the table imports with the statistics it has.
  await client.query('ANALYZE (SKIP_LOCKED) contact').catch(() => undefined);
}

/** Whether the import may write without the per-row foreign-key checks (see db/replication-role.ts). */
export function maySkipForeignKeyChecks(client: pg.PoolClient): Promise<boolean> {
  return mayBypassForeignKeyChecks(client, ['contact', 'contact_list_member', 'contact_tag']);
}

/** A contact created or deleted by someone else between the batch's lookup and its writes. */
function isConcurrentContactChange(error: unknown): boolean {
  if (error instanceof ContactDeletedMeanwhileError) return true;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === '23503';
}

function addTime(profile: ImportProfile | undefined, phase: keyof ImportProfile, since: number): number {
  const now = performance.now();
  if (profile) profile[phase] += now - since;
  return now;
}

export interface BatchCounts {
  created: number;
  updated: number;
  added: number;
}

/** Writes batches on one connection (its own batch table). */
export class ImportBatchWriter {
  private constructor(
    private readonly client: pg.PoolClient,
    private readonly target: ImportTarget,
    private readonly ids: ContactIdGenerator,
    private readonly skipForeignKeyChecks: boolean,
    private readonly profile: ImportProfile | undefined,
  ) {}

  static async open(
    client: pg.PoolClient,
    target: ImportTarget,
    options: { ids: ContactIdGenerator; skipForeignKeyChecks: boolean; profile?: ImportProfile | undefined },
  ): Promise<ImportBatchWriter> {
    await client.query(STAGING);
    return new ImportBatchWriter(client, target, options.ids, options.skipForeignKeyChecks, options.profile);
  }

  /**
   * Writes the batch, committing once `previous` (the batch before) has; null when these rows
   * were committed already. Rejects, writing nothing, when `previous` rejects. A concurrent
   * change to the same contacts (a unique or foreign key violation) retries the batch.
   */
  async write(batch: ImportBatch, previous: Promise<unknown>): Promise<BatchCounts | null> {
    const previousFailure = previous.then(
      () => null,
      (error: unknown) => ({ error }),
    );
    if (batch.checkStatistics) await ensureContactStatistics(this.client, this.target.accountId);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.writeOnce(batch, previousFailure);
      } catch (error) {
        const fromPrevious = (await previousFailure)?.error === error;
        if (fromPrevious || attempt >= MAX_BATCH_ATTEMPTS || !isConcurrentContactChange(error)) throw error;
      }
    }
  }

  private async writeOnce(batch: ImportBatch, previousFailure: Promise<{ error: unknown } | null>): Promise<BatchCounts | null> {
    const { client, target, profile } = this;
    await client.query('BEGIN');
    try {
      const counts: BatchCounts = batch.rows.length > 0 ? await this.merge(batch) : { created: 0, updated: 0, added: 0 };
      let started = performance.now();
      if (batch.refused.length > 0) {
        await client.query(INSERT_REFUSED, [
          target.importId,
          batch.refused.map((refusal) => refusal.row),
          batch.refused.map((refusal) => refusal.value.slice(0, MAX_REPORTED_VALUE)),
          batch.refused.map((refusal) => refusal.reason),
          batch.refused.map((refusal) => refusal.message.slice(0, MAX_REPORTED_MESSAGE)),
        ]);
      }
      started = addTime(profile, 'errorsAndCommitMs', started);
      const failure = await previousFailure;
      if (failure) throw failure.error;
      started = addTime(profile, 'orderMs', started);
      const advanced = await client.query(ADVANCE, [
        target.importId,
        batch.startRow,
        batch.endRow,
        counts.created,
        counts.updated,
        counts.added,
        batch.duplicates,
        batch.refused.length,
      ]);
      if (advanced.rowCount !== 1) {
        // Not where this batch starts: another run wrote these rows (or the import is gone).
        const current = await client.query<{ committed_rows: number }>('SELECT committed_rows FROM contact_import WHERE id = $1', [target.importId]);
        await client.query('ROLLBACK');
        if ((current.rows[0]?.committed_rows ?? -1) >= batch.endRow) return null;
        throw new Error(`import ${target.importId} is at row ${current.rows[0]?.committed_rows ?? 'unknown'}, batch starts after row ${batch.startRow}`);
      }
      await client.query('COMMIT');
      addTime(profile, 'errorsAndCommitMs', started);
      return counts;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Steps 1 to 5 of the module comment. */
  private async merge(batch: ImportBatch): Promise<BatchCounts> {
    const { client, target, profile } = this;
    const { accountId, listId } = target;
    const { rows } = batch;
    let started = performance.now();
    await client.query(PLAN_SETTINGS);
    const locked = await client.query<{ account: boolean; list: boolean }>(LOCK_TARGETS, [accountId, listId]);
    if (!locked.rows[0]?.list) throw new ImportListDeletedError();
    if (!locked.rows[0]?.account) throw new Error(`account ${accountId} of import ${target.importId} no longer exists`);

    const numbers = rows.map((packed) => packed.slice(0, packed.indexOf('\t'))).join(',');
    const found = await client.query<FoundContact>({ text: LOOKUP, values: [accountId, numbers, listId], rowMode: 'array' });
    const known = new Map<string, FoundContact>();
    for (const contact of found.rows) known.set(contact[0], contact);
    const contacts: string[] = [];
    const members: string[] = [];
    const tags: string[] = [];
    const knownLines: string[] = [];
    const referenced: string[] = [];
    for (let index = 0; index < rows.length; index++) {
      const packed = rows[index]!;
      const rowTags = batch.tags[index] ?? null;
      const contact = known.get(packed.slice(0, packed.indexOf('\t')));
      if (contact === undefined) {
        const id = this.ids.next();
        contacts.push(`${id}\t${accountId}\t${packed}\n`);
        if (listId !== null) members.push(`${listId}\t${id}\n`);
        if (rowTags !== null) for (const tag of rowTags.split('|')) tags.push(`${id}\t${accountId}\t${copyValue(tag)}\n`);
      } else {
        // Only what changes something goes on (a re-import of the same file: nothing).
        const [, id, member] = contact;
        const joinList = listId !== null && !member;
        const values = packed.slice(valuesStart(packed));
        if (joinList || rowTags !== null) referenced.push(id);
        if (joinList || rowTags !== null || changesStoredValues(values, contact)) {
          knownLines.push(`${id}\t${values}\t${copyValue(rowTags)}\t${joinList ? 't' : 'f'}\n`);
        }
      }
    }
    if (referenced.length > 0) {
      const kept = await client.query<{ kept: number }>(LOCK_KNOWN, [referenced]);
      const missing = referenced.length - (kept.rows[0]?.kept ?? 0);
      if (missing > 0) throw new ContactDeletedMeanwhileError(missing);
    }
    started = addTime(profile, 'lookupMs', started);

    if (this.skipForeignKeyChecks) await client.query('SET LOCAL session_replication_role = replica');
    await copyInto(client, COPY_CONTACTS, contacts);
    await copyInto(client, COPY_MEMBERS, members);
    await copyInto(client, COPY_TAGS, tags);
    started = addTime(profile, 'copyMs', started);
    const counts: BatchCounts = { created: contacts.length, updated: 0, added: members.length };
    if (knownLines.length > 0) {
      await copyInto(client, COPY_KNOWN, knownLines);
      const merged = await client.query<{ updated: number; added: number }>(MERGE_KNOWN, [listId, accountId]);
      counts.updated = merged.rows[0]?.updated ?? 0;
      counts.added += merged.rows[0]?.added ?? 0;
    }
    if (this.skipForeignKeyChecks) await client.query('SET LOCAL session_replication_role = origin');
    addTime(profile, 'mergeMs', started);
    return counts;
  }
}
