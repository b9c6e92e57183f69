import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { applyMigrations, createMigration, migrationStatus } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const migrationsDir = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

// SPEC section 2.
const plans = [
  ['STANDARD', 'Standard', 1, 3, 3, 3, 10, 3, 650, 3, 3, 12, 48],
  ['PREMIUM', 'Premium', 2, 5, 5, 10, 20, 5, 5000, 10, 5, 12, 24],
  ['GOLD', 'Gold', 3, 10, 10, 20, 50, 10, 25000, 20, 10, 12, 8],
  ['ENTERPRISES', 'Enterprises', 4, 50, 50, 50, 500, 50, 1000000, 50, 30, 24, 4],
].map(([code, name, position, ...limits]) => ({
  code,
  name,
  position,
  live_links: limits[0],
  live_shared_files: limits[1],
  sub_accounts: limits[2],
  contact_lists: limits[3],
  sms_templates: limits[4],
  open_conversations: limits[5],
  monthly_data_exports: limits[6],
  team_members: limits[7],
  analytics_retention_months: limits[8],
  support_response_hours: limits[9],
}));

async function migrationNames(): Promise<string[]> {
  const entries = await fs.readdir(migrationsDir, { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.all(databases.splice(0).map((database) => database.drop()));
  });
  async function emptyDatabase(): Promise<string> {
    const database = await createTestDatabase({ empty: true });
    databases.push(database);
    return database.url;
  }

  it('creates the schema and the four plans of the offer on an empty database, once', async () => {
    const url = await emptyDatabase();
    const all = await migrationNames();
    expect(all.some((name) => /^\d{14}_init$/.test(name))).toBe(true);
    expect(await migrationStatus(url)).toEqual({ applied: [], pending: all, failed: [] });

    expect(await applyMigrations(url)).toEqual({ applied: all });

    const rows = await query(
      url,
      `SELECT code::text, name, position, live_links, live_shared_files, sub_accounts, contact_lists, sms_templates,
              open_conversations, monthly_data_exports, team_members, analytics_retention_months, support_response_hours
         FROM plan ORDER BY position`,
    );
    expect(rows).toEqual(plans);

    expect(await applyMigrations(url)).toEqual({ applied: [] });
    expect(await migrationStatus(url)).toEqual({ applied: all, pending: [], failed: [] });
  });

  it('applies each migration once when two processes start together', async () => {
    const url = await emptyDatabase();
    const all = await migrationNames();

    const results = await Promise.all([applyMigrations(url), applyMigrations(url)]);

    expect(results.map((result) => result.applied).sort((a, b) => a.length - b.length)).toEqual([[], all]);
    const recorded = await query<{ migration_name: string }>(
      url,
      'SELECT migration_name FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(recorded.map((row) => row.migration_name)).toEqual(all);
    expect(await query(url, 'SELECT count(*)::int AS plans FROM plan')).toEqual([{ plans: 4 }]);
  });

  it('has a migration for every change of prisma/schema.prisma', async () => {
    // On a copy of the migrations directory, so a missing migration is reported, not written.
    const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'sms-migrations-'));
    try {
      await fs.cp(migrationsDir, copy, { recursive: true });
      const template = await createTestDatabase();
      databases.push(template);
      const result = await createMigration('pending_schema_changes', template.url, { migrationsDir: copy });
      const written = result.path === null ? '' : await fs.readFile(result.path, 'utf8');
      expect(written, 'run `npm run migrate:create -- <name>` for these schema changes').toBe('');
    } finally {
      await fs.rm(copy, { recursive: true, force: true });
    }
  });

  it('gives each test a copy of the migrated template', async () => {
    const database = await createTestDatabase();
    databases.push(database);
    expect(await migrationStatus(database.url)).toMatchObject({ pending: [], failed: [] });
    expect(await query(database.url, 'SELECT count(*)::int AS plans FROM plan')).toEqual([{ plans: 4 }]);
  });
});
