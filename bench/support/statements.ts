import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';

type Options = Parameters<typeof startEmbeddedPostgres>[0];
type Database = Awaited<ReturnType<typeof startEmbeddedPostgres>>;

/**
 * A bench's embedded PostgreSQL, started with pg_stat_statements loaded when `statements` is
 * asked for (the library must be loaded at server start: the server is configured, then started
 * again), counting the statements of triggers and functions on their own lines too. The caller
 * creates the extension in its database once migrated (`CREATE EXTENSION pg_stat_statements`).
 */
export async function startBenchPostgres(options: Options, statements: boolean): Promise<Database> {
  const database = await startEmbeddedPostgres(options);
  if (!statements) return database;
  const admin = new pg.Client({ connectionString: database.adminUrl });
  await admin.connect();
  await admin.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
  await admin.query(`ALTER SYSTEM SET pg_stat_statements.track = 'all'`);
  await admin.end();
  await database.stop();
  return startEmbeddedPostgres(options);
}
