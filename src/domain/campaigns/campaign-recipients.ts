/**
 * Who a campaign goes to: the contacts of its lists, of its tags and picked one by one, plus
 * pasted numbers, each number once. Read straight from PostgreSQL in large batches (a campaign
 * can have a million recipients), as arrays rather than objects.
 *
 * Two readings of the same selection:
 * - `streamSelectedContacts`, for previews and sends: every selected contact once, in no
 *   particular order, through a cursor (one query, one pass);
 * - `selectedContactsAfter`, for materialisation: the next contacts by number after a resume
 *   point, so that chunks can commit one by one and a crash resumes exactly where it stopped.
 */
import { pool } from '../../db/client.js';
import { parsePhone, type PhoneNumberType } from '../phone.js';
import type { RecipientValues } from './campaign-messages.js';

export interface RecipientSelection {
  accountId: string;
  listIds: readonly string[];
  tags: readonly string[];
  contactIds: readonly string[];
}

/** One contact as read: its number, what personalises the text, and whether it opted out. */
export interface ContactRow {
  number: string;
  firstName: string | null;
  lastName: string | null;
  /** field_1..field_5; empty when the text uses no placeholder. */
  fields: (string | null)[];
  blacklisted: boolean;
}

export interface ReadOptions {
  /** Read names and fields (the text has placeholders). */
  withValues: boolean;
  /** Read whether each number is blacklisted (marketing). */
  withBlacklist: boolean;
}

const FETCH_SIZE = 20_000;

function columns(options: ReadOptions): string {
  const values = options.withValues ? `c.first_name, c.last_name, c.field_1, c.field_2, c.field_3, c.field_4, c.field_5` : `NULL, NULL, NULL, NULL, NULL, NULL, NULL`;
  return `c.number, ${values}, ${options.withBlacklist ? 'b.number IS NOT NULL' : 'false'}`;
}

/**
 * The whole selection is read: whether each number is blacklisted comes from a join (at most one
 * entry per account and number), which the planner hashes or merges whatever the size of the
 * account's blacklist (a subquery stopped being hashed past a few hundred thousand entries, and
 * was then scanned again for every contact).
 */
function blacklistJoin(options: ReadOptions): string {
  return options.withBlacklist ? 'LEFT JOIN blacklist_entry b ON b.account_id = c.account_id AND b.number = c.number' : '';
}

type RawRow = [string, string | null, string | null, string | null, string | null, string | null, string | null, string | null, boolean];

function toContact(row: RawRow, withValues: boolean): ContactRow {
  return {
    number: row[0],
    firstName: row[1],
    lastName: row[2],
    fields: withValues ? [row[3], row[4], row[5], row[6], row[7]] : [],
    blacklisted: row[8],
  };
}

/** Ids of the selected contacts, each once (list members are unique per list, not across lists). */
const SELECTED_IDS = `
  SELECT m.contact_id AS id FROM contact_list_member m WHERE m.list_id = ANY($2::uuid[])
  UNION
  SELECT t.contact_id FROM contact_tag t WHERE t.account_id = $1::uuid AND t.tag = ANY($3::text[])
  UNION
  SELECT unnest($4::uuid[])`;

function selectionValues(selection: RecipientSelection): unknown[] {
  return [selection.accountId, [...selection.listIds], [...selection.tags], [...selection.contactIds]];
}

/**
 * Calls `onBatch` with every selected contact once, batch after batch, from one consistent
 * snapshot. Returns the number of contacts read.
 */
export async function streamSelectedContacts(
  selection: RecipientSelection,
  options: ReadOptions,
  onBatch: (contacts: ContactRow[]) => void,
): Promise<number> {
  if (selection.listIds.length + selection.tags.length + selection.contactIds.length === 0) return 0;
  const client = await pool.connect();
  let read = 0;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // The whole result is wanted: plan for it, not for the first rows.
    await client.query('SET LOCAL cursor_tuple_fraction = 1.0');
    await client.query(
      `DECLARE campaign_recipients NO SCROLL CURSOR FOR
       WITH selected AS (${SELECTED_IDS})
       SELECT ${columns(options)} FROM selected s JOIN contact c ON c.id = s.id ${blacklistJoin(options)} WHERE c.account_id = $1::uuid`,
      selectionValues(selection),
    );
    for (;;) {
      const { rows } = await client.query<RawRow>({ text: `FETCH ${FETCH_SIZE} FROM campaign_recipients`, rowMode: 'array' });
      if (rows.length === 0) break;
      read += rows.length;
      onBatch(rows.map((row) => toContact(row, options.withValues)));
      if (rows.length < FETCH_SIZE) break;
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return read;
}

/**
 * How materialisation reads its chunks. `BY_NUMBER` walks the account's contacts in number
 * order and keeps the selected ones (each selected contact costs an index probe or two; all
 * chunks together read the account's contacts once). `FROM_SELECTION` gathers the selected ids
 * and sorts them (each chunk costs the size of the selection): better when the selection is a
 * small part of a large account.
 */
export type ChunkStrategy = 'BY_NUMBER' | 'FROM_SELECTION';

/** Runs one SQL statement (a Prisma transaction's `$queryRawUnsafe`, or a pg client) and returns its rows. */
export type SqlRunner = <Row>(text: string, values: unknown[]) => Promise<Row[]>;

export async function chooseChunkStrategy(sql: SqlRunner, selection: RecipientSelection, chunkSize: number): Promise<ChunkStrategy> {
  const rows = await sql<{ selected: bigint | number; contacts: bigint | number }>(
    `SELECT (SELECT count(*) FROM contact_list_member WHERE list_id = ANY($2::uuid[]))
          + (SELECT count(*) FROM contact_tag WHERE account_id = $1::uuid AND tag = ANY($3::text[]))
          + cardinality($4::uuid[]) AS selected,
            (SELECT count(*) FROM contact WHERE account_id = $1::uuid) AS contacts`,
    selectionValues(selection),
  );
  const selected = Number(rows[0]?.selected ?? 0);
  const contacts = Number(rows[0]?.contacts ?? 0);
  const chunks = Math.max(1, Math.ceil(selected / chunkSize));
  return selected * chunks < contacts ? 'FROM_SELECTION' : 'BY_NUMBER';
}

interface NamedRow {
  number: string;
  first_name: string | null;
  last_name: string | null;
  field_1: string | null;
  field_2: string | null;
  field_3: string | null;
  field_4: string | null;
  field_5: string | null;
  blacklisted: boolean;
}

/** The next `limit` selected contacts whose number sorts after `after` (null: from the start), in number order. */
export async function selectedContactsAfter(
  sql: SqlRunner,
  selection: RecipientSelection,
  strategy: ChunkStrategy,
  after: string | null,
  limit: number,
  options: ReadOptions,
): Promise<ContactRow[]> {
  if (selection.listIds.length + selection.tags.length + selection.contactIds.length === 0) return [];
  const values = [...selectionValues(selection), after ?? '', limit];
  const named = `c.number, ${options.withValues ? 'c.first_name, c.last_name, c.field_1, c.field_2, c.field_3, c.field_4, c.field_5' : ''}${options.withValues ? ', ' : ''}${
    // An index probe per contact of the chunk (OFFSET 0: see below).
    options.withBlacklist ? 'EXISTS (SELECT 1 FROM blacklist_entry b WHERE b.account_id = c.account_id AND b.number = c.number OFFSET 0)' : 'false'
  } AS blacklisted`;
  const text =
    strategy === 'FROM_SELECTION'
      ? `WITH selected AS (${SELECTED_IDS})
         SELECT ${named} FROM selected s JOIN contact c ON c.id = s.id
          WHERE c.account_id = $1::uuid AND c.number > $5
          ORDER BY c.number LIMIT $6`
      : // OFFSET 0 keeps each EXISTS an index probe per contact read: without it the planner hashed
        // the whole selection (every member of the lists) for each chunk, so a chunk cost the size
        // of the campaign rather than its own (70 ms instead of 29 for 10,000 of 200,000).
        `SELECT ${named} FROM contact c
          WHERE c.account_id = $1::uuid AND c.number > $5
            AND (c.id = ANY($4::uuid[])
                 OR EXISTS (SELECT 1 FROM contact_list_member m WHERE m.contact_id = c.id AND m.list_id = ANY($2::uuid[]) OFFSET 0)
                 OR EXISTS (SELECT 1 FROM contact_tag t WHERE t.contact_id = c.id AND t.tag = ANY($3::text[]) OFFSET 0))
          ORDER BY c.number LIMIT $6`;
  const rows = await sql<NamedRow>(text, values);
  return rows.map((row) => ({
    number: row.number,
    firstName: row.first_name ?? null,
    lastName: row.last_name ?? null,
    fields: options.withValues ? [row.field_1, row.field_2, row.field_3, row.field_4, row.field_5] : [],
    blacklisted: row.blacklisted,
  }));
}

/**
 * The values of the account's contacts among pasted numbers (a pasted number that is a contact
 * the selection does not include is personalised like one it does), by number.
 */
export async function contactValuesAmong(sql: SqlRunner, accountId: string, numbers: readonly string[]): Promise<Map<string, RecipientValues>> {
  if (numbers.length === 0) return new Map();
  const rows = await sql<NamedRow>(
    `SELECT number, first_name, last_name, field_1, field_2, field_3, field_4, field_5, false AS blacklisted
       FROM contact WHERE account_id = $1::uuid AND number = ANY($2::text[])`,
    [accountId, [...numbers]],
  );
  return new Map(
    rows.map((row) => [row.number, { firstName: row.first_name, lastName: row.last_name, fields: [row.field_1, row.field_2, row.field_3, row.field_4, row.field_5] }]),
  );
}

/** Numbers of `numbers` on the account's blacklist. */
export async function blacklistedAmong(sql: SqlRunner, accountId: string, numbers: readonly string[]): Promise<Set<string>> {
  if (numbers.length === 0) return new Set();
  const rows = await sql<{ number: string }>(`SELECT number FROM blacklist_entry WHERE account_id = $1::uuid AND number = ANY($2::text[])`, [
    accountId,
    [...numbers],
  ]);
  return new Set(rows.map((row) => row.number));
}

export interface PastedNumber {
  /** As pasted. */
  input: string;
  e164: string;
  country: string | null;
  type: PhoneNumberType;
}

export interface PastedNumbers {
  /** Valid numbers, each once, sorted by E.164 (the order contacts are materialised in). */
  valid: PastedNumber[];
  invalid: { input: string; message: string }[];
  /** Pasted again after a first occurrence (as pasted). */
  duplicates: string[];
}

/** Parses pasted numbers; national ones are read in `defaultCountry`. */
export function parsePastedNumbers(numbers: readonly string[], defaultCountry: string | null): PastedNumbers {
  const byNumber = new Map<string, PastedNumber>();
  const invalid: PastedNumbers['invalid'] = [];
  const duplicates: string[] = [];
  for (const input of numbers) {
    const parsed = parsePhone(input, defaultCountry ? { defaultCountry } : {});
    if (!parsed.ok) {
      invalid.push({ input, message: parsed.message });
      continue;
    }
    if (byNumber.has(parsed.phone.e164)) {
      duplicates.push(input);
      continue;
    }
    byNumber.set(parsed.phone.e164, { input, e164: parsed.phone.e164, country: parsed.phone.country, type: parsed.phone.type });
  }
  const valid = [...byNumber.values()].sort((a, b) => (a.e164 < b.e164 ? -1 : a.e164 > b.e164 ? 1 : 0));
  return { valid, invalid, duplicates };
}
