import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { config } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';

/**
 * The process' single pool and Prisma client. Prisma and the hot-path SQL share the pool, so one
 * setting bounds the connections a process opens. The URL is known before this module loads:
 * `main.ts` starts the embedded PostgreSQL first when no DATABASE_URL is given. Nothing
 * connects until first used, so tools that only build the schema need no database.
 */
export const pool = new pg.Pool({
  connectionString: config.databaseUrl,
  max: config.databasePoolSize,
  application_name: `sms-platform-${config.role}`,
  // Timestamp columns (Prisma's, without time zone) hold UTC: sessions compare them in UTC
  // whatever the server's default (LOCALTIMESTAMP in the dispatch queue's claims).
  options: '-c TimeZone=UTC',
});
// An idle client's error (server restart) must not crash the process; the pool replaces it.
pool.on('error', (error) => console.error('[db] idle client error', error.message));

export const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });

export type Transaction = Parameters<Parameters<typeof prisma.$transaction>[0]>[0];
export type Db = typeof prisma | Transaction;

export async function closeDatabase(): Promise<void> {
  await prisma.$disconnect();
  await pool.end();
}
