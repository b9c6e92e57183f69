import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentCarrierLogger } from '../../src/gateways/carriers/logger.js';
import { startCarrierSimulator, type CarrierSimulator } from '../../src/simulator/carrier-simulator.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startPlatformProcess, type PlatformProcess } from '../support/process.js';
import { chargedMicros, fundedAccount, killProcessTree, plainNumber, PRICE, queueMessages, waitUntilFinal } from './dispatch-support.js';

/**
 * Exactly once across SIGKILL: a worker process is killed while it has submissions at the
 * carrier that it has not recorded; a new worker finishes the job, and receives the receipts the
 * carrier kept for the dead one. The carrier simulator runs in this test's process (it outlives
 * the workers) and answers every submit_sm 50 ms late, so that at any moment a window of
 * accepted-but-unanswered submissions exists to be lost with the worker. The new worker decides
 * about messages in doubt only once its carrier link has been up for the reconciliation delay,
 * however long it took to start.
 */
const MESSAGES = 2000;
let platform: TestPlatform;
let simulator: CarrierSimulator;
const workers: PlatformProcess[] = [];

beforeAll(async () => {
  simulator = await startCarrierSimulator({ port: 0, receiptDelayMs: 100, submitResponseDelayMs: 50, logger: silentCarrierLogger });
  // API only in this process: the dispatching happens in the worker processes.
  platform = await startTestPlatform({ ROLE: 'api' });
});

afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.pid) await killProcessTree(worker.child.pid);
  await platform?.stop();
  await simulator?.stop();
});

function startWorker(): Promise<PlatformProcess> {
  return startPlatformProcess({
    DATABASE_URL: platform.database.url,
    ROLE: 'worker',
    LOG_LEVEL: 'warn',
    CARRIER_SIMULATOR: 'false',
    CARRIERS: JSON.stringify([
      {
        name: 'sim',
        host: '127.0.0.1',
        port: simulator.port,
        systemId: 'crash',
        password: 'crash',
        binds: 1,
        windowSize: 20,
        maxSegmentsPerSecond: 1000,
        responseTimeoutSeconds: 2,
        reconnectInitialDelayMs: 50,
        reconnectMaxDelayMs: 400,
      },
    ]),
    DISPATCH_LEASE_SECONDS: '2',
    DISPATCH_RECONCILE_SECONDS: '5',
    DISPATCH_IDLE_POLL_MS: '200',
  }).then((worker) => {
    workers.push(worker);
    return worker;
  });
}

async function until<T>(check: () => Promise<T | false>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false) return value;
    if (Date.now() > deadline) expect.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a worker killed mid-send', () => {
  it('every recipient gets exactly one SMS, none is lost, and what was submitted is charged once', { timeout: 120_000 }, async () => {
    const accountId = await fundedAccount(platform, 100);
    const numbers = Array.from({ length: MESSAGES }, (_, i) => plainNumber(7, i));
    const { ids, reservationId } = await queueMessages(platform, accountId, numbers.map((to) => ({ to })));

    const first = await startWorker();
    await until(async () => simulator.stats().acceptedMessages >= 600 || false, 'the first worker to be well into the batch', 40_000).catch((error: Error) => {
      throw new Error(`${error.message}\nworker output:\n${first.output()}`);
    });
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    await killProcessTree(first.child.pid!);
    await exited;
    // What the carrier took before the kill, and what the dead worker had recorded of it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const acceptedAtKill = simulator.stats().acceptedMessages;
    const [recorded] = await platform.sql<{ n: string }>(`SELECT count(*)::text AS n FROM message WHERE id = ANY($1::bigint[]) AND status <> 'ON_HOLD'`, [ids]);
    const [inDoubt] = await platform.sql<{ n: string }>(
      `SELECT count(*)::text AS n FROM message m JOIN dispatch_queue q ON q.message_id = m.id
        WHERE m.id = ANY($1::bigint[]) AND m.status = 'ON_HOLD' AND q.claimed_until IS NOT NULL`,
      [ids],
    );
    expect(acceptedAtKill).toBeLessThan(MESSAGES);
    // The case that used to send twice: submissions the carrier has and the database does not.
    expect(acceptedAtKill).toBeGreaterThan(Number(recorded!.n));
    expect(Number(inDoubt!.n)).toBeGreaterThan(0);
    // The dead worker's claims left their lease rows: how the new one finds what is in doubt.
    const [leases] = await platform.sql<{ n: string }>(`SELECT count(*)::text AS n FROM dispatch_lease WHERE message_ids && $1::bigint[]`, [ids]);
    expect(Number(leases!.n)).toBeGreaterThan(0);

    const second = await startWorker();
    const counts = await waitUntilFinal(platform, ids, 60_000);
    expect(counts['ON_HOLD'] ?? 0).toBe(0);

    // At the carrier: every number exactly once.
    const stats = simulator.stats();
    expect(stats.destinationsWithSeveralMessages).toBe(0);
    expect(stats.acceptedMessages).toBe(MESSAGES);
    expect(numbers.filter((number) => simulator.submissionsTo(number) !== 1)).toEqual([]);
    // The new worker learnt from receipts what the dead one had sent but not recorded.
    expect(second.output()).toMatch(/found handed over by their receipts/);

    // In the database: every message handed over once, charged once; the hold closed.
    const [summary] = await platform.sql<{ charged: string; transmitted: string }>(
      `SELECT count(*) FILTER (WHERE charged)::text AS charged, count(*) FILTER (WHERE submitted_at IS NOT NULL)::text AS transmitted
         FROM message WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    expect(summary).toEqual({ charged: String(MESSAGES), transmitted: String(MESSAGES) });
    const { parseEuros } = await import('../../src/domain/messaging/prices.js');
    expect(await chargedMicros(platform, accountId)).toBe(parseEuros(PRICE) * stats.acceptedMessages);
    await expect
      .poll(async () => (await platform.sql<{ state: string }>(`SELECT state::text FROM credit_reservation WHERE id = $1::uuid`, [reservationId]))[0]?.state, {
        timeout: 10_000,
      })
      .toBe('CLOSED');
    const [account] = await platform.sql<{ balance: string }>(`SELECT credit_balance::text AS balance FROM account WHERE id = $1::uuid`, [accountId]);
    expect(Number(account!.balance)).toBeCloseTo(100 - Number(PRICE) * MESSAGES, 6);
    const { ledgerMismatches } = await import('../../src/domain/credit/ledger.js');
    const { prisma } = await import('../../src/db/client.js');
    expect(await ledgerMismatches(prisma, [accountId])).toEqual([]);
    // Every lease row gone: the new worker's with its records, the dead one's once spent.
    await expect
      .poll(async () => (await platform.sql(`SELECT id FROM dispatch_lease WHERE message_ids && $1::bigint[]`, [ids])).length, { timeout: 15_000 })
      .toBe(0);
    await second.terminate();
  });
});
