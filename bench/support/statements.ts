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
  await admin.query(`ALTER SYSTEM SET pg_stat_statements.track_planning = on`);
  await admin.end();
  await database.stop();
  return startEmbeddedPostgres(options);
}

/**
 * PostgreSQL's statements by total execution time since the last reset, per call and per message
 * (`messages`: what the bench moved), with the updates of message and dispatch_queue (HOT or not).
 */
export async function printStatements(db: pg.Pool | pg.Client, messages: number, limit = 30): Promise<void> {
  const { rows } = await db.query<{ query: string; calls: string; total: number; mean: number; max: number; plan: number; rows: string; blocks: string; wal: string; fpi: string; walBytes: string }>(
    `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS query, calls::text, total_exec_time AS total, mean_exec_time AS mean, max_exec_time AS max, total_plan_time AS plan, rows::text,
            shared_blks_hit + shared_blks_read AS blocks, wal_records AS wal, wal_fpi AS fpi, wal_bytes AS "walBytes"
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      ORDER BY total_exec_time + total_plan_time DESC LIMIT $1`,
    [limit],
  );
  const { rows: tables } = await db.query<{ relname: string; upd: string; hot: string }>(
    `SELECT relname, n_tup_upd::text AS upd, n_tup_hot_upd::text AS hot FROM pg_stat_user_tables WHERE relname IN ('message', 'dispatch_queue') ORDER BY relname`,
  );
  console.info(`updates: ${tables.map((table) => `${table.relname} ${table.upd} (${table.hot} HOT)`).join(', ')}`);
  // Since the server started (the bench's own server: its set-up included).
  const [wal] = (await db.query<{ bytes: string; fpi: string }>(`SELECT wal_bytes::text AS bytes, wal_fpi::text AS fpi FROM pg_stat_wal`)).rows;
  const checkpoints = await db
    .query<{ n: string }>(`SELECT (num_timed + num_requested)::text AS n FROM pg_stat_checkpointer`)
    .then((result) => result.rows[0]?.n ?? '?', () => '?');
  if (wal) console.info(`WAL since the server started: ${(Number(wal.bytes) / 1024 ** 2).toFixed(0)} MB, ${wal.fpi} full-page images, ${checkpoints} checkpoints`);
  console.info('PostgreSQL statements by total execution time (wall time: waits for a core included; statements of triggers also inside their caller; planning per message apart; rows, buffers and WAL records per call):');
  for (const row of rows) {
    const calls = Number(row.calls);
    console.info(
      `  ${(row.total / 1000).toFixed(2).padStart(6)} s  ${row.calls.padStart(6)} calls  ${row.mean.toFixed(1).padStart(6)} ms (max ${row.max.toFixed(0).padStart(4)})  ${((row.total * 1000) / messages).toFixed(0).padStart(4)} µs/msg` +
        ` + ${((row.plan * 1000) / messages).toFixed(0).padStart(3)} plan` +
        `  ${(Number(row.rows) / calls).toFixed(0).padStart(5)} rows ${(Number(row.blocks) / calls).toFixed(0).padStart(6)} buf ${(Number(row.wal) / calls).toFixed(0).padStart(5)} wal (${(Number(row.fpi) / calls).toFixed(0)} fpi, ${(Number(row.walBytes) / 1024 / calls).toFixed(0)} kB)  ${row.query}`,
    );
  }
}
