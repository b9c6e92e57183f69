/**
 * Reassembly of inbound messages that arrive in several parts (UDH or SAR), whatever their order,
 * in the database (`inbound_part`), so that:
 * - a worker that stops or dies between two parts of a reply loses nothing: every part is stored
 *   before the carrier's deliver_sm is acknowledged;
 * - parts that reach different worker processes (each holds binds to the same carrier) meet.
 *
 * A set is the parts with the same connection, sender, recipient, concatenation reference and
 * number of parts. Storing parts and assembling a set happen under a transaction-scoped advisory
 * lock per set, taken in lock-id order: of two transactions storing the last two parts of a set in
 * two processes, the second waits for the first's commit, then sees every part and assembles the
 * message. A complete set's parts are deleted as its message is stored, in the same transaction.
 *
 * A set still incomplete `timeoutSeconds` after its first part is handed over with the parts
 * that came, joined in order and flagged incomplete (`receiveOverdueInboundParts`, swept by every
 * worker), rather than lost.
 */
import type { Db, Transaction } from '../../db/client.js';
import type { InboundPart, InboundSms } from '../../gateways/carriers/carrier.js';

interface PartRow {
  set_key: string;
  part_index: number;
  total: number;
  connection: string;
  from_number: string;
  to_number: string;
  text_json: string;
  received_at: Date;
}

const RETURNED = `set_key, part_index, total, connection, from_number, to_number, text_json, received_at AT TIME ZONE 'UTC' AS received_at`;

export function setKeyOf(part: InboundPart): string {
  return JSON.stringify([part.connection, part.from, part.to, part.reference, part.total]);
}

/**
 * Stores the parts (a part that came again replaces its earlier copy) and returns the messages
 * whose sets they completed, their parts removed. Runs in the caller's transaction, which stores
 * those messages too.
 */
export async function assembleInboundParts(tx: Transaction, parts: readonly InboundPart[]): Promise<InboundSms[]> {
  if (parts.length === 0) return [];
  // One row per (set, part): the same part twice in a batch (delivered again) keeps the last copy.
  const unique = new Map<string, { key: string; part: InboundPart }>();
  for (const part of parts) {
    if (part.index < 1 || part.index > part.total) continue;
    const key = setKeyOf(part);
    unique.set(`${key}#${part.index}`, { key, part });
  }
  const rows = [...unique.values()];
  const keys = [...new Set(rows.map((row) => row.key))];
  await lockSets(tx, keys);
  await tx.$executeRawUnsafe(
    `INSERT INTO inbound_part (set_key, part_index, total, connection, from_number, to_number, text_json, received_at)
     SELECT * FROM unnest($1::text[], $2::smallint[], $3::smallint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
     ON CONFLICT (set_key, part_index) DO UPDATE SET text_json = EXCLUDED.text_json`,
    rows.map((row) => row.key),
    rows.map((row) => row.part.index),
    rows.map((row) => row.part.total),
    rows.map((row) => row.part.connection),
    rows.map((row) => row.part.from),
    rows.map((row) => row.part.to),
    // As JSON: a part may end in half of a surrogate pair, which PostgreSQL text cannot hold.
    rows.map((row) => JSON.stringify(row.part.text)),
    rows.map((row) => row.part.receivedAt.toISOString()),
  );
  const complete = await tx.$queryRawUnsafe<PartRow[]>(
    `DELETE FROM inbound_part
      WHERE set_key IN (SELECT set_key FROM inbound_part WHERE set_key = ANY($1::text[]) GROUP BY set_key HAVING count(*) = max(total))
      RETURNING ${RETURNED}`,
    keys,
  );
  return messagesOf(complete, true);
}

/**
 * The sets whose first part came more than `timeoutSeconds` ago (usually none: one index probe,
 * no transaction). Taken by `takeOverdueInboundParts`, which checks them again under their locks.
 */
export async function overdueInboundSets(db: Db, timeoutSeconds: number): Promise<string[]> {
  const overdue = await db.$queryRawUnsafe<Array<{ set_key: string }>>(
    `SELECT DISTINCT set_key FROM inbound_part WHERE received_at < now() - make_interval(secs => $1::float8) LIMIT 1000`,
    timeoutSeconds,
  );
  return overdue.map((row) => row.set_key);
}

/**
 * Removes those of `keys` that are still overdue and returns their messages, incomplete (the
 * parts that came, in order). Runs in the caller's transaction.
 */
export async function takeOverdueInboundParts(tx: Transaction, keys: readonly string[], timeoutSeconds: number): Promise<InboundSms[]> {
  if (keys.length === 0) return [];
  await lockSets(tx, keys);
  // Under the locks: a part stored meanwhile by a transaction that held one is included, and a
  // set completed and taken meanwhile (then begun again with the same key) is not overdue.
  const rows = await tx.$queryRawUnsafe<PartRow[]>(
    `DELETE FROM inbound_part
      WHERE set_key IN (SELECT set_key FROM inbound_part WHERE set_key = ANY($1::text[])
                         GROUP BY set_key HAVING min(received_at) < now() - make_interval(secs => $2::float8))
      RETURNING ${RETURNED}`,
    keys,
    timeoutSeconds,
  );
  return messagesOf(rows, false);
}

/**
 * One advisory lock per set, taken in the order of the lock ids themselves, whoever takes them
 * (so two transactions never wait for each other in a cycle, whatever the collation).
 */
async function lockSets(tx: Transaction, keys: readonly string[]): Promise<void> {
  await tx.$executeRawUnsafe(
    `SELECT pg_advisory_xact_lock(lock_id) FROM (SELECT DISTINCT hashtextextended(key, 7340) AS lock_id FROM unnest($1::text[]) AS key ORDER BY 1) ids`,
    keys,
  );
}

function messagesOf(rows: readonly PartRow[], complete: boolean): InboundSms[] {
  const sets = new Map<string, PartRow[]>();
  for (const row of rows) {
    const set = sets.get(row.set_key);
    if (set) set.push(row);
    else sets.set(row.set_key, [row]);
  }
  return [...sets.values()].map((set) => {
    set.sort((a, b) => a.part_index - b.part_index);
    const first = set[0]!;
    return {
      connection: first.connection,
      from: first.from_number,
      to: first.to_number,
      text: set.map((part) => JSON.parse(part.text_json) as string).join(''),
      parts: first.total,
      complete: complete && set.length === first.total,
      // When the last part came (an overdue set: when it was given up).
      receivedAt: complete ? new Date(Math.max(...set.map((part) => part.received_at.getTime()))) : new Date(),
    };
  });
}
