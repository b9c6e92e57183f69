// TEMPORARY profiling script (removed before hand-off).
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { applyMigrations } from '../src/db/migrate.js';
const workDir = path.join(fileURLToPath(new URL('../.data/', import.meta.url)), `bench-prof-${process.pid}`);
await fs.mkdir(workDir, { recursive: true, mode: 0o755 });
const database = await startEmbeddedPostgres({ dataDir: path.join(workDir, 'postgres'), port: 40000 + (process.pid % 20000), databaseName: 'bench', persistent: true });
try {
  await applyMigrations(database.url);
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: database.url });
  c.on('error', () => undefined);
  await c.connect();
  const acc = (await c.query(`INSERT INTO account (id, name, company_number, street, postal_code, city, country, status, plan_code, service_messages_consent_at) VALUES (uuidv7(), 'B', '73282932000074', '1', '75002', 'Paris', 'FR', 'ACTIVE', 'ENTERPRISES', now()) RETURNING id`)).rows[0].id;
  const list = (await c.query(`INSERT INTO contact_list (id, account_id, name, default_calling_code) VALUES (uuidv7(), $1, 'L', '33') RETURNING id`, [acc])).rows[0].id;
  const fill = (from: number, to: number) => `SELECT '+336' || lpad((g*7)::text, 8, '0'), '33', (ARRAY['Jean','Marie','Pierre','Sophie'])[g%4+1], (ARRAY['Martin','Bernard','Dubois'])[g%3+1], (ARRAY['Paris','Lyon'])[g%2+1], null, null, null, null FROM generate_series(${from}, ${to}) g`;
  await c.query(`INSERT INTO contact (account_id, number, calling_code, first_name, last_name, field_1, field_2, field_3, field_4, field_5) SELECT $1, * FROM (${fill(1, 500000)}) x`, [acc]);
  await c.query(`INSERT INTO contact_list_member (list_id, contact_id) SELECT $1, id FROM contact`, [list]);
  await c.query('VACUUM ANALYZE');
  await c.query(`CREATE TEMP TABLE contact_import_staging (number text NOT NULL, calling_code text NOT NULL, first_name text, last_name text, field_1 text, field_2 text, field_3 text, field_4 text, field_5 text, tags text) ON COMMIT DELETE ROWS`);
  const src = await fs.readFile(new URL('../src/domain/contacts/contact-import.ts', import.meta.url), 'utf8');
  const merge = src.slice(src.indexOf('const MERGE_BATCH = `') + 21, src.indexOf('`;', src.indexOf('const MERGE_BATCH')));
  for (const [label, from] of [['new 50k', 500001], ['existing 50k', 1]] as const) {
    await c.query('BEGIN');
    await c.query(`INSERT INTO contact_import_staging SELECT *, null FROM (${fill(from, from + 49999)}) x`);
    await c.query('ANALYZE contact_import_staging');
    const plan = await c.query(`EXPLAIN (ANALYZE, BUFFERS, WAL) ${merge}`, [acc, list]);
    console.log(`=== ${label}\n` + plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
    await c.query('ROLLBACK');
  }
  for (const drop of process.argv.slice(2)) {
    await c.query(`DROP INDEX ${drop}`);
    await c.query('BEGIN');
    await c.query(`INSERT INTO contact_import_staging SELECT *, null FROM (${fill(500001, 549999)}) x`);
    await c.query('ANALYZE contact_import_staging');
    const t = performance.now();
    await c.query(merge, [acc, list]);
    console.log(`after dropping ${drop}: new 50k merge ${(performance.now() - t).toFixed(0)} ms`);
    await c.query('ROLLBACK');
  }
  await c.end();
} catch (e) { console.error('FAILED', e); } finally {
  await database.stop();
  await fs.rm(workDir, { recursive: true, force: true });
}
