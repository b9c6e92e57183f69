/**
 * `npm run bench:inbox`: live inboxes of chat agents while customers' replies pour in.
 *
 * - A fresh embedded PostgreSQL (durable settings) under .data/bench-inbox-*, removed at the end.
 * - Three processes besides this one: the carrier simulator (`spawnCarrierSimulator`), a WORKER
 *   (`src/main.ts`, ROLE=worker, built-in simulator off, CARRIERS pointing at the simulator) that
 *   receives the deliver_sm, stores and routes the replies and publishes the events, and ONE API
 *   process (ROLE=api) that serves the subscribers. Events cross from the worker to the API through
 *   PostgreSQL LISTEN/NOTIFY, as in production.
 * - Set-up in SQL: 100 accounts with 100 agents each (members with the AGENT role), and for every
 *   agent 2 open conversations assigned to them through the shared short code 36111, with the
 *   account's last message to the contact recorded as handed to the carrier an hour ago, so that a
 *   reply is routed to the account by the short-code rule (the last sender through it).
 *   Access tokens are minted with the domain's `issueAccessToken` (the API's own signing key).
 * - 10,000 WebSocket connections (graphql-ws protocol, `ws` directly), one per agent, each with
 *   two subscriptions: `messageReceived` and `conversationUpdated`.
 * - Memory of the API process per idle connection: RSS and V8 heap (after a full GC) before and
 *   after opening the connections (with their subscriptions), divided by their number.
 * - Latency at REPLIES_PER_SECOND (default 500): from the bench's `injectInbound` call (the HTTP
 *   request to the simulator's control, just before the simulator writes the deliver_sm; the
 *   control's own round trip is included) to the event's arrival at the agent's WebSocket client,
 *   for both subscriptions; p50 / p90 / p99 / max per round, over several rounds.
 *
 *   npm run bench:inbox -- [--accounts 100] [--agents 100] [--rate 500] [--seconds 20] [--rounds 3] [--warmup 15]
 *                          [--unassigned 0]   (percent of conversations left in the queue: their
 *                                              replies go to every agent of the account)
 *                          [--subscribe both] (or messages, conversations, none: which subscriptions
 *                                              each connection opens)
 *
 * Profiling: --statements prints PostgreSQL's busiest statements of the rounds (pg_stat_statements).
 * The API process: MEMORY_PROBE_CPU_PROFILE=/tmp/profiles writes a CPU profile of the load
 * rounds, MEMORY_PROBE_HEAP_SNAPSHOTS=/tmp/snapshots a heap snapshot at each memory sample (see
 * bench/support/memory-probe.mjs); INBOX_API_NODE_OPTIONS adds Node options to the API process,
 * INBOX_API_OUTPUT=<file> writes its output there at the end (e.g. with --trace-gc).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import WebSocket from 'ws';
import { applyMigrations } from '../src/db/migrate.js';
import { startBenchPostgres } from './support/statements.js';
import { simulatorCarrier } from '../src/gateways/carriers/carrier-settings.js';
import { freePort, spawnCarrierSimulator } from '../src/simulator/child-process.js';
import { startPlatformProcess, type PlatformProcess } from '../test/support/process.js';

const { values: args } = parseArgs({
  options: {
    accounts: { type: 'string', default: '100' },
    agents: { type: 'string', default: '100' },
    'conversations-per-agent': { type: 'string', default: '2' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    unassigned: { type: 'string', default: '0' },
    // Steady state: with 5 s, the first round still ran while the API process's code and heap settled (p99 +30-50 ms).
    warmup: { type: 'string', default: '15' },
    subscribe: { type: 'string', default: 'both' },
    statements: { type: 'boolean', default: false },
  },
});
const ACCOUNTS = Number(args.accounts);
const AGENTS_PER_ACCOUNT = Number(args.agents);
const CONVERSATIONS_PER_AGENT = Number(args['conversations-per-agent']);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const UNASSIGNED_PERCENT = Number(args.unassigned);
const WARMUP_SECONDS = Number(args.warmup);
const SUBSCRIPTIONS = { both: ['m', 'c'], messages: ['m'], conversations: ['c'], none: [] }[args.subscribe as 'both'];
if (!SUBSCRIPTIONS) throw new Error('--subscribe is both, messages, conversations or none');
const CONNECTIONS = ACCOUNTS * AGENTS_PER_ACCOUNT;
const SHORT_CODE = '36111';
const CONNECT_CONCURRENCY = 200;

const projectRoot = fileURLToPath(new URL('../', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const MESSAGE_RECEIVED = /* GraphQL */ `
  subscription InboxMessages {
    messageReceived { id direction text optOut at }
  }`;
const CONVERSATION_UPDATED = /* GraphQL */ `
  subscription InboxConversations {
    conversationUpdated { id status unreadCount lastMessageAt assignedAgent { id } }
  }`;

interface Conversation {
  uuid: string;
  globalId: string;
  contactNumber: string;
}

/** What arrives at the clients, by what it is about. */
interface Arrivals {
  messageReceived: number[];
  conversationUpdated: number[];
  errors: string[];
}

/** When each reply was injected: by its sequence number (in its text) and by its conversation. */
const sentAtBySequence = new Map<number, number>();
/** The same instants on the wall clock, to compare with the times the worker and the database record. */
const sentWallClockBySequence = new Map<number, number>();
const injection = { failed: 0, firstError: null as string | null };
const sentAtByConversation = new Map<string, number>();
let arrivals: Arrivals = { messageReceived: [], conversationUpdated: [], errors: [] };
let sequence = 0;

/** A minimal graphql-ws (graphql-transport-ws) client: connection_init, two subscriptions, `next` messages. */
function openInbox(wsUrl: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
    const failed = (why: string) => reject(new Error(why));
    socket.once('error', (error) => failed(error.message));
    socket.once('close', (code, reason) => failed(`closed ${code} ${reason.toString()}`));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string; id?: string; payload?: { data?: Record<string, { text?: string; id?: string }>; message?: string } };
      const now = performance.now();
      switch (message.type) {
        case 'connection_ack':
          for (const id of SUBSCRIPTIONS) socket.send(JSON.stringify({ type: 'subscribe', id, payload: { query: id === 'm' ? MESSAGE_RECEIVED : CONVERSATION_UPDATED } }));
          socket.removeAllListeners('close');
          socket.removeAllListeners('error');
          socket.on('close', (code) => arrivals.errors.push(`connection closed (${code})`));
          socket.on('error', (error) => arrivals.errors.push(error.message));
          resolve(socket);
          return;
        case 'ping':
          socket.send(JSON.stringify({ type: 'pong' }));
          return;
        case 'next': {
          const text = message.payload?.data?.['messageReceived']?.text;
          if (text !== undefined) {
            const sentAt = sentAtBySequence.get(Number(/#(\d+)$/.exec(text)?.[1]));
            if (sentAt !== undefined) arrivals.messageReceived.push(now - sentAt);
            return;
          }
          const conversationId = message.payload?.data?.['conversationUpdated']?.id;
          const sentAt = conversationId === undefined ? undefined : sentAtByConversation.get(conversationId);
          if (sentAt !== undefined) arrivals.conversationUpdated.push(now - sentAt);
          return;
        }
        case 'error':
        case 'complete':
          arrivals.errors.push(`${message.type} ${message.id}: ${JSON.stringify(message.payload)}`);
          return;
      }
    });
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

function describeLatencies(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  return `p50 ${f(percentile(sorted, 50))}, p90 ${f(percentile(sorted, 90))}, p99 ${f(percentile(sorted, 99))}, max ${f(sorted.at(-1) ?? NaN)} (${sorted.length.toLocaleString('en')} events)`;
}

/** CPU seconds (user + system) a process has used, with its children's (those alive, and those it waited for). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let seconds = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  for (const child of await childPids(pid)) seconds += await cpuSeconds(child);
  return seconds;
}

async function childPids(pid: number): Promise<number[]> {
  const children = await fs.readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return children.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** The children of a process, with their command line and the CPU seconds they used (their own). */
async function processesUnder(pid: number): Promise<Map<number, { name: string; seconds: number }>> {
  const processes = new Map<number, { name: string; seconds: number }>();
  for (const child of await childPids(pid)) {
    const stat = await fs.readFile(`/proc/${child}/stat`, 'utf8').catch(() => '');
    const name = (await fs.readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ').trim();
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    processes.set(child, { name, seconds: (Number(fields[11]) + Number(fields[12])) / 100 });
  }
  return processes;
}

/** The PostgreSQL server started on that data directory (its backends are its children). */
async function postmasterPid(dataDir: string): Promise<number> {
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const commandLine = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes(dataDir) && commandLine.split('\0').includes('-D')) return Number(entry);
  }
  return 0;
}

/** Busy and total CPU time of the whole machine (all cores), in seconds. */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await fs.readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}

interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Asks the API process for its memory after a full GC (bench/support/memory-probe.mjs). */
async function apiMemory(api: PlatformProcess, pid: number, workerPid: number): Promise<MemorySample> {
  const before = api.output().length;
  process.kill(workerPid, 'SIGUSR2');
  process.kill(pid, 'SIGUSR2');
  for (let attempt = 0; attempt < 1200; attempt++) {
    await sleep(50);
    const line = /\[memory-probe\] (\{.*\})/.exec(api.output().slice(before))?.[1];
    if (line) return JSON.parse(line) as MemorySample;
  }
  throw new Error('the API process did not report its memory');
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

async function main(): Promise<void> {
  const workDir = path.join(projectRoot, '.data', `bench-inbox-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(workDir, { recursive: true, mode: 0o755 });
  const databaseOptions = { dataDir: path.join(workDir, 'postgres'), port: await freePort(), databaseName: 'bench', persistent: true };
  const database = await startBenchPostgres(databaseOptions, args.statements);
  const simulator = await spawnCarrierSimulator({});
  const db = new pg.Client({ connectionString: database.url });
  const sockets: WebSocket[] = [];
  let worker: PlatformProcess | null = null;
  let api: PlatformProcess | null = null;
  try {
    await applyMigrations(database.url);
    await db.connect();
    if (args.statements) await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    // The bench mints access tokens with the platform's own signing key, kept under DATA_DIR.
    Object.assign(process.env, { DATABASE_URL: database.url, DATA_DIR: workDir, NODE_ENV: 'test', LOG_LEVEL: 'warn', ACCESS_TOKEN_TTL_SECONDS: '86400' });
    const { issueAccessToken } = await import('../src/domain/auth/access-tokens.js');

    const cpus = os.cpus();
    console.log(`bench:inbox: ${ACCOUNTS} accounts x ${AGENTS_PER_ACCOUNT} agents = ${CONNECTIONS.toLocaleString('en')} WebSocket subscribers (subscriptions: ${args.subscribe}), ` +
      `${RATE} replies/s for ${SECONDS} s x ${ROUNDS} rounds, ${UNASSIGNED_PERCENT}% of conversations unassigned`);
    console.log(`  machine: ${cpus.length} x ${cpus[0]?.model ?? '?'}, ${mb(os.totalmem())} RAM, load average ${os.loadavg().map((value) => value.toFixed(2)).join(' ')} ` +
      `(shared with other sessions: figures are noisy), Node ${process.version}, ulimit -n ${await fileLimit()}`);

    const connection = simulatorCarrier(simulator.host, simulator.port);
    // Both platform processes load the memory probe: the worker's answers are not read, but it profiles too (MEMORY_PROBE_CPU_PROFILE).
    const probe = `--expose-gc --import=${path.join(projectRoot, 'bench/support/memory-probe.mjs')}`;
    const common = { DATABASE_URL: database.url, DATA_DIR: workDir, LOG_LEVEL: 'warn', ACCESS_TOKEN_TTL_SECONDS: '86400' };
    [worker, api] = await Promise.all([
      startPlatformProcess({ ...common, ROLE: 'worker', CARRIER_SIMULATOR: 'false', CARRIERS: JSON.stringify([connection]), NODE_OPTIONS: probe }),
      startPlatformProcess({
        ...common,
        ROLE: 'api',
        NODE_OPTIONS: `${probe} ${process.env['INBOX_API_NODE_OPTIONS'] ?? ''}`,
      }),
    ]);
    const apiPid = Number(/\[memory-probe\] ready (\d+)/.exec(api.output())?.[1]);
    if (!apiPid) throw new Error(`the API process did not load the memory probe:\n${api.output()}`);
    const workerPid = Number(/\[memory-probe\] ready (\d+)/.exec(worker.output())?.[1]);
    if (!workerPid) throw new Error(`the worker process did not load the memory probe:\n${worker.output()}`);
    const wsUrl = `${(api.url as string).replace(/^http/, 'ws')}/graphql`;
    const simulatorPid = (await childPids(simulator.pid))[0] ?? simulator.pid;
    const postgresPid = await postmasterPid(workDir);
    /** CPU seconds of each process of the run, and the machine's (busy and total, all cores). */
    const cpuOfTheRun = async () => {
      const bench = process.cpuUsage();
      const machine = await machineCpu();
      return {
        api: await cpuSeconds(apiPid),
        worker: await cpuSeconds(workerPid),
        simulator: await cpuSeconds(simulatorPid),
        postgres: await cpuSeconds(postgresPid),
        bench: (bench.user + bench.system) / 1e6,
        busy: machine.busy,
        total: machine.total,
      };
    };

    // ---- Set-up (SQL) ----
    let started = performance.now();
    const { rows: accounts } = await db.query<{ id: string }>(
      `INSERT INTO account (id, name, company_number, street, postal_code, city, country, status, plan_code, service_messages_consent_at)
       SELECT uuidv7(), 'Bench ' || a, '73282932000074', '1 rue de la Paix', '75002', 'Paris', 'FR', 'ACTIVE', 'ENTERPRISES', now()
         FROM generate_series(1, $1::int) a
       RETURNING id::text`,
      [ACCOUNTS],
    );
    const { rows: agents } = await db.query<{ user_id: string; account_id: string }>(
      `WITH a AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM account WHERE id = ANY($1::uuid[])),
            u AS (
              INSERT INTO "user" (id, email, password_hash, first_name, last_name, mobile, mobile_confirmed_at)
              SELECT uuidv7(), 'agent-' || a.n || '-' || g || '@bench.example', '!', 'Agent', g::text, '+3360' || lpad((a.n * 1000 + g)::text, 7, '0'), now()
                FROM a, generate_series(1, $2::int) g
              RETURNING id, email
            ),
            m AS (
              INSERT INTO membership (id, user_id, account_id, role)
              SELECT uuidv7(), u.id, a.id, 'AGENT' FROM u JOIN a ON u.email LIKE 'agent-' || a.n || '-%'
              RETURNING user_id, account_id
            )
       SELECT user_id::text, account_id::text FROM m ORDER BY account_id, user_id`,
      [accounts.map((row) => row.id), AGENTS_PER_ACCOUNT],
    );
    // Conversations through the shared short code, each with the account's message to the contact recorded as sent an hour ago.
    const { rows: conversationRows } = await db.query<{ id: string; contact_number: string }>(
      `WITH agent AS (
         SELECT user_id, account_id, row_number() OVER (ORDER BY account_id, user_id) - 1 AS n
           FROM unnest($1::uuid[], $2::uuid[]) AS t(user_id, account_id)
       ), c AS (
         INSERT INTO conversation (id, account_id, platform_number, contact_number, status, assigned_user_id, last_message_at, opened_at, waiting_since)
         SELECT uuidv7(), agent.account_id, $3, '+3361' || lpad((agent.n * $4::int + k)::text, 7, '0'), 'OPEN',
                CASE WHEN (agent.n * $4::int + k) % 100 < $5::int THEN NULL ELSE agent.user_id END,
                now() - interval '1 hour', now() - interval '1 hour',
                CASE WHEN (agent.n * $4::int + k) % 100 < $5::int THEN now() - interval '1 hour' END
           FROM agent, generate_series(0, $4::int - 1) k
         RETURNING id, account_id, contact_number
       ), m AS (
         INSERT INTO message (account_id, kind, priority, sender, recipient, country, text, segments, price, charged, status, submitted_at, final_at, connection, created_at)
         SELECT account_id, 'TRANSACTIONAL', 0, $3, contact_number, 'FR', 'Votre commande est prête. Répondez pour choisir un créneau.', 1, 0.075, true, 'DELIVERED',
                now() - interval '1 hour', now() - interval '1 hour', $6, now() - interval '1 hour'
           FROM c
       )
       SELECT id::text, contact_number FROM c`,
      [agents.map((row) => row.user_id), agents.map((row) => row.account_id), SHORT_CODE, CONVERSATIONS_PER_AGENT, UNASSIGNED_PERCENT, connection.name],
    );
    await db.query('VACUUM ANALYZE account, "user", membership, conversation, message');
    const conversations: Conversation[] = conversationRows.map((row) => ({
      uuid: row.id,
      globalId: Buffer.from(`Conversation:${row.id}`).toString('base64'),
      contactNumber: row.contact_number,
    }));
    // Spread each second's replies over accounts and agents: a fixed shuffle of the conversations.
    for (let i = conversations.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [conversations[i], conversations[j]] = [conversations[j] as Conversation, conversations[i] as Conversation];
    }
    const tokens = await Promise.all(agents.map(async (agent) => (await issueAccessToken({ userId: agent.user_id, accountId: agent.account_id, role: 'AGENT' })).token));
    console.log(`  set-up: ${accounts.length} accounts, ${agents.length.toLocaleString('en')} agents, ${conversations.length.toLocaleString('en')} open conversations ` +
      `(and their outbound messages) in SQL, ${tokens.length.toLocaleString('en')} access tokens minted, in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // ---- Memory per idle connection ----
    // Warm-up: a few connections and a reply each way, so that caches (schema, parsed documents, pools) exist before the first sample.
    const warmSockets = await Promise.all(tokens.slice(0, 20).map((token) => openInbox(wsUrl, token)));
    await injectRound(simulator, conversations.slice(0, 20), 20, 1, 0);
    for (const socket of warmSockets) socket.removeAllListeners('close').close();
    await sleep(3000);
    const before = await apiMemory(api, apiPid, workerPid);

    started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECT_CONCURRENCY }, async () => {
        while (next < tokens.length) {
          const token = tokens[next++] as string;
          sockets.push(await openInbox(wsUrl, token));
        }
      }),
    );
    const connectSeconds = (performance.now() - started) / 1000;
    // Subscriptions start when the server has handled `subscribe` (no acknowledgement in the protocol): let them settle.
    await sleep(5000);
    if (arrivals.errors.length > 0) throw new Error(`${arrivals.errors.length} subscription error(s), first: ${arrivals.errors[0]}`);
    const after = await apiMemory(api, apiPid, workerPid);
    const perConnection = (key: keyof MemorySample) => (after[key] - before[key]) / sockets.length;
    console.log(`  ${sockets.length.toLocaleString('en')} connections opened and subscribed in ${connectSeconds.toFixed(1)} s (${Math.round(sockets.length / connectSeconds)} per second)`);
    console.log(`  API process memory (after full GC): RSS ${mb(before.rss)} -> ${mb(after.rss)}, heap used ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} (of ${mb(before.heapTotal)} -> ${mb(after.heapTotal)}), ` +
      `external ${mb(before.external)} -> ${mb(after.external)}`);
    console.log(`  per idle connection (${SUBSCRIPTIONS.length} subscription(s) each): RSS ${kb(perConnection('rss'))}, heap used ${kb(perConnection('heapUsed'))} (heap reserved ${kb(perConnection('heapTotal'))}), external ${kb(perConnection('external'))}   (target: under 20 kB)`);

    // ---- Latency under load ----
    // Steady state: a few seconds at the full rate first (compiled code, caches, pools), not measured.
    if (WARMUP_SECONDS > 0) {
      await injectRound(simulator, conversations, RATE, WARMUP_SECONDS, conversations.length - Math.round(RATE * WARMUP_SECONDS));
      await sleep(3000);
      console.log(`  warm-up: ${Math.round(RATE * WARMUP_SECONDS).toLocaleString('en')} replies in ${WARMUP_SECONDS} s, not measured`);
    }
    if (args.statements) await db.query('SELECT pg_stat_statements_reset()');
    const postgresProcessesBefore = args.statements ? await processesUnder(postgresPid) : new Map<number, { name: string; seconds: number }>();
    const summary: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      arrivals = { messageReceived: [], conversationUpdated: [], errors: [] };
      sentAtBySequence.clear();
      sentWallClockBySequence.clear();
      Object.assign(injection, { failed: 0, firstError: null });
      const roundStartedAt = new Date();
      sentAtByConversation.clear();
      const cpuBefore = await cpuOfTheRun();
      const startedRound = performance.now();
      const offset = ((round - 1) * RATE * SECONDS) % conversations.length;
      const sent = await injectRound(simulator, conversations, RATE, SECONDS, offset);
      const injectSeconds = (performance.now() - startedRound) / 1000;
      const expectedPerSubscription = expectedDeliveries(sent, conversations.length);
      const deadline = Date.now() + 15_000;
      const arrived = () => (SUBSCRIPTIONS.includes('m') ? arrivals.messageReceived.length : Infinity) >= expectedPerSubscription && (SUBSCRIPTIONS.includes('c') ? arrivals.conversationUpdated.length : Infinity) >= expectedPerSubscription;
      while (!arrived() && Date.now() < deadline) await sleep(100);
      const elapsed = (performance.now() - startedRound) / 1000;
      const cpuAfter = await cpuOfTheRun();
      const cpu = (key: keyof typeof cpuAfter) => `${(((cpuAfter[key] - cpuBefore[key]) / elapsed) * 100).toFixed(0)}%`;
      const ours = (['api', 'worker', 'simulator', 'postgres', 'bench'] as const).reduce((sum, key) => sum + cpuAfter[key] - cpuBefore[key], 0);
      const line = `round ${round}: messageReceived ${describeLatencies(arrivals.messageReceived)}; conversationUpdated ${describeLatencies(arrivals.conversationUpdated)}`;
      summary.push(line);
      console.log(`  ${line}`);
      console.log(`    ${sent.toLocaleString('en')} replies injected in ${injectSeconds.toFixed(1)} s (${Math.round(sent / injectSeconds)}/s); expected ${expectedPerSubscription.toLocaleString('en')} events per subscription` +
        `${arrivals.errors.length > 0 ? `; ${arrivals.errors.length} client error(s), first: ${arrivals.errors[0]}` : ''}`);
      if (injection.failed > 0) console.log(`    ${injection.failed} injection(s) failed, first: ${injection.firstError}`);
      console.log(`    stages: ${await describeStages(db, roundStartedAt)}`);
      console.log(`    CPU over ${elapsed.toFixed(1)} s (100% = one core): API ${cpu('api')}, worker ${cpu('worker')}, simulator ${cpu('simulator')}, PostgreSQL ${cpu('postgres')}, ` +
        `bench ${cpu('bench')}; the whole machine was ${(((cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total)) * 100).toFixed(0)}% busy, ` +
        `${((((cpuAfter.busy - cpuBefore.busy) - ours) / elapsed) * 100).toFixed(0)}% of a core for other work (other sessions)`);
      await sleep(2000);
    }
    if (args.statements) {
      const { rows: statements } = await db.query<{ query: string; calls: string; total: number; mean: number }>(
        `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls::text, total_exec_time AS total, mean_exec_time AS mean
           FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12`,
      );
      const postgresProcessesAfter = await processesUnder(postgresPid);
      const { rows: sessions } = await db.query<{ pid: number; application_name: string; query: string }>(
        `SELECT pid, application_name, regexp_replace(left(query, 70), '\\s+', ' ', 'g') AS query FROM pg_stat_activity`,
      );
      const sessionOf = new Map(sessions.map((session) => [session.pid, `${session.application_name || '-'}: ${session.query}`]));
      const byProcess = [...postgresProcessesAfter].map(([pid, { name, seconds }]) => ({
        name: `${name.replace(/^postgres: /, '')}  [${sessionOf.get(pid) ?? ''}]`,
        seconds: seconds - (postgresProcessesBefore.get(pid)?.seconds ?? 0),
      }));
      console.log('  PostgreSQL, processes by CPU over the rounds:');
      for (const { name, seconds } of byProcess.sort((a, b) => b.seconds - a.seconds).slice(0, 10)) console.log(`    ${seconds.toFixed(2).padStart(7)} s  ${name}`);
      console.log('  PostgreSQL, statements by total execution time over the rounds:');
      for (const statement of statements) {
        console.log(`    ${(statement.total / 1000).toFixed(2).padStart(7)} s  ${Number(statement.calls).toLocaleString('en').padStart(9)} calls  ${statement.mean.toFixed(3)} ms  ${statement.query.slice(0, 150)}`);
      }
    }
    const afterLoad = await apiMemory(api, apiPid, workerPid);
    console.log(`  API process memory after the rounds (after full GC): RSS ${mb(afterLoad.rss)}, heap used ${mb(afterLoad.heapUsed)} (of ${mb(afterLoad.heapTotal)}), ` +
      `external ${mb(afterLoad.external)} (array buffers ${mb(afterLoad.arrayBuffers)})`);
    // MEMORY_PROBE_GC=1: the API's and the worker's collection pauses between the samples.
    for (const line of [...api.output().split('\n'), ...(worker?.output().split('\n') ?? [])]) if (line.includes('[memory-probe] gc')) console.log(`  ${line}`);
    const { rows: stored } = await db.query<{ routed: number; unrouted: number }>(
      `SELECT count(*) FILTER (WHERE conversation_id IS NOT NULL)::int AS routed, count(*) FILTER (WHERE conversation_id IS NULL)::int AS unrouted FROM inbound_message`,
    );
    console.log(`  inbound messages stored: ${stored[0]?.routed.toLocaleString('en')} routed to their conversation, ${stored[0]?.unrouted} unrouted`);
    if (process.env['INBOX_API_OUTPUT']) await fs.writeFile(process.env['INBOX_API_OUTPUT'], api.output());
    console.log('');
    console.log(`summary (${CONNECTIONS.toLocaleString('en')} subscribers, ${RATE} replies/s; targets: p99 under 100 ms, under 20 kB per idle connection)`);
    console.log(`  memory per idle connection: RSS ${kb(perConnection('rss'))}, heap ${kb(perConnection('heapUsed'))}`);
    for (const line of summary) console.log(`  ${line}`);
  } catch (error) {
    console.error(`API process output:\n${api?.output().slice(-3000)}\nworker output:\n${worker?.output().slice(-3000)}`);
    throw error;
  } finally {
    for (const socket of sockets) socket.terminate();
    await api?.terminate();
    await worker?.terminate();
    await simulator.stop();
    await db.end().catch(() => undefined);
    await database.stop();
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Where the time goes, from the times recorded along the way (wall clock, milliseconds): the
 * injection to the worker's reception of the whole SMS (`inbound_message.received_at`, set by the
 * carrier gateway), then to the start of the transaction that stored it (`created_at`).
 */
async function describeStages(db: pg.Client, since: Date): Promise<string> {
  const { rows } = await db.query<{ text: string; received_at: Date; created_at: Date }>(
    `SELECT text, received_at, created_at FROM inbound_message WHERE created_at >= $1`,
    [since],
  );
  const toWorker: number[] = [];
  const toTransaction: number[] = [];
  for (const row of rows) {
    const sentAt = sentWallClockBySequence.get(Number(/#(\d+)$/.exec(row.text)?.[1]));
    if (sentAt === undefined) continue;
    toWorker.push(row.received_at.getTime() - sentAt);
    toTransaction.push(row.created_at.getTime() - row.received_at.getTime());
  }
  const short = (values: number[]) => {
    const sorted = values.sort((a, b) => a - b);
    return `p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms`;
  };
  return `injection -> worker received the SMS ${short(toWorker)}; -> its storing transaction began ${short(toTransaction)} (then commit, NOTIFY, API, client)`;
}

/** Events each subscription type should see in total for `sent` replies: one per reply to an assigned conversation, one per agent of the account otherwise. */
function expectedDeliveries(sent: number, _conversations: number): number {
  const unassigned = UNASSIGNED_PERCENT / 100;
  return Math.round(sent * (1 - unassigned) + sent * unassigned * AGENTS_PER_ACCOUNT);
}

/**
 * Injects `rate` replies per second for `seconds`, paced on the clock (late ticks catch up), each
 * to the next conversation from `offset` on; the clock starts just before each control request.
 */
async function injectRound(
  simulator: Awaited<ReturnType<typeof spawnCarrierSimulator>>,
  conversations: readonly Conversation[],
  rate: number,
  seconds: number,
  offset: number,
): Promise<number> {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (sent < due) {
      // The offset may be negative (a warm-up longer than the conversations): wrap it, always.
      const conversation = conversations[(((offset + sent) % conversations.length) + conversations.length) % conversations.length] as Conversation;
      const number = sequence++;
      const at = performance.now();
      sentAtBySequence.set(number, at);
      sentWallClockBySequence.set(number, Date.now());
      sentAtByConversation.set(conversation.globalId, at);
      const call: Promise<void> = simulator
        .injectInbound(conversation.contactNumber, SHORT_CODE, `Bonjour, je confirme le créneau #${number}`)
        .catch((error: unknown) => {
          injection.failed++;
          injection.firstError ??= String((error as Error).cause ?? error);
        })
        .finally(() => inFlight.delete(call));
      inFlight.add(call);
      sent++;
    }
    await sleep(1);
  }
  await Promise.all(inFlight);
  return total;
}

async function fileLimit(): Promise<string> {
  const limits = await fs.readFile('/proc/self/limits', 'utf8').catch(() => '');
  return /Max open files\s+(\d+)/.exec(limits)?.[1] ?? '?';
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
