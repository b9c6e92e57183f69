import path from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { applyMigrations, createMigration, migrationStatus } from './migrate.js';

/**
 * `npm run migrate` | `npm run migrate:create -- <name>` | `npm run migrate:status`.
 * Uses DATABASE_URL when set; otherwise the embedded PostgreSQL that `npm start` uses (data in
 * DATA_DIR/postgres, port EMBEDDED_POSTGRES_PORT), started for the command and stopped after.
 */

const USAGE = `Usage: tsx src/db/migrate-cli.ts <command> [--verbose]
  apply           apply the pending migrations of prisma/migrations
  create <name>   write prisma/migrations/<timestamp>_<name>/migration.sql from the changes of
                  prisma/schema.prisma (review it, then apply)
  status          list applied, pending and failed migrations (exit code 1 if one failed)`;

interface Target {
  url: string;
  description: string;
  release(): Promise<void>;
}

async function main(args: string[]): Promise<number> {
  const verbose = args.includes('--verbose');
  const [command, ...operands] = args.filter((arg) => arg !== '--verbose');
  const log = (line: string): void => {
    if (verbose || !line.startsWith('[')) console.log(line);
  };

  if (command !== 'apply' && command !== 'create' && command !== 'status') {
    console.error(command ? `Unknown command ${JSON.stringify(command)}.\n${USAGE}` : USAGE);
    return 2;
  }
  if (command === 'create' && operands.length !== 1) {
    console.error(`create needs exactly one name, e.g. npm run migrate:create -- add_campaigns\n${USAGE}`);
    return 2;
  }

  const target = await openTarget(verbose);
  try {
    console.log(`Database: ${target.description}`);
    switch (command) {
      case 'apply': {
        const { applied } = await applyMigrations(target.url, { log });
        console.log(applied.length ? `Applied ${applied.length} migration(s).` : 'No pending migrations: the database is up to date.');
        return 0;
      }
      case 'create': {
        const result = await createMigration(operands[0] ?? '', target.url, { log });
        if (result.path === null) {
          console.log('No changes: prisma/schema.prisma matches the migrations; nothing written.');
        } else {
          console.log(`Review it, then apply it with: npm run migrate`);
        }
        return 0;
      }
      case 'status': {
        const { applied, pending, failed } = await migrationStatus(target.url);
        console.log(`Applied: ${applied.length}${applied.length ? ` (last: ${applied.at(-1)})` : ''}`);
        console.log(pending.length ? `Pending:\n${pending.map((name) => `  ${name}`).join('\n')}` : 'Pending: none');
        if (failed.length) {
          console.error(
            `Failed (fix the database, then mark them with \`prisma migrate resolve\` or delete their row in _prisma_migrations):\n` +
              failed.map((name) => `  ${name}`).join('\n'),
          );
          return 1;
        }
        return 0;
      }
    }
  } finally {
    await target.release();
  }
}

async function openTarget(verbose: boolean): Promise<Target> {
  const databaseUrl = process.env['DATABASE_URL'];
  if (databaseUrl) {
    return { url: databaseUrl, description: redactPassword(databaseUrl), release: async () => {} };
  }
  const dataDir = path.join(process.env['DATA_DIR'] || '.data', 'postgres');
  const port = Number(process.env['EMBEDDED_POSTGRES_PORT'] || 5433);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`EMBEDDED_POSTGRES_PORT must be a port number, got ${JSON.stringify(process.env['EMBEDDED_POSTGRES_PORT'])}`);
  }
  const database = await startEmbeddedPostgres({
    dataDir,
    port,
    databaseName: 'sms',
    ...(verbose ? { log: (line: string) => console.log(`[postgres] ${line}`) } : {}),
  });
  return {
    url: database.url,
    description: `embedded PostgreSQL, data in ${dataDir}, ${redactPassword(database.url)}`,
    release: () => database.stop(),
  };
}

function redactPassword(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

// A panic inside the WebAssembly engine can surface outside the command's promise; its message
// is kept by the bindings' panic registry (see migrate.ts).
process.on('uncaughtException', (error) => {
  const registry = (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { message?: string } }).PRISMA_WASM_PANIC_REGISTRY;
  console.error(`Migration command crashed: ${registry?.message || error.stack || error.message}`);
  process.exit(1);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const verbose = process.argv.includes('--verbose');
    console.error(`Migration command failed: ${error instanceof Error ? (verbose ? error.stack : error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
