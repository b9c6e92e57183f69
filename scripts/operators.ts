/**
 * `npm run operators -- <command>`: who is a platform operator (staff of the platform, who may
 * list unrouted replies and hand them to an account through the API). Operators are named here,
 * on the machine that holds the database, never through the API.
 *
 *   npm run operators -- list
 *   npm run operators -- grant ana@example.com
 *   npm run operators -- revoke ana@example.com
 *
 * Uses DATABASE_URL when set; otherwise the embedded PostgreSQL of `npm start` (DATA_DIR,
 * EMBEDDED_POSTGRES_PORT), shared with a running platform.
 */
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { NotFoundError } from '../src/domain/errors.js';

const USAGE = `Usage: npm run operators -- list | grant <email> | revoke <email>`;

async function main(args: string[]): Promise<number> {
  const [command, email] = args;
  if (!(command === 'list' && email === undefined) && !((command === 'grant' || command === 'revoke') && email)) {
    console.error(USAGE);
    return 2;
  }
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | null = null;
  if (!process.env['DATABASE_URL']) {
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(process.env['DATA_DIR'] || '.data', 'postgres'),
      port: Number(process.env['EMBEDDED_POSTGRES_PORT'] || 5433),
      databaseName: 'sms',
    });
    process.env['DATABASE_URL'] = embedded.url;
  }
  // The database client reads DATABASE_URL when it loads.
  const { closeDatabase } = await import('../src/db/client.js');
  const operators = await import('../src/domain/operators/platform-operators.js');
  try {
    if (command === 'list') {
      const list = await operators.listPlatformOperators();
      if (list.length === 0) console.log('No platform operator.');
      for (const operator of list) console.log(`${operator.email}\tsince ${operator.grantedAt.toISOString()}`);
    } else if (command === 'grant') {
      console.log((await operators.grantPlatformOperator(email!)) ? `${email} is now a platform operator.` : `${email} already was a platform operator.`);
    } else {
      console.log((await operators.revokePlatformOperator(email!)) ? `${email} is no longer a platform operator.` : `${email} was not a platform operator.`);
    }
    return 0;
  } catch (error) {
    console.error(error instanceof NotFoundError ? `No user with the e-mail ${email}.` : error);
    return 1;
  } finally {
    await closeDatabase();
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
