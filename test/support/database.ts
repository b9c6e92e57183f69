import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  url: string;
  /** Drops the database, closing any connection still open on it. Safe to call twice. */
  drop(): Promise<void>;
}

/**
 * A database of its own for a test file or a test: a copy of the run's migrated template
 * (test/support/global-setup.ts), or with `{ empty: true }` a database without any table.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const { adminUrl, templateDatabase } = inject('testDatabase');
  // Prefixed with the template's name, so the global teardown finds any copy left behind.
  const name = `${templateDatabase}_${randomBytes(4).toString('hex')}`;
  const template = options.empty ? 'template0' : templateDatabase;
  await onServer(adminUrl, `CREATE DATABASE ${quote(name)} TEMPLATE ${quote(template)}`);

  let dropping: Promise<void> | undefined;
  return {
    url: databaseUrl(adminUrl, name),
    drop: () => (dropping ??= onServer(adminUrl, `DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`)),
  };
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

async function onServer(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
