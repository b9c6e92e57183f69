/**
 * `npm run bench:dispatch`: a campaign end to end, as a customer runs it, against the carrier
 * simulator in its own process over real SMPP on loopback.
 *
 * - A fresh embedded PostgreSQL (durable settings, as in production) under .data/bench-dispatch-*,
 *   removed at the end; the platform as deployed (README, scaling out): an API process
 *   (`src/main.ts`, ROLE=api) and a worker process (ROLE=worker, CARRIERS pointing at the
 *   simulator process), the simulator as a third; `--single-process` runs one ROLE=all process
 *   instead (what `npm start` runs), where API requests share one event loop with the campaign.
 * - An account with N contacts in one list (default 200,000; `--million` for 1,000,000), written
 *   with SQL (the import has its own benchmark); a personalised campaign to that list.
 * - Measured: from `sendCampaign` to the last final status applied in the database (messages per
 *   second end to end), with the bare ceiling of the SMPP link measured in the same run against
 *   the same simulator process (a plain client, `bench:smpp`), as a ratio; and, during the
 *   campaign, 100 transactional `sendMessage` calls: from the call to the simulator's receipt of
 *   the submit_sm (p50 / p99 / max, same machine clock).
 *
 *   npm run bench:dispatch -- [--recipients 200000] [--million] [--transactional 100] [--single-process] [--statements] [--loop]
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  CreateCampaignDocument,
  CreateContactListDocument,
  SendCampaignDocument,
  SendMessageDocument,
  TopUpCreditDocument,
} from '../codegen/generated/operations.js';
import { simulatorCarrier } from '../src/gateways/carriers/carrier-settings.js';
import { applyMigrations } from '../src/db/migrate.js';
import { freePort, spawnCarrierSimulator } from '../src/simulator/child-process.js';
import { createTenant } from '../test/support/fixtures.js';
import { apiClient, type TestPlatform } from '../test/support/platform.js';
import { startPlatformProcess } from '../test/support/process.js';
import { measureBareSmppCeiling } from './smpp-ceiling.js';
import { cpuMeter, parentOf } from './support/cpu.js';
import { printStatements, startBenchPostgres } from './support/statements.js';

const { values: args } = parseArgs({
  options: {
    recipients: { type: 'string', default: '200000' },
    million: { type: 'boolean', default: false },
    transactional: { type: 'string', default: '100' },
    'single-process': { type: 'boolean', default: false },
    /** Print PostgreSQL's statements of the campaign by total execution time (pg_stat_statements). */
    statements: { type: 'boolean', default: false },
    /** Print the event-loop delay and GC pauses of the platform's processes during the campaign (bench/support/loop-probe.mjs). */
    loop: { type: 'boolean', default: false },
  },
});
const RECIPIENTS = args.million ? 1_000_000 : Number(args.recipients);
const TRANSACTIONAL = Number(args.transactional);
const projectRoot = fileURLToPath(new URL('../', import.meta.url));
const FINAL = `('DELIVERED','NOT_ISSUED','EXPIRED','BLACKLISTED','CANCELLED')`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What loop-probe.mjs wrote for each platform process (its last write: the campaign's end, within a second). */
async function printLoopProbes(dir: string): Promise<void> {
  await sleep(1200);
  for (const name of (await fs.readdir(dir)).filter((file) => file.endsWith('.json')).sort()) {
    const probe = JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as {
      role: string;
      loop: { p50: number; p99: number; max: number };
      gc: Record<string, { count: number; ms: number; longestMs: number }>;
    };
    const pauses = Object.entries(probe.gc)
      .map(([kind, gc]) => `${kind} ${gc.count} (${Math.round(gc.ms)} ms, longest ${Math.round(gc.longestMs)})`)
      .join(', ');
    console.log(`  ${probe.role} event loop during the campaign: delay p50 ${probe.loop.p50} ms, p99 ${probe.loop.p99} ms, max ${probe.loop.max} ms; GC ${pauses || 'none'}`);
  }
}

async function main(): Promise<void> {
  const workDir = path.join(projectRoot, '.data', `bench-dispatch-${randomBytes(4).toString('hex')}`);
  const database = await startBenchPostgres({ dataDir: path.join(workDir, 'postgres'), port: await freePort(), databaseName: 'bench', persistent: true }, args.statements);
  const simulator = await spawnCarrierSimulator({ CARRIER_SIMULATOR_RECEIPT_DELAY_MS: '200' });
  const db = new pg.Client({ connectionString: database.url });
  const processes: Awaited<ReturnType<typeof startPlatformProcess>>[] = [];
  try {
    await applyMigrations(database.url);
    await db.connect();
    if (args.statements) await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const connection = simulatorCarrier(simulator.host, simulator.port);
    console.log(`bench:dispatch: ${RECIPIENTS.toLocaleString('en')} recipients, simulator in its own process (${connection.binds} binds, window ${connection.windowSize})`);

    // The same run's ceiling: a plain SMPP client against the same simulator process.
    const ceiling = await measureBareSmppCeiling({
      host: simulator.host,
      port: simulator.port,
      messages: Math.min(RECIPIENTS, 200_000),
      binds: connection.binds,
      window: connection.windowSize,
    });
    await simulator.reset();
    console.log(`  bare SMPP ceiling: ${Math.round(ceiling.submitsPerSecond).toLocaleString('en')} submits/s (${ceiling.messages.toLocaleString('en')} messages)`);

    const probeDir = path.join(workDir, 'loop-probe');
    if (args.loop) await fs.mkdir(probeDir, { recursive: true });
    const platformEnv = {
      ...(args.loop ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${path.join(projectRoot, 'bench/support/loop-probe.mjs')}`.trim(), LOOP_PROBE_DIR: probeDir } : {}),
      DATABASE_URL: database.url,
      CARRIER_SIMULATOR: 'false',
      CARRIERS: JSON.stringify([connection]),
      TOP_UP_MAXIMUM_EUROS: '1000000',
      LOG_LEVEL: 'warn',
    };
    if (args['single-process']) processes.push(await startPlatformProcess({ ...platformEnv, ROLE: 'all' }));
    else processes.push(await startPlatformProcess({ ...platformEnv, ROLE: 'api' }), await startPlatformProcess({ ...platformEnv, ROLE: 'worker' }));
    const platform = processes[0]!;
    console.log(`  platform: ${args['single-process'] ? 'one process (ROLE=all)' : 'an API process and a worker process'}`);
    const graphqlUrl = `${platform.url}/graphql`;
    const asPlatform = {
      graphqlUrl,
      sql: async <Row extends object>(text: string, values: unknown[] = []) => (await db.query(text, values)).rows as Row[],
    } as unknown as TestPlatform;
    const tenant = await createTenant(asPlatform);
    const owner = apiClient(graphqlUrl, `Bearer ${tenant.accessToken}`);
    const euros = Math.ceil(RECIPIENTS * 0.045 * 1.5 + 100);
    const topUp = await owner.request(TopUpCreditDocument, { input: { amount: `${euros}.00` } });
    if (topUp.topUpCredit.__typename !== 'MutationTopUpCreditSuccess') throw new Error(`top-up refused: ${JSON.stringify(topUp)}`);

    const list = await owner.request(CreateContactListDocument, { input: { name: 'Bench' } });
    if (list.createContactList.__typename !== 'MutationCreateContactListSuccess') throw new Error(`list refused: ${JSON.stringify(list)}`);
    const listId = list.createContactList.data.id;
    const listUuid = Buffer.from(listId, 'base64').toString('utf8').split(':')[1];
    const written = performance.now();
    await db.query(
      `INSERT INTO contact (account_id, number, calling_code, first_name)
       SELECT $1::uuid, '+336' || lpad((g / 9000)::text, 4, '0') || ((g % 9000) + 1000)::text, '33',
              (ARRAY['Jean','Marie','Pierre','Sophie','Luc','Camille','Hélène','Nicolas'])[1 + g % 8]
         FROM generate_series(0, $2::int - 1) AS g`,
      [tenant.accountUuid, RECIPIENTS],
    );
    await db.query(`INSERT INTO contact_list_member (list_id, contact_id) SELECT $1::uuid, id FROM contact WHERE account_id = $2::uuid`, [
      listUuid,
      tenant.accountUuid,
    ]);
    await db.query('VACUUM ANALYZE contact');
    await db.query('VACUUM ANALYZE contact_list_member');
    console.log(`  set-up: ${RECIPIENTS.toLocaleString('en')} contacts written in ${((performance.now() - written) / 1000).toFixed(1)} s`);

    const created = await owner.request(CreateCampaignDocument, {
      input: {
        name: 'Bench campaign',
        type: 'TRANSACTIONAL',
        sender: 'BENCH',
        text: "Bonjour {firstname}, votre commande est disponible. Retrait en magasin jusqu'à 19h.",
        recipients: { listIds: [listId] },
      },
    });
    if (created.createCampaign.__typename !== 'MutationCreateCampaignSuccess') throw new Error(`campaign refused: ${JSON.stringify(created)}`);
    const campaignId = created.createCampaign.data.id;
    const campaignUuid = Buffer.from(campaignId, 'base64').toString('utf8').split(':')[1];

    const postmaster = await parentOf(Number((await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid));
    if (args.statements) await db.query('SELECT pg_stat_statements_reset()');
    if (args.loop) await fs.writeFile(path.join(probeDir, 'start'), '');
    const cpu = await cpuMeter<string>({
      ...(args['single-process'] ? { platform: processes[0]!.child.pid! } : { api: processes[0]!.child.pid!, worker: processes[1]!.child.pid! }),
      postgresql: postmaster,
      simulator: simulator.pid,
    });
    const started = performance.now();
    const sent = await owner.request(SendCampaignDocument, { input: { id: campaignId, idempotencyKey: `bench-${campaignUuid}` } });
    const accepted = performance.now();
    if (sent.sendCampaign.__typename !== 'MutationSendCampaignSuccess') throw new Error(`send refused: ${JSON.stringify(sent)}`);
    console.log(`  sendCampaign answered in ${Math.round(accepted - started)} ms (reserved ${sent.sendCampaign.data.reserved} EUR)`);

    // Transactional messages during the campaign, one every 40 ms once it is under way.
    const transactional = (async () => {
      while (true) {
        const { rows } = await db.query<{ n: number }>(
          `SELECT coalesce(sum(count), 0)::int AS n FROM campaign_tally WHERE campaign_id = $1 AND status <> 'ON_HOLD'`,
          [campaignUuid],
        );
        if ((rows[0]?.n ?? 0) >= Math.min(RECIPIENTS / 5, 20_000)) break;
        await sleep(100);
      }
      const calls: { number: string; at: number; answeredAfter: number }[] = [];
      for (let i = 0; i < TRANSACTIONAL; i++) {
        const number = `+3361999${String(1000 + i)}`;
        const at = Date.now();
        const result = await owner.request(SendMessageDocument, { input: { to: [number], text: `Votre code est ${100000 + i}.`, sender: 'BENCH' } });
        if (result.sendMessage.__typename !== 'MutationSendMessageSuccess') throw new Error(`sendMessage refused: ${JSON.stringify(result)}`);
        calls.push({ number, at, answeredAfter: Date.now() - at });
        await sleep(40);
      }
      return calls;
    })();

    let lastReport = performance.now();
    let finals = 0;
    let firstTransmitted: number | null = null;
    while (finals < RECIPIENTS) {
      await sleep(200);
      // The campaign's counters (what campaignProgress shows: a few rows, not a count of the
      // campaign's messages, which every 200 ms would load PostgreSQL as much as the campaign).
      const { rows } = await db.query<{ finals: number; transmitted: number; materialised: boolean }>(
        `SELECT coalesce(sum(count) FILTER (WHERE status IN ${FINAL}), 0)::int AS finals,
                coalesce(sum(count) FILTER (WHERE status <> 'ON_HOLD'), 0)::int AS transmitted,
                (SELECT materialized_at IS NOT NULL FROM campaign WHERE id = $1) AS materialised
           FROM campaign_tally WHERE campaign_id = $1`,
        [campaignUuid],
      );
      finals = rows[0]?.finals ?? 0;
      if (firstTransmitted === null && (rows[0]?.transmitted ?? 0) > 0) firstTransmitted = performance.now();
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        console.log(
          `    ${((performance.now() - started) / 1000).toFixed(0)} s: ${(rows[0]?.transmitted ?? 0).toLocaleString('en')} handed over, ${finals.toLocaleString('en')} final${rows[0]?.materialised ? '' : ' (still writing message rows)'}`,
        );
      }
    }
    const finished = performance.now();
    const cpuSeconds = await cpu.stop();
    const calls = await transactional;

    const seconds = (finished - started) / 1000;
    const perSecond = RECIPIENTS / seconds;
    const { rows: outcome } = await db.query<{ status: string; n: number }>(
      `SELECT status::text, count(*)::int AS n FROM message WHERE campaign_id = $1 GROUP BY status ORDER BY status`,
      [campaignUuid],
    );
    const stats = await simulator.stats();
    const latencies: number[] = [];
    const afterAnswers: number[] = [];
    for (const call of calls) {
      const response = await fetch(`${simulator.controlUrl}/submissions?to=${encodeURIComponent(call.number)}`);
      const body = (await response.json()) as { messages: number; firstAt?: number | null };
      if (body.messages !== 1 || typeof body.firstAt !== 'number') throw new Error(`transactional message to ${call.number} not seen once at the simulator`);
      latencies.push(body.firstAt - call.at);
      afterAnswers.push(body.firstAt - call.at - call.answeredAfter);
    }
    latencies.sort((a, b) => a - b);
    afterAnswers.sort((a, b) => a - b);
    const answers = calls.map((call) => call.answeredAfter).sort((a, b) => a - b);

    console.log('');
    console.log(`  campaign: ${RECIPIENTS.toLocaleString('en')} messages from sendCampaign to the last final status in ${seconds.toFixed(1)} s`);
    console.log(`    first message handed over after ${firstTransmitted === null ? '?' : Math.round(firstTransmitted - started)} ms`);
    console.log(`    statuses: ${outcome.map((row) => `${row.status} ${row.n.toLocaleString('en')}`).join(', ')}`);
    console.log(`    the simulator counted ${stats.acceptedMessages.toLocaleString('en')} messages accepted (campaign + ${calls.length} transactional)`);
    console.log(`  end to end: ${Math.round(perSecond).toLocaleString('en')} messages/s (target 8,000)`);
    const cpuTotal = Object.values(cpuSeconds).reduce((sum, seconds) => sum + seconds, 0);
    console.log(
      `  CPU per message (${cpuTotal.toFixed(1)} s of CPU over ${seconds.toFixed(1)} s on ${os.cpus().length} cores, ${Math.round((cpuTotal / seconds / os.cpus().length) * 100)}% busy): ` +
        Object.entries(cpuSeconds)
          .map(([name, used]) => `${name} ${Math.round((used / RECIPIENTS) * 1e6)} µs`)
          .join(', '),
    );
    console.log(`  bare SMPP ceiling, same run: ${Math.round(ceiling.submitsPerSecond).toLocaleString('en')} messages/s; ratio ${(perSecond / ceiling.submitsPerSecond * 100).toFixed(0)}% (target 60%)`);
    console.log(
      `  transactional during the campaign (${latencies.length}): sendMessage to submit_sm at the simulator p50 ${Math.round(percentile(latencies, 50))} ms, p99 ${Math.round(percentile(latencies, 99))} ms, max ${Math.round(latencies[latencies.length - 1] ?? NaN)} ms (target p99 < 250 ms)`,
    );
    console.log(`    of which the sendMessage request itself (its answer): p50 ${Math.round(percentile(answers, 50))} ms, p99 ${Math.round(percentile(answers, 99))} ms`);
    console.log(`    and from the answer to the simulator (the bus, the claim, the carrier link): p50 ${Math.round(percentile(afterAnswers, 50))} ms, p99 ${Math.round(percentile(afterAnswers, 99))} ms`);
    if (args.loop) await printLoopProbes(probeDir);
    if (args.statements) await printStatements(db, RECIPIENTS, 25);
  } finally {
    for (const running of processes) await running.terminate();
    await db.end().catch(() => undefined);
    await simulator.stop();
    await database.stop();
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

await main();
