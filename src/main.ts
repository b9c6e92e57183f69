import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres.js';
import { applyMigrations } from './db/migrate.js';
import { parseConfig } from './settings.js';

/**
 * `npm start`: validates the configuration, starts the embedded PostgreSQL when no
 * DATABASE_URL is given, applies migrations, then starts the platform in this process'
 * role. SIGTERM / SIGINT shut everything down gracefully, the database last.
 */
async function main(): Promise<void> {
  const settings = parseConfig();
  let embedded: EmbeddedDatabase | null = null;
  if (!settings.databaseUrl) {
    console.info(`[db] no DATABASE_URL: starting the embedded PostgreSQL (data in ${path.join(settings.dataDir, 'postgres')})`);
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(settings.dataDir, 'postgres'),
      port: settings.embeddedPostgresPort,
      databaseName: 'sms',
      persistent: true,
    });
    // Everything imported from here on reads this URL through the configuration.
    process.env.DATABASE_URL = embedded.url;
  }
  const databaseUrl = process.env.DATABASE_URL as string;
  if (settings.migrateOnStart) {
    const { applied } = await applyMigrations(databaseUrl);
    if (applied.length > 0) console.info(`[db] applied migrations: ${applied.join(', ')}`);
  }

  const { startPlatform } = await import('./app.js');
  const platform = await startPlatform();
  if (platform.url) {
    console.info(`GraphQL over HTTP:      ${platform.url}/graphql`);
    console.info(`GraphQL over WebSocket: ${platform.url.replace(/^http/, 'ws')}/graphql`);
    if (settings.graphql.graphiql) console.info(`GraphiQL:               ${platform.url}/graphql (open in a browser)`);
  }
  console.info(`Platform started (role: ${settings.role}, env: ${settings.env}).`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.info(`[platform] ${signal}: shutting down`);
    const force = setTimeout(() => {
      console.error('[platform] shutdown timed out; exiting');
      process.exit(1);
    }, settings.shutdownTimeoutMs + 10_000).unref();
    try {
      await platform.stop();
      await embedded?.stop();
      clearTimeout(force);
      console.info('[platform] stopped');
      process.exit(0);
    } catch (error) {
      console.error('[platform] shutdown failed', error);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
