import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CarrierConnectionSettings } from '../../src/gateways/carriers/carrier-settings.js';
import { silentCarrierLogger } from '../../src/gateways/carriers/logger.js';
import { SmppCarrierGateway } from '../../src/gateways/carriers/smpp-carrier.js';
import { startCarrierSimulator, type CarrierSimulator } from '../../src/simulator/carrier-simulator.js';
import { freePort } from '../../src/simulator/child-process.js';
import type { Dispatcher } from '../../src/jobs/dispatcher.js';
import type { SendingRules, Weekday } from '../../src/domain/messaging/sending-windows.js';
import { carrierConnection } from '../support/carriers.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { fundedAccount, plainNumber, queueMessages, reservationOf, statusCounts, waitUntilFinal } from './dispatch-support.js';

/**
 * Carrier outages, with the platform's own dispatcher and SMPP gateway built here on connections
 * of the test's choosing (this process' platform serves the API only, so no other dispatcher
 * competes): a carrier that goes away makes messages wait, not fail; a backup route takes over.
 */
let platform: TestPlatform;
let accountId: string;
const simulators: CarrierSimulator[] = [];
let dispatcher: Dispatcher | null = null;

const everyoneDelivered = { DELIVRD: 1, UNDELIV: 0, EXPIRED: 0, NONE: 0 };

beforeAll(async () => {
  platform = await startTestPlatform({ ROLE: 'api' });
  accountId = await fundedAccount(platform, 200);
});

afterEach(async () => {
  await dispatcher?.stop();
  dispatcher = null;
  for (const simulator of simulators.splice(0)) await simulator.stop();
});

afterAll(async () => {
  await platform?.stop();
});

async function simulatorOn(
  port: number,
  options: { submitResponseDelayMs?: number; maxSubmitsPerSecond?: number; failSubmissionsWith?: number; failSubmissionsAfterParts?: number } = {},
): Promise<CarrierSimulator> {
  const simulator = await startCarrierSimulator({ port, receiptDelayMs: 20, outcomeMix: everyoneDelivered, logger: silentCarrierLogger, ...options });
  simulators.push(simulator);
  return simulator;
}

/** The gateway and dispatcher a worker process builds (src/app.ts), on these connections. */
async function startDispatching(
  connections: CarrierConnectionSettings[],
  options: { maxInFlight?: number; batchSize?: number; reconcileSeconds?: number; maxAttempts?: number; sendingRules?: SendingRules } = {},
): Promise<SmppCarrierGateway> {
  const { Dispatcher } = await import('../../src/jobs/dispatcher.js');
  const { applyCarrierEvents } = await import('../../src/jobs/carrier-events.js');
  // A short route wait, so that messages stranded by the outage come back to the queue quickly.
  const gateway = new SmppCarrierGateway(connections, { logger: silentCarrierLogger, routeWaitMs: 300, eventFlushMs: 5 }).start();
  gateway.setEventHandler(applyCarrierEvents);
  expect(await gateway.waitUntilReady(5000)).toBe(true);
  dispatcher = new Dispatcher(gateway, { leaseSeconds: 2, reconcileSeconds: 2, idlePollMs: 100, ...options });
  dispatcher.start();
  return gateway;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) expect.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('carrier outages', () => {
  it('messages wait while the carrier is down (no attempt used, nothing NOT_ISSUED) and all go out when it is back', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const before = await simulatorOn(port);
    await startDispatching([carrierConnection('only', port, { windowSize: 10, maxSegmentsPerSecond: 200 })], { maxInFlight: 100 });
    const numbers = Array.from({ length: 400 }, (_, i) => plainNumber(1, i));
    const { ids } = await queueMessages(platform, accountId, numbers.map((to) => ({ to })));

    await until(() => before.stats().acceptedMessages >= 100, 'the first messages to go out');
    const held = await platform.sql<{ id: string }>(`SELECT m.id::text FROM message m JOIN dispatch_queue q ON q.message_id = m.id WHERE m.id = ANY($1::bigint[]) AND m.status = 'ON_HOLD' AND q.claimed_until IS NOT NULL`, [ids]);
    await before.stop();
    const acceptedBefore = new Set(before.submissionCounts().keys());

    // Messages queued during the outage are not even claimed.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const later = await queueMessages(platform, accountId, Array.from({ length: 50 }, (_, i) => ({ to: plainNumber(2, i) })));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const during = await statusCounts(platform, [...ids, ...later.ids]);
    expect(during['NOT_ISSUED'] ?? 0).toBe(0);
    expect(during['ON_HOLD']).toBeGreaterThan(50);
    const [untouched] = await platform.sql<{ n: string }>(
      `SELECT count(*)::text AS n FROM message m JOIN dispatch_queue q ON q.message_id = m.id
        WHERE m.id = ANY($1::bigint[]) AND m.status = 'ON_HOLD' AND q.attempts = 0 AND q.claimed_until IS NULL`,
      [later.ids],
    );
    expect(Number(untouched!.n)).toBe(50);
    // What the gateway held when the carrier went away came back to the queue without using an
    // attempt (nothing had left), except what was in flight: maybe at the carrier, in doubt.
    const heldNow = await platform.sql<{ attempts: number; claimed: boolean }>(
      `SELECT q.attempts, q.claimed_until IS NOT NULL AS claimed FROM message m JOIN dispatch_queue q ON q.message_id = m.id
        WHERE m.id = ANY($1::bigint[]) AND m.status = 'ON_HOLD'`,
      [held.map((row) => row.id)],
    );
    expect(heldNow.filter((row) => !(row.attempts === 0 && !row.claimed) && !(row.attempts === 1 && row.claimed))).toEqual([]);
    expect(heldNow.filter((row) => row.attempts === 0).length).toBeGreaterThan(0);

    const after = await simulatorOn(port);
    await until(async () => !(await statusCounts(platform, [...ids, ...later.ids]))['ON_HOLD'], 'every message to be handed over', 30_000);
    const all = [...ids, ...later.ids];
    const rows = await platform.sql<{ recipient: string; status: string; attempts: number }>(
      `SELECT recipient, status::text, attempts FROM message WHERE id = ANY($1::bigint[])`,
      [all],
    );
    expect(rows.filter((row) => row.status === 'NOT_ISSUED')).toEqual([]);
    expect(Math.max(...rows.map((row) => row.attempts))).toBeLessThanOrEqual(2);
    // Every number reached a carrier; only what was in flight at the cut can have reached both.
    const acceptedAfter = new Set(after.submissionCounts().keys());
    expect(rows.filter((row) => !acceptedBefore.has(row.recipient) && !acceptedAfter.has(row.recipient))).toEqual([]);
    expect([...acceptedAfter].filter((number) => acceptedBefore.has(number)).length).toBeLessThanOrEqual(10);
    // The carrier that went away took its pending receipts with it: those stay TRANSMITTED (until
    // the 48 h expiry); everything the new one took is delivered.
    await until(async () => {
      const open = await platform.sql<{ recipient: string }>(`SELECT recipient FROM message WHERE id = ANY($1::bigint[]) AND status = 'TRANSMITTED'`, [all]);
      return open.every((row) => !acceptedAfter.has(row.recipient));
    }, 'the receipts of the carrier that came back');
    const stillOpen = await platform.sql<{ recipient: string }>(`SELECT recipient FROM message WHERE id = ANY($1::bigint[]) AND status = 'TRANSMITTED'`, [all]);
    expect(stillOpen.filter((row) => !acceptedBefore.has(row.recipient))).toEqual([]);
  });

  it('fails over to the backup route when the preferred carrier is down, and sends everything there', { timeout: 60_000 }, async () => {
    const primary = await simulatorOn(0);
    const backup = await simulatorOn(0);
    const gateway = await startDispatching([
      carrierConnection('primary', primary.port, { routes: [{ prefix: '+', priority: 1 }] }),
      carrierConnection('backup', backup.port, { routes: [{ prefix: '+', priority: 2 }] }),
    ]);
    await primary.stop();
    await until(() => gateway.connectionStates().find((state) => state.connection === 'primary')?.state === 'down', 'the primary to be seen down');

    const numbers = Array.from({ length: 300 }, (_, i) => plainNumber(3, i));
    const { ids } = await queueMessages(platform, accountId, numbers.map((to) => ({ to })));
    const counts = await waitUntilFinal(platform, ids, 30_000);
    expect(counts).toEqual({ DELIVERED: 300 });
    expect(backup.stats()).toMatchObject({ acceptedMessages: 300, destinationsWithSeveralMessages: 0 });
    expect(primary.stats().acceptedMessages).toBe(0);
    const connections = await platform.sql<{ connection: string; n: string }>(
      `SELECT connection, count(*)::text AS n FROM message WHERE id = ANY($1::bigint[]) GROUP BY connection`,
      [ids],
    );
    expect(connections).toEqual([{ connection: 'backup', n: '300' }]);
  });

  it('fails over from a carrier that is bound but answers every submission with an error, and goes back to it once it heals', { timeout: 60_000 }, async () => {
    const { ESME_RSYSERR } = await import('../../src/gateways/carriers/command-status.js');
    const brokenPort = await freePort();
    const broken = await simulatorOn(brokenPort, { failSubmissionsWith: ESME_RSYSERR });
    const backup = await simulatorOn(0);
    const gateway = await startDispatching(
      [
        carrierConnection('primary', brokenPort, { routes: [{ prefix: '+', priority: 1 }], windowSize: 5, failingAfterErrors: 10, failingForSeconds: 6 }),
        carrierConnection('backup', backup.port, { routes: [{ prefix: '+', priority: 2 }] }),
      ],
      // Without failover, every message would spend its three attempts on the primary.
      { maxAttempts: 3 },
    );
    const numbers = Array.from({ length: 200 }, (_, i) => plainNumber(7, i));
    const { ids } = await queueMessages(platform, accountId, numbers.map((to) => ({ to })));
    expect(await waitUntilFinal(platform, ids, 30_000)).toEqual({ DELIVERED: 200 });
    expect(backup.stats().acceptedMessages).toBe(200);
    expect(broken.stats().submitSm).toBeLessThan(60);
    const primaryFailing = () => gateway.connectionStates().find((state) => state.connection === 'primary')?.failing;
    expect(primaryFailing()).toBe(true);

    // Its time up, it is tried again with one message (a probe; the others go to the backup
    // meanwhile), still broken: failing again at once.
    await until(() => primaryFailing() === false, 'the primary to be tried again', 10_000);
    const primaryProbing = () => gateway.connectionStates().find((state) => state.connection === 'primary')?.probing;
    expect(primaryProbing()).toBe(true);
    const submittedBefore = broken.stats().submitSm;
    const more = await queueMessages(platform, accountId, Array.from({ length: 100 }, (_, i) => ({ to: plainNumber(7, 300 + i) })));
    expect(await waitUntilFinal(platform, more.ids, 30_000)).toEqual({ DELIVERED: 100 });
    expect(primaryFailing()).toBe(true);
    expect(broken.stats().submitSm - submittedBefore).toBe(1);

    // The primary heals (here: a working carrier on its port; the bind reconnects) and is tried again after failingForSeconds.
    await broken.stop();
    const healed = await simulatorOn(brokenPort);
    await until(() => gateway.connectionStates().find((state) => state.connection === 'primary')?.state === 'up', 'the primary to be bound again');
    await until(() => gateway.connectionStates().find((state) => state.connection === 'primary')?.failing === false, 'the primary to be tried again', 10_000);
    const probe = await queueMessages(platform, accountId, [{ to: plainNumber(7, 499) }]);
    expect(await waitUntilFinal(platform, probe.ids, 30_000)).toEqual({ DELIVERED: 1 });
    expect(healed.stats().acceptedMessages).toBe(1);
    expect(primaryProbing()).toBe(false);
    // Its probe accepted, it takes its whole share again.
    const later = await queueMessages(platform, accountId, Array.from({ length: 20 }, (_, i) => ({ to: plainNumber(7, 500 + i) })));
    expect(await waitUntilFinal(platform, later.ids, 30_000)).toEqual({ DELIVERED: 20 });
    expect(healed.stats().acceptedMessages).toBe(21);
  });

  it('messages whose only route is down wait aside (no attempt used) while the other routes go on, and go once it is back', { timeout: 60_000 }, async () => {
    const france = await simulatorOn(0);
    const frenchPort = france.port;
    const uk = await simulatorOn(0);
    const gateway = await startDispatching(
      [
        carrierConnection('france', frenchPort, { routes: [{ prefix: '+33', priority: 1 }] }),
        carrierConnection('uk', uk.port, { routes: [{ prefix: '+44', priority: 1 }] }),
      ],
      { maxInFlight: 100 },
    );
    await france.stop();
    await until(() => gateway.connectionStates().find((state) => state.connection === 'france')?.state === 'down', 'the French connection to be seen down');

    // The French backlog first in the queue, the British messages behind it.
    const french = Array.from({ length: 300 }, (_, i) => plainNumber(6, i));
    const british = Array.from({ length: 50 }, (_, i) => `+44770090${1000 + i}`);
    const frenchIds = (await queueMessages(platform, accountId, french.map((to) => ({ to })))).ids;
    const britishIds = (await queueMessages(platform, accountId, british.map((to) => ({ to })))).ids;
    expect(await waitUntilFinal(platform, britishIds, 20_000)).toEqual({ DELIVERED: 50 });
    expect(dispatcher!.stats().heldForRoute).toBeGreaterThanOrEqual(300);
    const waiting = await platform.sql<{ status: string; attempts: number; later: boolean; claimed: boolean }>(
      `SELECT DISTINCT m.status::text, q.attempts::int, q.send_after > now() AT TIME ZONE 'UTC' AS later, q.claimed_until IS NOT NULL AS claimed
         FROM message m JOIN dispatch_queue q ON q.message_id = m.id WHERE m.id = ANY($1::bigint[])`,
      [frenchIds],
    );
    // Given back for a while (or, for a few, claimed again meanwhile): never an attempt used.
    expect(waiting.filter((row) => row.status !== 'ON_HOLD' || row.attempts > 1 || (row.attempts === 0 && (row.claimed || !row.later)))).toEqual([]);

    // France comes back: everything goes, once.
    const back = await simulatorOn(frenchPort);
    expect(await waitUntilFinal(platform, frenchIds, 30_000)).toEqual({ DELIVERED: 300 });
    expect(french.filter((number) => back.submissionsTo(number) !== 1)).toEqual([]);
  });

  it('a carrier that keeps throttling slows messages down but never ends one NOT_ISSUED (no attempt used)', { timeout: 40_000 }, async () => {
    // 50 submit_sm a second at most (ESME_RTHROTTLED beyond), a bind sending 2,000 and giving up
    // on a part at its first throttling answer, and a dispatcher that allows one attempt only.
    const simulator = await simulatorOn(0, { maxSubmitsPerSecond: 50 });
    await startDispatching([carrierConnection('throttling', simulator.port, { maxThrottleRetries: 0 })], { maxAttempts: 1 });
    const numbers = Array.from({ length: 60 }, (_, i) => plainNumber(5, i));
    const { ids } = await queueMessages(platform, accountId, numbers.map((to) => ({ to })));
    expect(await waitUntilFinal(platform, ids, 30_000)).toEqual({ DELIVERED: 60 });
    expect(simulator.stats().throttled).toBeGreaterThan(0);
    expect(numbers.filter((number) => simulator.submissionsTo(number) !== 1)).toEqual([]);
    const attempts = await platform.sql<{ attempts: number }>(`SELECT DISTINCT attempts::int FROM message WHERE id = ANY($1::bigint[])`, [ids]);
    expect(attempts).toEqual([{ attempts: 1 }]);
  });

  it('a long message whose later part the carrier refuses ends NOT_ISSUED at once (INCOMPLETE), charged for the part that left only', { timeout: 30_000 }, async () => {
    // The carrier takes the first part, then refuses everything (a permanent refusal).
    const { ESME_RINVDSTADR } = await import('../../src/gateways/carriers/command-status.js');
    const simulator = await simulatorOn(0, { failSubmissionsWith: ESME_RINVDSTADR, failSubmissionsAfterParts: 1 });
    await startDispatching([carrierConnection('strict', simulator.port)]);
    const to = plainNumber(8, 1);
    const { ids } = await queueMessages(platform, accountId, [{ to, text: 'Votre commande est prête. '.repeat(8), segments: 2 }]);
    expect(await waitUntilFinal(platform, ids, 10_000)).toEqual({ NOT_ISSUED: 1 });
    const [row] = await platform.sql<{ carrier_status: string; charged: boolean; submitted: boolean; price: string; hold: string }>(
      `SELECT carrier_status, charged, submitted_at IS NOT NULL AS submitted, trim_scale(price)::text AS price, reservation_id::text AS hold FROM message WHERE id = $1::bigint`,
      ids,
    );
    // Two segments at 0.045 were held; one left: 0.045 charged, the rest given back.
    expect(row).toMatchObject({ carrier_status: 'INCOMPLETE', charged: true, submitted: true, price: '0.045' });
    await until(async () => (await reservationOf(platform, row!.hold))?.state === 'CLOSED', 'the hold to be closed');
    expect(await reservationOf(platform, row!.hold)).toEqual({ state: 'CLOSED', settled: '0.045', released: '0.045' });
    expect(simulator.stats().acceptedParts).toBe(1);
  });

  it('a slow carrier: leases are renewed with their lease rows, never past them (a row put in doubt meanwhile keeps its own)', { timeout: 30_000 }, async () => {
    const port = await freePort();
    // Every answer 4 s late: what is claimed stays in flight well past the 2 s lease (and within
    // the bind's patience); what is in doubt is not taken up again during the test.
    await simulatorOn(port, { submitResponseDelayMs: 4000 });
    await startDispatching([carrierConnection('slow', port, { responseTimeoutSeconds: 10 })], { reconcileSeconds: 30 });
    const { ids } = await queueMessages(platform, accountId, [plainNumber(3, 1), plainNumber(3, 2)].map((to) => ({ to, kind: 'TRANSACTIONAL' as const })));
    const [live, doubted] = ids as [string, string];
    const heldRows = () =>
      platform.sql<{ id: string; until: string; covered: boolean }>(
        `SELECT q.message_id::text AS id, q.claimed_until::text AS until,
                EXISTS (SELECT 1 FROM dispatch_lease l WHERE q.message_id = ANY (l.message_ids) AND l.claimed_until >= q.claimed_until) AS covered
           FROM dispatch_queue q WHERE q.message_id = ANY($1::bigint[]) AND q.claimed_until IS NOT NULL ORDER BY q.message_id`,
        [ids],
      );
    await until(async () => (await heldRows()).length === 2, 'both messages claimed');
    const [first] = await heldRows();
    // As a record of an in-doubt outcome leaves it: its lease ends now, under a lease row of its own.
    await platform.sql(
      `WITH doubt AS (UPDATE dispatch_queue SET claimed_until = localtimestamp WHERE message_id = $1::bigint)
       INSERT INTO dispatch_lease (claimed_until, message_ids) VALUES (localtimestamp, ARRAY[$1::bigint])`,
      [doubted],
    );
    const [, doubtedBefore] = await heldRows();
    // Renewals run every 2/3 s: the live lease goes on, and so does its lease row; the other stays.
    await until(async () => (await heldRows())[0]!.until > first!.until, 'a renewal of the live lease');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const rows = await heldRows();
    expect(rows.map((row) => row.id)).toEqual([live, doubted]);
    expect(rows.every((row) => row.covered)).toBe(true);
    expect(rows[1]!.until).toBe(doubtedBefore!.until);
    expect(rows[0]!.until > rows[1]!.until).toBe(true);
  });
});

describe('a cancelled campaign with messages in doubt', () => {
  it('cancels them only once a dispatcher of the process has had its carrier link up for the reconciliation delay', { timeout: 30_000 }, async () => {
    const { prisma } = await import('../../src/db/client.js');
    const { reserveCredit, PLATFORM } = await import('../../src/domain/credit/ledger.js');
    const { advanceCampaigns } = await import('../../src/jobs/campaign-lifecycle.js');
    const hold = await reserveCredit(prisma, accountId, 90_000, { reason: 'campaign', referenceType: 'Campaign', author: PLATFORM });
    const [campaign] = await platform.sql<{ id: string }>(
      `INSERT INTO campaign (id, account_id, name, kind, sender, text, status, reservation_id, sent_at, materialized_at, cancelled_at)
       VALUES (gen_random_uuid(), $1::uuid, 'Cancelled in doubt', 'TRANSACTIONAL', 'ACME', 'x', 'CANCELLED', $2::uuid, now(), now(), now()) RETURNING id::text`,
      [accountId, hold.id],
    );
    // Claimed by a dispatcher that died: leases that ended long ago (beyond the reconciliation delay).
    const { ids } = await queueMessages(
      platform,
      accountId,
      [plainNumber(9, 10), plainNumber(9, 11)].map((to) => ({ to, campaignId: campaign!.id, claimedForSeconds: -3600 })),
      { reservationId: hold.id },
    );
    const statuses = async () => (await platform.sql<{ status: string }>(`SELECT status::text FROM message WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids])).map((row) => row.status);

    // No dispatcher in this process (the platform serves the API only): a receipt could still come.
    await advanceCampaigns(false);
    expect(await statuses()).toEqual(['ON_HOLD', 'ON_HOLD']);
    expect((await reservationOf(platform, hold.id))?.state).toBe('OPEN');

    const simulator = await simulatorOn(0);
    await startDispatching([carrierConnection('only', simulator.port)], { reconcileSeconds: 2 });
    await advanceCampaigns(false);
    expect(await statuses()).toEqual(['ON_HOLD', 'ON_HOLD']);
    await until(() => dispatcher!.inDoubtDecidable(), 'the carrier link up for the reconciliation delay', 10_000);
    await advanceCampaigns(false);
    expect(await statuses()).toEqual(['CANCELLED', 'CANCELLED']);
    expect(await reservationOf(platform, hold.id)).toMatchObject({ state: 'CLOSED', released: '0.09' });
    expect(simulator.stats().submitSm).toBe(0);

    // The first had reached the carrier after all: its receipt, later than the delay, proves it.
    // It was sent, so it is DELIVERED and charged (to the balance: the campaign's hold is released).
    const before = await balanceInEuros();
    await simulator.injectReceipt({ carrierMessageId: 'late-receipt-1', stat: 'DELIVRD', recipient: plainNumber(9, 10), reference: ids[0] });
    await until(async () => (await statuses())[0] === 'DELIVERED', 'the late receipt applied');
    expect(await statuses()).toEqual(['DELIVERED', 'CANCELLED']);
    const [first] = await platform.sql<{ charged: boolean; connection: string }>(`SELECT charged, connection FROM message WHERE id = $1::bigint`, [ids[0]]);
    expect(first).toEqual({ charged: true, connection: 'only' });
    // Settled on its (released) hold right after, so from the balance.
    await until(async () => before - (await balanceInEuros()) > 0, 'the charge');
    expect(before - (await balanceInEuros())).toBeCloseTo(0.045, 6);
    expect(await reservationOf(platform, hold.id)).toMatchObject({ state: 'CLOSED', released: '0.09' });
  });
});


describe('the sending window, checked again at claim', () => {
  it('marketing claimed after its window closed is not sent: it waits, without an attempt, until the window opens, then goes once', { timeout: 40_000 }, async () => {
    const { opening, closedNow } = windowClosedUntilTheDayAfterTomorrow();
    const simulator = await simulatorOn(0);
    await startDispatching([carrierConnection('only', simulator.port)], { sendingRules: closedNow });
    const marketing = Array.from({ length: 3 }, (_, i) => plainNumber(4, i));
    const transactional = plainNumber(4, 10);
    // Queued as if written within the window (send_after now): the window closed since.
    const { ids } = await queueMessages(platform, accountId, [...marketing.map((to) => ({ to, kind: 'MARKETING' as const })), { to: transactional, priority: 1 }]);
    const marketingIds = ids.slice(0, 3);

    await waitUntilFinal(platform, ids.slice(3));
    await until(async () => (await heldForWindow(marketingIds)).length === 3, 'the marketing messages given back until the window opens');
    expect(await heldForWindow(marketingIds)).toEqual(marketingIds.map(() => ({ status: 'ON_HOLD', attempts: 0, send_after: opening.getTime() })));
    expect(dispatcher!.stats().heldForWindow).toBe(3);
    expect(marketing.map((number) => simulator.submissionsTo(number))).toEqual([0, 0, 0]);
    expect(simulator.submissionsTo(transactional)).toBe(1);

    // The window opens (here: the rules every account has, and the time come): each goes once, charged once.
    await dispatcher!.stop();
    await platform.sql(`UPDATE dispatch_queue SET send_after = now() AT TIME ZONE 'UTC' WHERE message_id = ANY($1::bigint[])`, [marketingIds]);
    await startDispatching([carrierConnection('only', simulator.port)], { sendingRules: { countries: {}, default: null } });
    expect(await waitUntilFinal(platform, marketingIds)).toEqual({ DELIVERED: 3 });
    expect(marketing.map((number) => simulator.submissionsTo(number))).toEqual([1, 1, 1]);
    const charged = await platform.sql<{ n: number }>(`SELECT count(*)::int AS n FROM message WHERE id = ANY($1::bigint[]) AND charged`, [marketingIds]);
    expect(charged).toEqual([{ n: 3 }]);
  });

  it('when the window has closed, the marketing queued for that country is set aside in bulk, not claimed message by message', { timeout: 40_000 }, async () => {
    const { opening, closedNow } = windowClosedUntilTheDayAfterTomorrow();
    const simulator = await simulatorOn(0);
    const marketing = Array.from({ length: 600 }, (_, i) => plainNumber(5, i));
    const { ids: marketingIds } = await queueMessages(platform, accountId, marketing.map((to) => ({ to, kind: 'MARKETING' as const })));
    // Queued after them on the bulk lane: a transactional campaign's messages go out at once.
    const transactional = [plainNumber(5, 700), plainNumber(5, 701)];
    const { ids: transactionalIds } = await queueMessages(platform, accountId, transactional.map((to) => ({ to, priority: 1 })));
    // Claims of 20 at a time: the first finds the window closed.
    await startDispatching([carrierConnection('only', simulator.port)], { sendingRules: closedNow, batchSize: 20 });

    expect(await waitUntilFinal(platform, transactionalIds)).toEqual({ DELIVERED: 2 });
    await until(async () => (await heldForWindow(marketingIds)).length === 600, 'every marketing message set aside until the window opens');
    expect(new Set((await heldForWindow(marketingIds)).map((row) => `${row.status} ${row.attempts} ${row.send_after}`))).toEqual(new Set([`ON_HOLD 0 ${opening.getTime()}`]));
    const stats = dispatcher!.stats();
    expect(stats.heldForWindow + stats.deferredForWindow).toBe(600);
    // Those the deferral reached were never claimed (how many, the race with the claims decides).
    expect(stats.deferredForWindow).toBeGreaterThan(0);
    expect(stats.heldForWindow).toBeLessThan(600);
    expect(marketing.filter((number) => simulator.submissionsTo(number) > 0)).toEqual([]);
  });

  it('strict marketing taken up in doubt after its window closed is refused, and recorded as sent if a late receipt proves it was', { timeout: 40_000 }, async () => {
    const { closedNow } = windowClosedUntilTheDayAfterTomorrow();
    const simulator = await simulatorOn(0);
    // Claimed by a dispatcher that died (its lease ended long ago): in doubt.
    const to = plainNumber(4, 40);
    const { ids, reservationId } = await queueMessages(platform, accountId, [{ to, kind: 'MARKETING', strictTiming: true, claimedForSeconds: -3600 }]);
    await startDispatching([carrierConnection('only', simulator.port)], { sendingRules: closedNow, reconcileSeconds: 2 });
    expect(await waitUntilFinal(platform, ids)).toEqual({ NOT_ISSUED: 1 });
    expect(simulator.submissionsTo(to)).toBe(0);
    await until(async () => (await reservationOf(platform, reservationId))?.state === 'CLOSED', 'its hold released');

    const before = await balanceInEuros();
    await simulator.injectReceipt({ carrierMessageId: 'late-strict-1', stat: 'DELIVRD', recipient: to, reference: ids[0] });
    await until(async () => (await statusCounts(platform, ids)).DELIVERED === 1, 'the late receipt applied');
    const [row] = await platform.sql<{ charged: boolean }>(`SELECT charged FROM message WHERE id = $1::bigint`, [ids[0]]);
    expect(row).toEqual({ charged: true });
    // Its hold released, from the balance.
    await until(async () => before - (await balanceInEuros()) > 0, 'the charge');
    expect(before - (await balanceInEuros())).toBeCloseTo(0.045, 6);
  });

  it('marketing sent with strict timing is refused instead (NOT_ISSUED, OUTSIDE_SENDING_WINDOW), never sent, its hold released', { timeout: 40_000 }, async () => {
    const { closedNow } = windowClosedUntilTheDayAfterTomorrow();
    const simulator = await simulatorOn(0);
    await startDispatching([carrierConnection('only', simulator.port)], { sendingRules: closedNow });
    const strict = [plainNumber(4, 20), plainNumber(4, 21)];
    const lenient = plainNumber(4, 22);
    const { ids: strictIds, reservationId } = await queueMessages(platform, accountId, strict.map((to) => ({ to, kind: 'MARKETING' as const, strictTiming: true })));
    const { ids: lenientIds } = await queueMessages(platform, accountId, [{ to: lenient, kind: 'MARKETING' as const }]);
    const ids = [...strictIds, ...lenientIds];

    expect(await waitUntilFinal(platform, ids.slice(0, 2))).toEqual({ NOT_ISSUED: 2 });
    const ended = await platform.sql<{ error_code: string; carrier_status: string; charged: boolean }>(
      `SELECT error_code, carrier_status, charged FROM message WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [ids.slice(0, 2)],
    );
    expect(ended).toEqual(strict.map(() => ({ error_code: 'OUTSIDE_SENDING_WINDOW', carrier_status: 'OUTSIDE_SENDING_WINDOW', charged: false })));
    expect(dispatcher!.stats()).toMatchObject({ refusedForWindow: 2, heldForWindow: 1 });
    // The message without strict timing waits for the window; the refused ones' hold is given back.
    await until(async () => (await heldForWindow([ids[2]!])).length === 1, 'the lenient message given back until the window opens');
    expect([...strict, lenient].map((number) => simulator.submissionsTo(number))).toEqual([0, 0, 0]);
    await until(async () => (await reservationOf(platform, reservationId))?.state === 'CLOSED', 'the hold of the refused messages closed');
    expect(await reservationOf(platform, reservationId)).toEqual({ state: 'CLOSED', settled: '0', released: '0.09' });
  });
});

/** The test account's balance, in euros. */
async function balanceInEuros(): Promise<number> {
  return Number((await platform.sql<{ balance: string }>(`SELECT credit_balance::text AS balance FROM account WHERE id = $1::uuid`, [accountId]))[0]!.balance);
}

/**
 * France's marketing window for a test: only the day after tomorrow (UTC), all day. Closed now,
 * and still closed should the test run across midnight.
 */
function windowClosedUntilTheDayAfterTomorrow(): { opening: Date; closedNow: SendingRules } {
  const day = 86_400_000;
  const opening = new Date(Math.floor(Date.now() / day) * day + 2 * day);
  const weekday = (((opening.getUTCDay() + 6) % 7) + 1) as Weekday;
  const closedNow: SendingRules = {
    countries: { FR: { timeZone: 'UTC', marketingWindows: [{ days: [weekday], from: '00:00', to: '24:00' }], publicHolidays: null } },
    default: null,
  };
  return { opening, closedNow };
}

/** The messages given back to the queue, unclaimed, until their window opens (send_after in the future). */
async function heldForWindow(ids: readonly string[]) {
  return platform.sql<{ status: string; attempts: number; send_after: number }>(
    `SELECT m.status::text, q.attempts::int, (extract(epoch FROM q.send_after) * 1000)::float8 AS send_after
       FROM message m JOIN dispatch_queue q ON q.message_id = m.id
      WHERE m.id = ANY($1::bigint[]) AND q.claimed_until IS NULL AND q.send_after > now() AT TIME ZONE 'UTC' ORDER BY m.id`,
    [ids],
  );
}
