import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { config } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';

/**
 * Every session's settings. Timestamp columns (Prisma's, without time zone) hold UTC: sessions
 * compare them in UTC whatever the server's default (LOCALTIMESTAMP in the dispatch queue's
 * claims). No JIT compilation: the platform's statements are short, and before PostgreSQL 18 the
 * hot path's plan settings (db/index-plans.ts) inflate their estimated cost past `jit_above_cost`,
 * so a server built with LLVM (Debian's PostgreSQL 15) compiled every claim: half a second each.
 */
const SESSION_OPTIONS = '-c TimeZone=UTC -c jit=off';

/**
 * The process' pool and Prisma client. Prisma and the hot-path SQL share the pool, so one
 * setting bounds the connections a process opens (DATABASE_POOL_SIZE, plus one in a worker for
 * the transactional lane's claims: `priorityPool`). The URL is known before this module loads:
 * `main.ts` starts the embedded PostgreSQL first when no DATABASE_URL is given. Nothing
 * connects until first used, so tools that only build the schema need no database.
 */
export const pool = new pg.Pool({
  connectionString: config.databaseUrl,
  max: config.databasePoolSize,
  connectionTimeoutMillis: config.databasePoolTimeoutMs,
  application_name: `sms-platform-${config.role}`,
  options: SESSION_OPTIONS,
});
// An idle client's error (server restart) must not crash the process; the pool replaces it.
pool.on('error', (error) => console.error('[db] idle client error', error.message));

export const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });

/**
 * One connection of its own for the transactional lane's claims (dispatcher): a one-time code
 * never waits for a connection behind a campaign's writes and receipts. Opened on first use
 * (worker processes only).
 */
export const priorityPool = new pg.Pool({
  connectionString: config.databaseUrl,
  max: 1,
  // Kept open: the first one-time code after a quiet spell does not wait for a connection.
  idleTimeoutMillis: 0,
  connectionTimeoutMillis: config.databasePoolTimeoutMs,
  application_name: `sms-platform-${config.role}-priority`,
  options: SESSION_OPTIONS,
});
priorityPool.on('error', (error) => console.error('[db] idle priority client error', error.message));

export type Transaction = Parameters<Parameters<typeof prisma.$transaction>[0]>[0];
export type Db = typeof prisma | Transaction;

/**
 * Whether a statement run on a pg client (`inPgTransaction`) failed on a unique index
 * (SQLSTATE 23505), on that index when one is named.
 */
export function isUniqueViolation(error: unknown, index?: string): boolean {
  return error instanceof pg.DatabaseError && error.code === '23505' && (index === undefined || error.constraint === index);
}

export async function closeDatabase(): Promise<void> {
  await prisma.$disconnect();
  await Promise.all([pool.end(), priorityPool.end()]);
}
