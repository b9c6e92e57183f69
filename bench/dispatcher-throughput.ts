/**
 * `npm run bench:dispatcher`: end-to-end dispatch throughput. MESSAGES (default 200,000) ON_HOLD
 * bulk messages of one campaign with its credit hold are written by SQL; then a worker platform
 * (dispatcher, carrier gateway, receipts; in this process) sends them to the carrier simulator
 * running in its own process over real SMPP, until every message has its final status.
 *
 * Printed: the bare SMPP ceiling of the link measured first against the same simulator process
 * (`measureBareSmppCeiling`: no database at all), messages per second handed to the carrier and
 * end to end (until all final), their ratio to the ceiling, and checks: every number received
 * exactly once, nothing left behind, charges equal to the prices of what was sent.
 *
 * Runs on a fresh embedded PostgreSQL (durable settings, as in production) under
 * .data/bench-dispatch-*, removed at the end.
 *
 *   MESSAGES=50000 npm run bench:dispatcher -- [--binds 2] [--window 250] [--rate 1000000] [--receipt-delay 200]
 *     [--statements] [--campaign-defaults] [--no-ceiling]
 *   NODE_OPTIONS=--cpu-prof npm run bench:dispatcher -- --no-ceiling   (CPU-*.cpuprofile of each process)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { applyMigrations } from '../src/db/migrate.js';
import { printStatements, startBenchPostgres } from './support/statements.js';
import { freePort, spawnCarrierSimulator } from '../src/simulator/child-process.js';
import { measureBareSmppCeiling } from './smpp-ceiling.js';
import { cpuSecondsOfTree, parentOf } from './support/cpu.js';

const MESSAGES = Number(process.env['MESSAGES'] ?? 200_000);
const PRICE = '0.045';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      binds: { type: 'string', default: '2' },
      window: { type: 'string', default: '250' },
      rate: { type: 'string', default: '1000000' },
      'receipt-delay': { type: 'string', default: '200' },
      /** Skip the ceiling (profiling runs: its client would share the profile). */
      'no-ceiling': { type: 'boolean', default: false },
      /** Print PostgreSQL's statements by total execution time (pg_stat_statements). */
      statements: { type: 'boolean', default: false },
      /** Keep the campaign life cycle and progress publisher at their default pace (they count the campaign's messages). */
      'campaign-defaults': { type: 'boolean', default: false },
    },
  });
  const binds = Number(values.binds);
  const window = Number(values.window);
  const workDir = path.join(fileURLToPath(new URL('../.data/', import.meta.url)), `bench-dispatch-${process.pid}`);
  await fs.mkdir(workDir, { recursive: true, mode: 0o755 });
  const databaseOptions = { dataDir: path.join(workDir, 'postgres'), port: await freePort(), databaseName: 'bench', persistent: true };
  const database = await startBenchPostgres(databaseOptions, process.argv.includes('--statements'));
  const simulator = await spawnCarrierSimulator({ CARRIER_SIMULATOR_RECEIPT_DELAY_MS: String(values['receipt-delay']) });
  try {
    console.info(`dispatch: ${MESSAGES.toLocaleString('en')} single-part bulk messages, ${binds} bind(s), window ${window}, simulator in its own process (receipts after ${values['receipt-delay']} ms)`);
    let ceiling = NaN;
    if (!values['no-ceiling']) {
      await measureBareSmppCeiling({ host: simulator.host, port: simulator.port, messages: 20_000, binds, window }); // warm-up
      await simulator.reset();
      const bare = await measureBareSmppCeiling({ host: simulator.host, port: simulator.port, messages: 100_000, binds, window });
      ceiling = bare.submitsPerSecond;
      console.info(`bare SMPP ceiling: ${Math.round(ceiling).toLocaleString('en')} messages/s (100,000 in ${bare.submitSeconds.toFixed(2)} s, no database)`);
      await simulator.reset();
    }

    await applyMigrations(database.url);
    if (values.statements) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await client.end();
    }
    Object.assign(process.env, {
      DATABASE_URL: database.url,
      ROLE: 'worker',
      LOG_LEVEL: 'warn',
      DATA_DIR: workDir,
      NODE_ENV: 'test',
      CARRIER_SIMULATOR: 'false',
      // The campaign's life cycle and progress events count its messages twice a second by default,
      // a cost that grows with the campaign and is not the dispatcher's: every 10 s here, unless asked.
      ...(values['campaign-defaults'] ? {} : { CAMPAIGN_PROGRESS_EVENTS_PER_SECOND: '0.1', CAMPAIGN_LIFECYCLE_INTERVAL_MS: '10000' }),
      CARRIERS: JSON.stringify([
        { name: 'simulator', host: simulator.host, port: simulator.port, systemId: 'bench', password: 'bench', binds, windowSize: window, maxSegmentsPerSecond: Number(values.rate), receiptsCarryReference: true },
      ]),
    });
    const { pool, prisma } = await import('../src/db/client.js');
    const { credit, reserveCredit, PLATFORM } = await import('../src/domain/credit/ledger.js');
    const { parseEuros } = await import('../src/domain/messaging/prices.js');

    const account = await prisma.account.create({
      data: { name: 'Bench', companyNumber: '73282932000074', street: '1 rue', postalCode: '75002', city: 'Paris', country: 'FR', status: 'ACTIVE', planCode: 'ENTERPRISES', serviceMessagesConsentAt: new Date() },
    });
    const cost = parseEuros(PRICE) * MESSAGES;
    await credit(prisma, account.id, 'TOP_UP', cost, { reason: 'bench', author: PLATFORM });
    const reservation = await reserveCredit(prisma, account.id, cost, { reason: 'bench campaign', author: PLATFORM });
    const [campaign] = await pool.query<{ id: string }>(
      `INSERT INTO campaign (id, account_id, name, kind, sender, text, status, reservation_id, recipient_count, estimated_cost, materialized_at, sent_at)
       VALUES (gen_random_uuid(), $1, 'Bench', 'TRANSACTIONAL', 'BENCH', 'bench', 'SENDING', $2, $3, $4, now(), now()) RETURNING id::text`,
      [account.id, reservation.id, MESSAGES, (cost / 1e6).toFixed(6)],
    ).then((result) => result.rows);
    let started = performance.now();
    // The same numbers as the ceiling's `benchNumber`: distinct, clear of the simulator's test patterns.
    // Transactional (on the bulk lane, as a campaign's): marketing would wait for France's sending window at night.
    await pool.query(
      `INSERT INTO message (account_id, campaign_id, kind, priority, sender, recipient, country, text, segments, price, reservation_id)
       SELECT $1, $2, 'TRANSACTIONAL', 1, 'BENCH', '+336' || lpad((i / 9000)::text, 4, '0') || ((i % 9000) + 1000)::text, 'FR',
              'Your order 12345 has shipped. Track it at https://example.com/t/abc', 1, $3::numeric, $4
         FROM generate_series(0, $5 - 1) AS i`,
      [account.id, campaign!.id, PRICE, reservation.id, MESSAGES],
    );
    await pool.query('ANALYZE message');
    console.info(`wrote ${MESSAGES.toLocaleString('en')} messages in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    if (process.env['LOCK_WATCH'] === '1') {
      const watcher = setInterval(() => {
        void pool
          .query<{ waiting: string; blocking: string }>(
            `SELECT left(regexp_replace(w.query, '\\s+', ' ', 'g'), 90) AS waiting, left(regexp_replace(b.query, '\\s+', ' ', 'g'), 90) || ' [' || b.state || ']' AS blocking
               FROM pg_stat_activity w JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid) ON true JOIN pg_stat_activity b ON b.pid = bp.pid
              WHERE w.wait_event_type = 'Lock'`,
          )
          .then((result) => result.rows.forEach((row) => console.info(`LOCK WAIT: ${row.waiting}\n    blocked by: ${row.blocking}`)));
      }, 50);
      watcher.unref();
    }
    const { startPlatform } = await import('../src/app.js');
    const postmaster = await parentOf(Number((await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid));
    const postgresCpuBefore = await cpuSecondsOfTree(postmaster);
    const simulatorCpuBefore = await cpuSecondsOfTree(simulator.pid);
    const ownCpuBefore = process.cpuUsage();
    if (values.statements) await pool.query('SELECT pg_stat_statements_reset()');
    started = performance.now();
    const platform = await startPlatform();
    // The campaign's counters (a few rows; counting its messages every 100 ms would load PostgreSQL as much as the campaign).
    const counts = async () =>
      new Map(
        (
          await pool.query<{ status: string; n: number }>(
            `SELECT status::text, sum(count)::int AS n FROM campaign_tally WHERE campaign_id = $1::uuid AND status IN ('ON_HOLD', 'TRANSMITTED') GROUP BY status`,
            [campaign!.id],
          )
        ).rows.map((row) => [row.status, row.n]),
      );
    let handedOverAt = 0;
    let lastPrint = started;
    const deadline = started + Math.max(120_000, MESSAGES); // a stuck run fails instead of hanging
    for (;;) {
      if (performance.now() > deadline) throw new Error('gave up waiting for every message to be final');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const open = await counts();
      if (handedOverAt === 0 && !open.get('ON_HOLD')) handedOverAt = performance.now();
      if (handedOverAt !== 0 && !open.get('ON_HOLD') && !open.get('TRANSMITTED')) break;
      if (performance.now() - lastPrint > 5000) {
        lastPrint = performance.now();
        const waiting = [...open].filter(([, n]) => n > 0);
        console.info(`  ${((lastPrint - started) / 1000).toFixed(0)} s: ${waiting.map(([status, n]) => `${n.toLocaleString('en')} ${status}`).join(', ') || 'all final'}`);
      }
    }
    const finalAt = performance.now();
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const postgresCpu = (await cpuSecondsOfTree(postmaster)) - postgresCpuBefore;
    const simulatorCpu = (await cpuSecondsOfTree(simulator.pid)) - simulatorCpuBefore;
    const submitSeconds = (handedOverAt - started) / 1000;
    const endToEndSeconds = (finalAt - started) / 1000;
    const submitted = MESSAGES / submitSeconds;
    const endToEnd = MESSAGES / endToEndSeconds;
    console.info(`handed to the carrier: ${Math.round(submitted).toLocaleString('en')} messages/s (all ${MESSAGES.toLocaleString('en')} in ${submitSeconds.toFixed(1)} s, from start-up)`);
    console.info(`end to end (all final): ${Math.round(endToEnd).toLocaleString('en')} messages/s (${endToEndSeconds.toFixed(1)} s)`);
    console.info(`ratio to the bare SMPP ceiling: handed over ${((submitted / ceiling) * 100).toFixed(0)} %, end to end ${((endToEnd / ceiling) * 100).toFixed(0)} %`);

    const perMessage = (seconds: number) => `${((seconds / MESSAGES) * 1e6).toFixed(0)} µs`;
    console.info(
      `CPU per message (all ${((ownCpu.user + ownCpu.system) / 1e6 + postgresCpu + simulatorCpu).toFixed(1)} s of CPU over ${endToEndSeconds.toFixed(1)} s on ${os.cpus().length} cores): ` +
        `dispatching process ${perMessage((ownCpu.user + ownCpu.system) / 1e6)}, PostgreSQL ${perMessage(postgresCpu)}, simulator ${perMessage(simulatorCpu)}`,
    );
    if (values.statements) await printStatements(pool, MESSAGES);
    const stats = await simulator.stats();
    const statuses = await pool.query<{ status: string; n: string }>(`SELECT status::text, count(*)::text AS n FROM message GROUP BY status ORDER BY status`);
    const charged = await pool.query<{ total: string }>(`SELECT coalesce(-sum(amount), 0)::text AS total FROM ledger_entry WHERE account_id = $1 AND kind = 'CHARGE'`, [account.id]);
    const expectedCharge = ((parseEuros(PRICE) * stats.acceptedMessages) / 1e6).toFixed(6);
    console.info(`statuses: ${statuses.rows.map((row) => `${row.status} ${Number(row.n).toLocaleString('en')}`).join(', ')}`);
    console.info(
      `simulator: ${stats.acceptedMessages.toLocaleString('en')} accepted, ${stats.destinationsWithSeveralMessages} number(s) twice; charged ${charged.rows[0]?.total} € for ${expectedCharge} € of messages sent: ` +
        (stats.acceptedMessages === MESSAGES && stats.destinationsWithSeveralMessages === 0 && Number(charged.rows[0]?.total) === Number(expectedCharge) ? 'EXACT' : 'MISMATCH'),
    );
    await platform.stop();
  } finally {
    await simulator.stop();
    await database.stop();
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

await main();
