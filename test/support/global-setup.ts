import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.js';
import { applyMigrations } from '../../src/db/migrate.js';

/**
 * One PostgreSQL for the integration run: TEST_DATABASE_URL's server (an admin URL) when set,
 * otherwise an embedded one in a fresh directory. The migrations are applied once, to a template
 * database; each test copies it (test/support/database.ts), which takes milliseconds.
 */

export interface TestDatabaseContext {
  /** URL of a maintenance database on the server, with the right to create databases. */
  adminUrl: string;
  /** Migrated database to copy; its name also prefixes the copies. */
  templateDatabase: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabase: TestDatabaseContext;
  }
}

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const external = process.env['TEST_DATABASE_URL'];
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  let adminUrl: string;

  if (external) {
    adminUrl = external;
  } else {
    dataDir = path.join(projectRoot, '.data', `test-postgres-${process.pid}`);
    await fs.rm(dataDir, { recursive: true, force: true });
    const output: string[] = [];
    try {
      embedded = await startEmbeddedPostgres({
        dataDir,
        port: await freePort(),
        databaseName: 'postgres',
        persistent: false,
        log: (line) => output.push(line),
      });
    } catch (error) {
      await fs.rm(dataDir, { recursive: true, force: true });
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${output.slice(-20).join('\n')}`, { cause: error });
    }
    adminUrl = embedded.adminUrl;
  }
  const serverReady = performance.now();

  const templateDatabase = `sms_test_${process.pid}_${randomBytes(3).toString('hex')}`;
  try {
    await onServer(adminUrl, `CREATE DATABASE ${quote(templateDatabase)}`);
    await applyMigrations(databaseUrl(adminUrl, templateDatabase));
  } catch (error) {
    await teardown();
    throw error;
  }
  if (process.env['TEST_SETUP_TIMING']) {
    console.log(
      `[global-setup] ${external ? 'external server' : 'embedded server'} ready in ${Math.round(serverReady - started)} ms, ` +
        `template migrated in ${Math.round(performance.now() - serverReady)} ms`,
    );
  }

  project.provide('testDatabase', { adminUrl, templateDatabase });

  async function teardown(): Promise<void> {
    const stopping = performance.now();
    try {
      if (!embedded) {
        // The template and any copy a failed test did not drop.
        await onServer(adminUrl, async (client) => {
          const { rows } = await client.query<{ datname: string }>(
            "SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $1 || '_')",
            [templateDatabase],
          );
          for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${quote(datname)} WITH (FORCE)`);
        });
      }
    } finally {
      await embedded?.stop();
      if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
      if (process.env['TEST_SETUP_TIMING']) console.log(`[global-setup] teardown in ${Math.round(performance.now() - stopping)} ms`);
    }
  }
  return teardown;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

async function onServer(adminUrl: string, work: string | ((client: pg.Client) => Promise<void>)): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    if (typeof work === 'string') await client.query(work);
    else await work(client);
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
