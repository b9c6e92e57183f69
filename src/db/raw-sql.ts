import type pg from 'pg';
import { Prisma } from '../generated/prisma/client.js';

/**
 * What statements written as raw SQL need of a connection, in Prisma's call shape: Prisma's
 * client and its transactions are such connections, and so is the one `inPgTransaction` hands
 * its work, a pg client in a transaction of its own. The dispatch hot path (the record of
 * hand-overs, the writing of a campaign's messages) runs on the latter: Prisma serialises every
 * parameter of a raw statement to JSON and parses it back before pg serialises it again, and
 * maps every row, about a tenth of a dispatching worker's CPU with arrays of thousands of values
 * per statement.
 *
 * Rows come back as pg returns them, which for what these statements select is what Prisma
 * returns too: they cast what they read to text, int, boolean, float8 or timestamptz (not
 * bigint, numeric or timestamp without time zone, which the two map differently).
 */
export interface RawSql {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T>;
  $executeRaw(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

function statementOf(query: TemplateStringsArray | Prisma.Sql, values: unknown[]): Prisma.Sql {
  return query instanceof Prisma.Sql ? query : Prisma.sql(query, ...values);
}

/** Raw SQL on a pg client; only ever made for a client in a transaction (see `inPgTransaction`). */
function rawSqlOn(client: pg.PoolClient): RawSql {
  const rows = async <T>(text: string, values: unknown[]) => (await client.query(text, values)).rows as T;
  const count = async (text: string, values: unknown[]) => (await client.query(text, values)).rowCount ?? 0;
  return {
    $queryRaw: <T>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) => {
      const statement = statementOf(query, values);
      return rows<T>(statement.text, statement.values);
    },
    $executeRaw: (query, ...values) => {
      const statement = statementOf(query, values);
      return count(statement.text, statement.values);
    },
    $queryRawUnsafe: <T>(text: string, ...values: unknown[]) => rows<T>(text, values),
    $executeRawUnsafe: (text, ...values) => count(text, values),
  };
}

export interface PgTransactionOptions {
  /**
   * Each statement's limit, and how long the transaction may sit idle between two (the session
   * is then closed by the server): a transaction stuck on a lock, or a process stalled in the
   * middle of one, gives its connection and its row locks back. Default 30 s.
   */
  timeoutMs?: number;
  /** Statements run right after BEGIN, in the same round trip (settings local to the transaction). */
  setup?: string;
}

/**
 * Runs `work` in a transaction on a client of `pool`, with raw SQL on it (the only way to get a
 * RawSql on pg, so the ledger's locks always live in a transaction): committed when
 * `work` resolves, rolled back when it throws. A transaction that failed inside `work` (an error
 * caught there) is not reported as committed: PostgreSQL answers its COMMIT with ROLLBACK.
 */
export async function inPgTransaction<T>(
  pool: pg.Pool,
  work: (sql: RawSql) => Promise<T>,
  options: PgTransactionOptions = {},
): Promise<T> {
  const timeoutMs = Math.round(options.timeoutMs ?? 30_000);
  const client = await pool.connect();
  // A connection that cannot even roll back is closed rather than given back to the pool.
  let broken: Error | undefined;
  try {
    await client.query(
      `BEGIN; SET LOCAL statement_timeout = ${timeoutMs}; SET LOCAL idle_in_transaction_session_timeout = ${timeoutMs}; ${options.setup ?? ''}`,
    );
    const result = await work(rawSqlOn(client));
    const committed = await client.query('COMMIT');
    if (committed.command === 'ROLLBACK') throw new Error('the transaction failed and was rolled back (an error inside it was caught)');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError as Error));
    throw error;
  } finally {
    client.release(broken);
  }
}
