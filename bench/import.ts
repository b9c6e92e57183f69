/**
 * `npm run bench:import`: a generated 1,000,000-row CSV (mixed national and international French
 * formats, 5% duplicates, 1% invalid) imported into an empty list, then again into the same list
 * (which then already holds every number); rows per second of each run, the exact counts checked,
 * the p95 of contact searches on the resulting million-contact account, and a same-run baseline:
 * PostgreSQL's own COPY of the same file into a plain table.
 *
 * Runs on a fresh embedded PostgreSQL (durable settings, as in production) under
 * .data/bench-import-*, removed at the end. ROWS=200000 npm run bench:import for a quicker run,
 * WRITERS=1 to write one batch at a time.
 * The machine's load average is printed with each figure: on a shared machine the same run
 * varies by a factor of two; compare runs through their ratio to the raw COPY of the same run.
 * Exits with code 1 when the counts are not exactly the expected ones.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { from as copyFrom } from 'pg-copy-streams';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { applyMigrations } from '../src/db/migrate.js';
import type { ImportProfile } from '../src/domain/contacts/contact-import.js';

const ROWS = Number(process.env['ROWS'] ?? 1_000_000);
const SEARCHES = 300;
/** Batches written at once (default: the import's own setting). */
const WRITERS = process.env['WRITERS'] ? Number(process.env['WRITERS']) : undefined;

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

const FIRST = ['Jean', 'Marie', 'Pierre', 'Sophie', 'Luc', 'Camille', 'Hélène', 'Nicolas', 'Julie', 'Thomas', 'Léa', 'Antoine'];
const LAST = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent'];
const CITIES = ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Nice', 'Nantes', 'Lille', 'Rennes'];

/** Writes the CSV; returns the exact figures an import must end with. */
async function generateCsv(file: string): Promise<{ unique: number; duplicates: number; invalid: number }> {
  const handle = await fs.open(file, 'w');
  const formats = [
    (n: string) => `0${n}`,
    (n: string) => `0${n[0]} ${n.slice(1, 3)} ${n.slice(3, 5)} ${n.slice(5, 7)} ${n.slice(7)}`,
    (n: string) => `+33 ${n[0]} ${n.slice(1, 3)} ${n.slice(3, 5)} ${n.slice(5, 7)} ${n.slice(7)}`,
    (n: string) => `0033${n}`,
    (n: string) => `+33${n}`,
    (n: string) => `0${n[0]}.${n.slice(1, 3)}.${n.slice(3, 5)}.${n.slice(5, 7)}.${n.slice(7)}`,
  ];
  const numbers: string[] = [];
  let unique = 0;
  let duplicates = 0;
  let invalid = 0;
  let chunk = 'telephone;prenom;nom;ville\n';
  for (let row = 1; row <= ROWS; row++) {
    let cell: string;
    if (row % 100 === 50) {
      cell = row % 200 === 50 ? `06 12 ${row % 100}` : `n/a ${row}`;
      invalid++;
    } else if (row % 20 === 7 && numbers.length > 0) {
      const earlier = numbers[(row * 7919) % numbers.length]!;
      cell = formats[(row + 3) % formats.length]!(earlier);
      duplicates++;
    } else {
      // French mobile numbers 06 xx xx xx xx, distinct per row.
      const national = `6${String(row * 7).padStart(8, '0')}`;
      numbers.push(national);
      cell = formats[row % formats.length]!(national);
      unique++;
    }
    chunk += `${cell};${FIRST[row % FIRST.length]};${LAST[(row * 7) % LAST.length]};${CITIES[row % CITIES.length]}\n`;
    if (chunk.length > 1 << 20) {
      await handle.write(chunk);
      chunk = '';
    }
  }
  await handle.write(chunk);
  await handle.close();
  return { unique, duplicates, invalid };
}

/** The 1-minute load average, and the 5-minute one: other work on the machine skews figures. */
function load(): string {
  const [one, five] = os.loadavg();
  return `${one!.toFixed(1)} (5 min ${five!.toFixed(1)})`;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  // Under the project's .data (the embedded server's user may not read the system temp dir).
  const workDir = path.join(fileURLToPath(new URL('../.data/', import.meta.url)), `bench-import-${process.pid}`);
  await fs.mkdir(workDir, { recursive: true, mode: 0o755 });
  const database = await startEmbeddedPostgres({ dataDir: path.join(workDir, 'postgres'), port: await freePort(), databaseName: 'bench', persistent: true });
  try {
    await applyMigrations(database.url);
    Object.assign(process.env, { DATABASE_URL: database.url, ROLE: 'api', LOG_LEVEL: 'warn', DATA_DIR: workDir, NODE_ENV: 'test' });
    const { prisma, pool, closeDatabase } = await import('../src/db/client.js');
    const { startJobs, stopJobs } = await import('../src/jobs/boss.js');
    const { startContactImport, runContactImport } = await import('../src/domain/contacts/contact-import.js');
    const { searchContacts } = await import('../src/domain/contacts/contacts.js');
    const { createContactList } = await import('../src/domain/contacts/contact-lists.js');
    const { setContactFields } = await import('../src/domain/contacts/contact-fields.js');
    const { stopEventBus } = await import('../src/events/bus.js');
    await startJobs(); // to enqueue; this process runs no worker (ROLE=api): the bench runs the job itself

    const csvFile = path.join(workDir, 'contacts.csv');
    let started = performance.now();
    const expected = await generateCsv(csvFile);
    const bytes = await fs.readFile(csvFile);
    console.log(`generated ${ROWS.toLocaleString('en')} rows (${(bytes.length / 1e6).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
      `${expected.unique} unique numbers, ${expected.duplicates} duplicates, ${expected.invalid} invalid`);

    const account = await prisma.account.create({
      data: { name: 'Bench', companyNumber: '73282932000074', street: '1 rue', postalCode: '75002', city: 'Paris', country: 'FR', status: 'ACTIVE', planCode: 'ENTERPRISES', serviceMessagesConsentAt: new Date() },
    });
    const actor = { kind: 'USER' as const, accountId: account.id, role: 'OWNER' as const, userId: null, apiKeyId: null };
    await setContactFields(actor, ['ville']);
    const list = await createContactList(actor, { name: 'Bench', defaultCountryPrefix: '+33' });

    const runs: { label: string; seconds: number }[] = [];
    for (const label of ['into an empty list', 'again into the list that holds them']) {
      started = performance.now();
      const job = await startContactImport(actor, { fileName: 'contacts.csv', content: bytes, listId: list.id });
      const profile: ImportProfile = { parseMs: 0, lookupMs: 0, copyMs: 0, mergeMs: 0, orderMs: 0, errorsAndCommitMs: 0 };
      const result = await runContactImport(job.id, { profile, ...(WRITERS ? { writers: WRITERS } : {}) });
      const seconds = (performance.now() - started) / 1000;
      const done = await prisma.contactImport.findUniqueOrThrow({ where: { id: job.id } });
      runs.push({ label, seconds });
      console.log(`import ${label}: ${result} in ${seconds.toFixed(1)} s = ${Math.round(ROWS / seconds).toLocaleString('en')} rows/s ` +
        `(created ${done.created}, updated ${done.updated}, added to list ${done.addedToList}, duplicates ${done.duplicatesInFile}, errors ${done.errorRows})`);
      console.log(`  phases, summed over the writers and overlapping the parsing: ${Object.entries(profile).map(([phase, ms]) => `${phase.replace(/Ms$/, '')} ${(ms / 1000).toFixed(1)} s`).join(', ')}`);
      console.log(`  load average ${load()} (${os.availableParallelism()} cores)`);
    }
    const contacts = await prisma.contact.count({ where: { accountId: account.id } });
    const members = await prisma.contactListMember.count({ where: { listId: list.id } });
    const errors = await prisma.contactImportError.count({ where: { import: { accountId: account.id } } });
    const exact = contacts === expected.unique && members === expected.unique && errors === 2 * expected.invalid;
    console.log(`contacts ${contacts} (expected ${expected.unique}), list members ${members}, error rows ${errors} (expected ${2 * expected.invalid} over both runs): ${exact ? 'EXACT' : 'MISMATCH'}`);
    if (!exact) process.exitCode = 1;

    // Baseline: the server parsing and storing the same file itself, no checks at all.
    const client = await pool.connect();
    await client.query('CREATE TABLE bench_copy (telephone text, prenom text, nom text, ville text)');
    started = performance.now();
    await pipeline(createReadStream(csvFile), client.query(copyFrom("COPY bench_copy FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)")));
    const baselineSeconds = (performance.now() - started) / 1000;
    client.release();
    const baseline = ROWS / baselineSeconds;
    console.log(`baseline raw COPY of the same file into a plain table: ${baselineSeconds.toFixed(1)} s = ${Math.round(baseline).toLocaleString('en')} rows/s (load average ${load()})`);
    for (const run of runs) console.log(`  import ${run.label}: ${((ROWS / run.seconds / baseline) * 100).toFixed(0)}% of raw COPY (x${(run.seconds / baselineSeconds).toFixed(1)} the time)`);

    await pool.query('ANALYZE contact');
    const kinds = ['numberPrefix', 'name', 'field', 'list+prefix'] as const;
    const timings: Record<string, number[]> = { all: [] };
    for (let index = 0; index < SEARCHES; index++) {
      const kind = kinds[index % kinds.length]!;
      const random = randomBytes(4).readUInt32BE();
      const search =
        kind === 'numberPrefix' ? { numberPrefix: `+336${String(random % 10000).padStart(4, '0')}` }
        : kind === 'name' ? { name: `${FIRST[random % FIRST.length]!.slice(0, 4)} ${LAST[random % LAST.length]!.slice(1, 5)}` }
        : kind === 'field' ? { field: { name: 'ville', value: CITIES[random % CITIES.length]! } }
        : { listId: list.id, numberPrefix: `+337${String(random % 1000).padStart(3, '0')}` };
      const t0 = performance.now();
      await searchContacts(prisma, account.id, search, { take: 21, include: { tags: true } });
      const elapsed = performance.now() - t0;
      (timings[kind] ??= []).push(elapsed);
      timings['all']!.push(elapsed);
    }
    for (const [kind, values] of Object.entries(timings)) {
      console.log(`search ${kind.padEnd(12)} p50 ${percentile(values, 50).toFixed(1)} ms, p95 ${percentile(values, 95).toFixed(1)} ms (${values.length} searches, first page of 20, ${contacts.toLocaleString('en')} contacts)`);
    }
    await stopJobs();
    await stopEventBus();
    await closeDatabase();
  } finally {
    await database.stop();
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

await main();
