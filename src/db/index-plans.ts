import { pool } from './client.js';
import { inPgTransaction, type RawSql } from './raw-sql.js';

/**
 * The dispatch hot path's statements name their rows by id (a batch of claimed messages, of
 * outcomes, of receipts): the right plan is always an index lookup per row in queue order. The
 * planner does not always see it: the queue and carrier_part tables grow from nothing to a
 * million rows between two autovacuum passes, and a batch handed over as JSON is estimated at
 * 100 rows, so with stale statistics it chose a hash join over all of carrier_part, or a bitmap
 * scan and a sort of the whole queue, for every batch: work growing with the campaign (seen in
 * bench:dispatcher with auto_explain). These settings, local to the transaction, take those
 * plans off the table for these statements only.
 */
const SETTINGS = ['enable_hashjoin', 'enable_mergejoin', 'enable_bitmapscan', 'enable_sort', 'enable_seqscan'];

/** One statement that applies the settings to the rest of the current transaction. */
const INDEX_PLANS_SQL = `SELECT ${SETTINGS.map((name) => `set_config('${name}', 'off', true)`).join(', ')}`;

/** Runs `work` in a transaction planned with index lookups (one round trip to open it). */
export function withIndexPlans<T>(work: (sql: RawSql) => Promise<T>): Promise<T> {
  return inPgTransaction(pool, work, { setup: INDEX_PLANS_SQL });
}
