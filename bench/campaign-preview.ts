/**
 * `npx tsx bench/campaign-preview.ts`: a campaign to a list of 1,000,000 contacts (1% fixed
 * lines, 0.5% blacklisted, a dynamic field), on a fresh embedded PostgreSQL under
 * .data/bench-campaign-* (removed at the end). Prints the time of:
 * - campaignPreview with a personalised text (`{firstname}`, `{ville}`) and with a plain one;
 * - sendCampaign (the same preview, then the hold and the job in one transaction);
 * - the materialisation of every message row (CAMPAIGN_CHUNK_SIZE rows per transaction), rows/s.
 * Nothing is dispatched (ROLE=api: no worker runs). ROWS=200000 for a quicker run; STATEMENTS=1
 * prints PostgreSQL's statements of the materialisation by total time. Figures only:
 * no assertion but the counts, which must be exact.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMigrations } from '../src/db/migrate.js';
import { startBenchPostgres } from './support/statements.js';

const ROWS = Number(process.env['ROWS'] ?? 1_000_000);
/** STATEMENTS=1: PostgreSQL's statements of the materialisation by total time (pg_stat_statements). */
const STATEMENTS = process.env['STATEMENTS'] === '1';

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

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(2);

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const workDir = path.join(root, '.data', `bench-campaign-${randomBytes(3).toString('hex')}`);
  const database = await startBenchPostgres({ dataDir: path.join(workDir, 'postgres'), port: await freePort(), databaseName: 'bench', persistent: true }, STATEMENTS);
  try {
    await applyMigrations(database.url);
    Object.assign(process.env, { DATABASE_URL: database.url, ROLE: 'api', LOG_LEVEL: 'warn', DATA_DIR: workDir, NODE_ENV: 'test' });
    const { prisma, pool, closeDatabase } = await import('../src/db/client.js');
    const { startJobs, stopJobs } = await import('../src/jobs/boss.js');
    const { stopEventBus } = await import('../src/events/bus.js');
    const { setContactFields } = await import('../src/domain/contacts/contact-fields.js');
    const { createContactList } = await import('../src/domain/contacts/contact-lists.js');
    const { credit } = await import('../src/domain/credit/ledger.js');
    const { createCampaign, updateCampaign } = await import('../src/domain/campaigns/campaigns.js');
    const { campaignPreview } = await import('../src/domain/campaigns/campaign-preview.js');
    const { sendCampaign } = await import('../src/domain/campaigns/send-campaign.js');
    const { materializeCampaign } = await import('../src/domain/campaigns/materialize-campaign.js');
    const { config } = await import('../src/config.js');
    await startJobs(); // to enqueue the job; this process runs no worker

    const account = await prisma.account.create({
      data: { name: 'Bench', companyNumber: '73282932000074', street: '1 rue', postalCode: '75002', city: 'Paris', country: 'FR', status: 'ACTIVE', planCode: 'ENTERPRISES', serviceMessagesConsentAt: new Date() },
    });
    const actor = { kind: 'USER' as const, accountId: account.id, role: 'OWNER' as const, userId: null, apiKeyId: null };
    await setContactFields(actor, ['ville']);
    const list = await createContactList(actor, { name: 'Bench' });
    let started = performance.now();
    // Mobiles 061-068 and 073-079 spread all over the numbering plan; every 100th contact a fixed line; every 200th blacklisted.
    await pool.query(
      `INSERT INTO contact (account_id, number, calling_code, first_name, last_name, field_1)
       SELECT $1::uuid,
              CASE WHEN i % 100 = 0 THEN '+331' || lpad((40000000 + i)::text, 8, '0')
                   WHEN i % 2 = 0 THEN '+336' || lpad(((i::bigint * 7919) % 80000000 + 10000000)::text, 8, '0')
                   ELSE '+337' || lpad(((i::bigint * 7919) % 70000000 + 30000000)::text, 8, '0') END,
              '33', (ARRAY['Jean','Marie','Léa','Zoé','Luc','Hélène'])[1 + i % 6], 'Martin', (ARRAY['Paris','Lyon','Nice','Lille'])[1 + i % 4]
         FROM generate_series(1, $2::int) AS i
       ON CONFLICT DO NOTHING`,
      [account.id, ROWS],
    );
    await pool.query(`INSERT INTO contact_list_member (list_id, contact_id) SELECT $1::uuid, id FROM contact WHERE account_id = $2::uuid`, [list.id, account.id]);
    await pool.query(
      `INSERT INTO blacklist_entry (id, account_id, number, source) SELECT gen_random_uuid(), account_id, number, 'MANUAL' FROM contact
        WHERE account_id = $1::uuid AND number NOT LIKE '+331%' AND (hashtext(number) % 200) = 0`,
      [account.id],
    );
    await pool.query('ANALYZE');
    const { rows: counts } = await pool.query<{ contacts: number; blacklisted: number }>(
      `SELECT (SELECT count(*)::int FROM contact WHERE account_id = $1) AS contacts, (SELECT count(*)::int FROM blacklist_entry WHERE account_id = $1) AS blacklisted`,
      [account.id],
    );
    console.log(`seeded ${counts[0]!.contacts.toLocaleString('en')} contacts (${counts[0]!.blacklisted.toLocaleString('en')} blacklisted) in ${seconds(started)} s`);
    await credit(prisma, account.id, 'TOP_UP', 1_000_000 * 1_000_000, { reason: 'bench' });

    const campaign = await createCampaign(actor, {
      name: 'Bench',
      type: 'MARKETING',
      sender: 'BENCH',
      text: 'Bonjour {firstname}, -20 % à {ville} ce week-end !',
      recipients: { listIds: [list.id] },
    });
    for (const [label, text] of [
      ['personalised text', 'Bonjour {firstname}, -20 % à {ville} ce week-end !'],
      ['plain text (fast path)', 'Soldes : -20 % ce week-end dans tous nos magasins !'],
      ['personalised text', 'Bonjour {firstname}, -20 % à {ville} ce week-end !'],
    ] as const) {
      await updateCampaign(actor, campaign.id, { text });
      started = performance.now();
      const preview = await campaignPreview(actor, campaign.id);
      console.log(
        `campaignPreview, ${label}: ${seconds(started)} s — ${preview.recipients.toLocaleString('en')} recipients, ${preview.blacklisted} blacklisted, ` +
          `${preview.invalid} invalid, ${preview.segments.total.toLocaleString('en')} SMS, ${(preview.cost / 1e6).toFixed(2)} €`,
      );
    }

    started = performance.now();
    const sent = await sendCampaign(actor, { campaignId: campaign.id, idempotencyKey: `bench-${campaign.id}` });
    console.log(`sendCampaign (preview + hold + job, one request): ${seconds(started)} s, reserved ${sent.reserved} €`);

    if (STATEMENTS) {
      await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await pool.query('SELECT pg_stat_statements_reset()');
    }
    started = performance.now();
    const written = await materializeCampaign(campaign.id);
    const took = (performance.now() - started) / 1000;
    console.log(
      `materialisation: ${written.written.toLocaleString('en')} rows in ${written.chunks} chunks of ${config.campaigns.chunkSize.toLocaleString('en')} in ${took.toFixed(1)} s = ` +
        `${Math.round(written.written / took).toLocaleString('en')} rows/s`,
    );
    if (STATEMENTS) {
      const { rows: statements } = await pool.query<{ total: number; calls: string; rows: string; query: string }>(
        `SELECT total_exec_time AS total, calls::text, rows::text, query FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 12`,
      );
      console.log('PostgreSQL statements of the materialisation by total execution time:');
      for (const statement of statements) {
        console.log(`  ${(statement.total / 1000).toFixed(2).padStart(6)} s ${statement.calls.padStart(6)} calls ${statement.rows.padStart(8)} rows  ${statement.query.replace(/\s+/g, ' ').slice(0, 160)}`);
      }
    }
    const { rows: check } = await pool.query<{ on_hold: number; blacklisted: number; cost: string; materialized: string }>(
      `SELECT count(*) FILTER (WHERE status = 'ON_HOLD')::int AS on_hold, count(*) FILTER (WHERE status = 'BLACKLISTED')::int AS blacklisted,
              sum(price) FILTER (WHERE status = 'ON_HOLD')::text AS cost, (SELECT materialized_cost::text FROM campaign WHERE id = $1) AS materialized
         FROM message WHERE campaign_id = $1`,
      [campaign.id],
    );
    const c = check[0]!;
    console.log(`rows: ${c.on_hold.toLocaleString('en')} ON_HOLD + ${c.blacklisted.toLocaleString('en')} BLACKLISTED; cost ${c.cost} € (materialized_cost ${c.materialized}); ` +
      `${c.on_hold === sent.preview!.recipients && c.blacklisted === sent.preview!.blacklisted ? 'EXACT' : 'MISMATCH'} against the preview`);

    await stopJobs();
    await stopEventBus();
    await closeDatabase();
  } finally {
    await database.stop();
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
