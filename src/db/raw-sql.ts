import type pg from 'pg';
import { Prisma } from '../generated/prisma/client.js';

/**
 * What statements written as raw SQL need of a connection, in Prisma's call shape: Prisma's
 * client and its transactions are such connections, and so is `rawSqlOn(client)`, a pg client
 * (in a transaction of the caller's). The dispatch hot path (the record of hand-overs, the
 * writing of a campaign's messages) runs on the latter: Prisma serialises every parameter of a
 * raw statement to JSON and parses it back before pg serialises it again, and maps every row,
 * about a tenth of a dispatching worker's CPU with arrays of thousands of values per statement.
 *
 * Rows come back as pg returns them, which for what these statements select is what Prisma
 * returns too: they cast what they read to text, int, boolean or float8 (not bigint, numeric or
 * timestamp without time zone, which the two map differently).
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

/** Raw SQL on a pg client, in whatever transaction the caller opened on it. */
export function rawSqlOn(client: pg.PoolClient): RawSql {
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

/** Runs `work` in a transaction on a client of `pool`: committed when it resolves, rolled back when it throws. */
export async function inPgTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  // A connection that cannot even roll back is closed rather than given back to the pool.
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError as Error));
    throw error;
  } finally {
    client.release(broken);
  }
}
