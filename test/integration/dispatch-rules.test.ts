import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageStatusChangedDocument, SendMessageDocument } from '../../codegen/generated/operations.js';
import { silentCarrierLogger } from '../../src/gateways/carriers/logger.js';
import { SmppCarrierGateway } from '../../src/gateways/carriers/smpp-carrier.js';
import { freePort } from '../../src/simulator/child-process.js';
import { carrierConnection } from '../support/carriers.js';
import { createTenant, databaseId, type Tenant } from '../support/fixtures.js';
import { apiClient, collect, startTestPlatform, wsClient, type TestPlatform } from '../support/platform.js';
import { plainNumber, PRICE, queueMessages, reservationOf, waitUntilFinal } from './dispatch-support.js';

/**
 * The dispatcher's rules, on the real platform (API, dispatcher, SMPP gateway and the built-in
 * carrier simulator, receipts 300 ms after submission) with short leases: blacklist and cancelled
 * campaigns at claim time, campaign holds, multipart receipts, in-doubt messages reconciled from
 * the carrier's receipts, and the transactional lane ahead of a bulk backlog.
 */
let platform: TestPlatform;
let tenant: Tenant;
let accountId: string;
let simulatorPort: number;

beforeAll(async () => {
  simulatorPort = await freePort();
  platform = await startTestPlatform({
    CARRIER_SIMULATOR_PORT: String(simulatorPort),
    CARRIER_SIMULATOR_RECEIPT_DELAY_MS: '300',
    // One bind capped at 1,000 segments/s: a backlog of a few thousand takes seconds.
    CARRIERS: JSON.stringify([
      { name: 'sim', host: '127.0.0.1', port: simulatorPort, systemId: 'platform', password: 'secret', binds: 1, windowSize: 50, maxSegmentsPerSecond: 1000 },
    ]),
    DISPATCH_LEASE_SECONDS: '1',
    // Above the receipt delay (300 ms) with room for a loaded machine.
    DISPATCH_RECONCILE_SECONDS: '4',
    DISPATCH_IDLE_POLL_MS: '200',
  });
  tenant = await createTenant(platform);
  accountId = tenant.accountUuid;
  const { prisma } = await import('../../src/db/client.js');
  const { credit, PLATFORM } = await import('../../src/domain/credit/ledger.js');
  await credit(prisma, accountId, 'TOP_UP', 500_000_000, { reason: 'test top-up', author: PLATFORM });
});

afterAll(async () => {
  await platform?.stop();
});

const simulator = () => platform.simulator!;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rowsOf(ids: readonly string[]) {
  return platform.sql<{ id: string; status: string; charged: boolean; attempts: number; claimed: boolean; final: boolean; carrier_status: string | null }>(
    `SELECT m.id::text, m.status::text, m.charged, coalesce(q.attempts, m.attempts) AS attempts, q.claimed_until IS NOT NULL AS claimed,
            m.final_at IS NOT NULL AS final, m.carrier_status
       FROM message m LEFT JOIN dispatch_queue q ON q.message_id = m.id WHERE m.id = ANY($1::bigint[]) ORDER BY m.id`,
    [ids],
  );
}


describe('at claim time', () => {
  it('a marketing message to a number blacklisted since it was queued ends BLACKLISTED: never sent, never charged, pushed live', { timeout: 30_000 }, async () => {
    const subscriber = wsClient(platform.wsUrl, `Bearer ${tenant.accessToken}`);
    const events = collect(subscriber, MessageStatusChangedDocument, {});
    try {
      await pause(300);
      const number = '+33612390001';
      await platform.sql(`INSERT INTO blacklist_entry (id, account_id, number, source) VALUES (gen_random_uuid(), $1::uuid, $2, 'STOP_REPLY')`, [accountId, number]);
      const { ids, reservationId } = await queueMessages(platform, accountId, [
        { to: number, kind: 'MARKETING' },
        { to: number, kind: 'TRANSACTIONAL' },
      ]);
      const [marketing, transactional] = ids as [string, string];

      await waitUntilFinal(platform, ids);
      const [m, t] = await rowsOf(ids);
      expect(m).toMatchObject({ status: 'BLACKLISTED', charged: false, attempts: 0, claimed: false, final: true });
      // The blacklist holds back marketing only: the transactional message went out.
      expect(t).toMatchObject({ status: 'DELIVERED', charged: true });
      expect(simulator().submissionsTo(number)).toBe(1);
      const statusesOf = (id: string) =>
        events.received.filter((event) => databaseId(event.messageStatusChanged.id) === id).map((event) => event.messageStatusChanged.status);
      await expect.poll(() => statusesOf(marketing)).toEqual(['BLACKLISTED']);
      await expect.poll(() => statusesOf(transactional)).toEqual(['TRANSMITTED', 'DELIVERED']);
      // One message charged; the hold of the other returned.
      await expect.poll(() => reservationOf(platform, reservationId), { timeout: 5000 }).toEqual({ state: 'CLOSED', settled: PRICE, released: PRICE });
    } finally {
      events.unsubscribe();
      await subscriber.dispose();
    }
  });

  it('skips the messages of a cancelled campaign, and keeps a campaign hold open while its messages are still being written', { timeout: 30_000 }, async () => {
    const [cancelled] = await platform.sql<{ id: string }>(
      `INSERT INTO campaign (id, account_id, name, kind, sender, text, status, cancelled_at)
       VALUES (gen_random_uuid(), $1::uuid, 'Cancelled', 'MARKETING', 'ACME', 'x', 'CANCELLED', now()) RETURNING id::text`,
      [accountId],
    );
    const { prisma } = await import('../../src/db/client.js');
    const { reserveCredit, PLATFORM } = await import('../../src/domain/credit/ledger.js');
    const hold = await reserveCredit(prisma, accountId, 1_000_000, { reason: 'campaign', referenceType: 'Campaign', author: PLATFORM });
    const [writing] = await platform.sql<{ id: string }>(
      `INSERT INTO campaign (id, account_id, name, kind, sender, text, status, reservation_id, sent_at)
       VALUES (gen_random_uuid(), $1::uuid, 'Still writing', 'MARKETING', 'ACME', 'x', 'SENDING', $2::uuid, now()) RETURNING id::text`,
      [accountId, hold.id],
    );
    const skipped = await queueMessages(platform, accountId, [
      { to: '+33612391001', campaignId: cancelled!.id },
      { to: '+33612391002', campaignId: cancelled!.id },
    ]);
    const sent = await queueMessages(
      platform,
      accountId,
      [
        { to: '+33612920001', campaignId: writing!.id },
        { to: '+33612910001', campaignId: writing!.id },
      ],
      { reservationId: hold.id },
    );

    expect(await waitUntilFinal(platform, sent.ids)).toEqual({ DELIVERED: 2 });
    // Several claim rounds later, the cancelled campaign's messages were never claimed nor sent.
    await pause(1000);
    for (const row of await rowsOf(skipped.ids)) expect(row).toMatchObject({ status: 'ON_HOLD', attempts: 0, claimed: false });
    expect(simulator().submissionsTo('+33612391001') + simulator().submissionsTo('+33612391002')).toBe(0);
    // Every message of the campaign went out, but more may still be written: the hold stays.
    expect(await reservationOf(platform, hold.id)).toMatchObject({ state: 'OPEN', settled: '0.09' });
    await platform.sql(`UPDATE campaign SET materialized_at = now() WHERE id = $1::uuid`, [writing!.id]);
    await expect.poll(() => reservationOf(platform, hold.id), { timeout: 10_000 }).toEqual({ state: 'CLOSED', settled: '0.09', released: '0.91' });
  });
});

describe('receipts of messages in several parts', () => {
  // GSM-7, 376 characters: three parts of 153.
  const longText = 'Votre commande de printemps est prete : retrait en magasin du lundi au samedi, de 9 h a 19 h. '.repeat(4);

  async function partsOf(id: string) {
    return platform.sql<{ carrier_message_id: string; receipt_status: string | null }>(
      `SELECT carrier_message_id, receipt_status::text FROM carrier_part WHERE message_id = $1::bigint ORDER BY carrier_message_id`,
      [id],
    );
  }

  async function transmitted(id: string) {
    await expect.poll(async () => (await rowsOf([id]))[0]?.status, { timeout: 10_000 }).toBe('TRANSMITTED');
    const parts = await partsOf(id);
    expect(parts).toHaveLength(3);
    return parts.map((part) => part.carrier_message_id);
  }

  it('a message is DELIVERED only once every part is', { timeout: 30_000 }, async () => {
    // 0004: the simulator sends no receipt of its own; this test sends each part's.
    const { ids } = await queueMessages(platform, accountId, [{ to: '+33612930004', text: longText, segments: 3, kind: 'TRANSACTIONAL' }]);
    const [first, second, third] = (await transmitted(ids[0]!)) as [string, string, string];
    await simulator().injectReceipt({ carrierMessageId: first, stat: 'DELIVRD' });
    await simulator().injectReceipt({ carrierMessageId: second, stat: 'DELIVRD' });
    await pause(300);
    expect((await rowsOf(ids))[0]).toMatchObject({ status: 'TRANSMITTED', final: false });
    expect((await partsOf(ids[0]!)).map((part) => part.receipt_status)).toEqual(['DELIVERED', 'DELIVERED', null]);
    await simulator().injectReceipt({ carrierMessageId: third, stat: 'DELIVRD' });
    await expect.poll(async () => (await rowsOf(ids))[0]).toMatchObject({ status: 'DELIVERED', final: true, carrier_status: 'DELIVRD' });
  });

  it('one part not issued ends the message NOT_ISSUED at once; later receipts of other parts change nothing', { timeout: 30_000 }, async () => {
    const { ids } = await queueMessages(platform, accountId, [{ to: '+33612940004', text: longText, segments: 3, kind: 'TRANSACTIONAL' }]);
    const [first, second] = (await transmitted(ids[0]!)) as [string, string, string];
    await simulator().injectReceipt({ carrierMessageId: second, stat: 'UNDELIV' });
    await expect.poll(async () => (await rowsOf(ids))[0]).toMatchObject({ status: 'NOT_ISSUED', final: true, carrier_status: 'UNDELIV' });
    await simulator().injectReceipt({ carrierMessageId: first, stat: 'DELIVRD' });
    await expect.poll(async () => (await partsOf(ids[0]!)).map((part) => part.receipt_status)).toEqual(['DELIVERED', 'NOT_ISSUED', null]);
    expect((await rowsOf(ids))[0]).toMatchObject({ status: 'NOT_ISSUED', charged: true });
  });

  it('a message ends when its receipts say: a single part at its receipt’s done date, a long message at its last part’s', { timeout: 30_000 }, async () => {
    const finalAtOf = async (id: string) =>
      (await platform.sql<{ final_at: string }>(`SELECT to_char(final_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS final_at FROM message WHERE id = $1::bigint`, [id]))[0]?.final_at;
    // The simulator's own receipt (naming the message): its done date is the second it left, in whole seconds.
    const { ids: single } = await queueMessages(platform, accountId, [{ to: plainNumber(8, 1), kind: 'TRANSACTIONAL' }]);
    expect(await waitUntilFinal(platform, single)).toEqual({ DELIVERED: 1 });
    const [timing] = await platform.sql<{ whole: boolean; after: number }>(
      `SELECT final_at = date_trunc('second', final_at) AS whole, extract(epoch FROM final_at - date_trunc('second', submitted_at))::float8 AS after
         FROM message WHERE id = $1::bigint`,
      [single[0]],
    );
    expect(timing!.whole).toBe(true);
    // Within seconds of the hand-over (recorded when its transaction began, which a loaded machine may delay past the receipt's second).
    expect(timing!.after).toBeGreaterThanOrEqual(-2);
    expect(timing!.after).toBeLessThan(10);

    // Receipts per part (0004: none from the simulator), with done dates of their own.
    const { ids } = await queueMessages(platform, accountId, [{ to: '+33612990004', text: longText, segments: 3, kind: 'TRANSACTIONAL' }]);
    const [first, second, third] = (await transmitted(ids[0]!)) as [string, string, string];
    const at = (seconds: number) => new Date(Date.UTC(2026, 10, 20, 9, 30, seconds));
    await simulator().injectReceipt({ carrierMessageId: first, stat: 'DELIVRD', doneAt: at(7) });
    await simulator().injectReceipt({ carrierMessageId: second, stat: 'DELIVRD', doneAt: at(42) });
    await simulator().injectReceipt({ carrierMessageId: third, stat: 'DELIVRD', doneAt: at(15) });
    await expect.poll(async () => (await rowsOf(ids))[0]?.status, { timeout: 10_000 }).toBe('DELIVERED');
    expect(await finalAtOf(ids[0]!)).toBe(at(42).toISOString().slice(0, 23));
  });

  it('the carrier’s own receipts, one per part, deliver a long message end to end', { timeout: 30_000 }, async () => {
    const { ids } = await queueMessages(platform, accountId, [{ to: '+33612950001', text: longText, segments: 3, kind: 'TRANSACTIONAL' }]);
    expect(await waitUntilFinal(platform, ids)).toEqual({ DELIVERED: 1 });
    expect((await partsOf(ids[0]!)).map((part) => part.receipt_status)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
    expect(simulator().messages().find((message) => message.to === '+33612950001')).toMatchObject({ parts: 3, text: longText, reference: ids[0] });
  });
});

describe('messages in doubt (a dispatcher died between the carrier and the database)', () => {
  it('receipts prove what was sent, which is never sent again; what was not sent goes once; a carrier without receipts is the known limit', { timeout: 40_000 }, async () => {
    const numbers = { delivered: '+33612960001', notIssued: '+33612960002', neverSent: '+33612970001', silent: '+33612960004' };
    // As a dispatcher leaves them when it dies: claimed (attempt 1), lease running for one more second.
    const { ids, reservationId } = await queueMessages(
      platform,
      accountId,
      Object.values(numbers).map((to) => ({ to, kind: 'TRANSACTIONAL' as const, claimedForSeconds: 1 })),
    );
    const [delivered, notIssued, neverSent, silent] = ids as [string, string, string, string];

    // The dead dispatcher's submissions, with their references, on a connection of its own.
    const dead = new SmppCarrierGateway([carrierConnection('sim', simulatorPort, { systemId: 'platform', password: 'secret' })], { logger: silentCarrierLogger }).start();
    expect(await dead.waitUntilReady(5000)).toBe(true);
    for (const [id, to] of [
      [delivered, numbers.delivered],
      [notIssued, numbers.notIssued],
      [silent, numbers.silent],
    ] as const) {
      await dead.submit({ id, reference: id, from: 'ACME', to, text: 'Votre code : 4821', priority: 'transactional', requestReceipt: true });
    }
    await dead.stop();

    expect(await waitUntilFinal(platform, [delivered, notIssued, neverSent], 20_000)).toEqual({ DELIVERED: 2, NOT_ISSUED: 1 });
    const rows = new Map((await rowsOf(ids)).map((row) => [row.id, row]));
    // Recorded from their receipts: never claimed again, charged once.
    expect(rows.get(delivered)).toMatchObject({ status: 'DELIVERED', attempts: 1, charged: true });
    expect(rows.get(notIssued)).toMatchObject({ status: 'NOT_ISSUED', attempts: 1, charged: true, carrier_status: 'UNDELIV' });
    expect(simulator().submissionsTo(numbers.delivered)).toBe(1);
    expect(simulator().submissionsTo(numbers.notIssued)).toBe(1);
    // No evidence and never sent: claimed again after the reconciliation delay, sent once.
    expect(rows.get(neverSent)).toMatchObject({ status: 'DELIVERED', attempts: 2, charged: true });
    expect(simulator().submissionsTo(numbers.neverSent)).toBe(1);
    // The documented residual risk: a carrier that accepted it but never sends a receipt leaves no
    // evidence, so the message is sent a second time after the delay (and charged once).
    await expect.poll(() => simulator().submissionsTo(numbers.silent), { timeout: 15_000 }).toBe(2);
    await expect.poll(async () => (await rowsOf([silent]))[0]).toMatchObject({ status: 'TRANSMITTED', attempts: 2, charged: true });
    // Four messages handed over, each charged once.
    await expect.poll(() => reservationOf(platform, reservationId)).toEqual({ state: 'CLOSED', settled: '0.18', released: '0' });
    // The dead dispatcher's lease row went once none of its messages was in doubt any more; the
    // live one's rows went with its records.
    await expect.poll(async () => (await platform.sql(`SELECT id FROM dispatch_lease WHERE message_ids && $1::bigint[]`, [ids])).length, { timeout: 10_000 }).toBe(0);
  });
});

describe('lease rows (how leases that ran out are found)', () => {
  it('one that ran out stays while a message is still in doubt under it, and goes once none is', async () => {
    // Queue rows of no message (no dispatcher can take them), each as a claim left it.
    const [inDoubt, claimedAgain, gone] = ['900000000000001', '900000000000002', '900000000000003'];
    await platform.sql(
      `INSERT INTO dispatch_queue (message_id, priority, send_after, claimed_until, attempts)
       VALUES ($1, 1, localtimestamp, localtimestamp - interval '10 minutes', 1), ($2, 1, localtimestamp, localtimestamp + interval '1 hour', 2)`,
      [inDoubt, claimedAgain],
    );
    const leases = await platform.sql<{ id: string; name: string }>(
      `INSERT INTO dispatch_lease (claimed_until, message_ids)
       VALUES (localtimestamp - interval '10 minutes', ARRAY[$1::bigint]), (localtimestamp - interval '10 minutes', ARRAY[$2::bigint, $3::bigint]),
              (localtimestamp + interval '1 hour', ARRAY[$2::bigint]), (localtimestamp + interval '1 hour', ARRAY[$3::bigint])
       RETURNING id::text, CASE WHEN message_ids = ARRAY[$1::bigint] THEN 'in doubt'
                                WHEN claimed_until < localtimestamp THEN 'spent' ELSE 'running' END AS name`,
      [inDoubt, claimedAgain, gone],
    );
    const { deleteSpentLeases } = await import('../../src/jobs/dispatcher.js');
    await deleteSpentLeases();
    const left = await platform.sql<{ id: string }>(`SELECT id::text FROM dispatch_lease WHERE id = ANY($1::bigint[]) ORDER BY id`, [leases.map((lease) => lease.id)]);
    expect(left.map((row) => leases.find((lease) => lease.id === row.id)!.name)).toEqual(['in doubt', 'running', 'running']);
    await platform.sql(`DELETE FROM dispatch_queue WHERE message_id = ANY($1::bigint[])`, [[inDoubt, claimedAgain]]);
    await platform.sql(`DELETE FROM dispatch_lease WHERE id = ANY($1::bigint[])`, [leases.map((lease) => lease.id)]);
  });
});

describe('holds left open', () => {
  it('a sendMessage hold none of whose messages waits, left open by a lost close, is closed by the sweep; one still waiting is not', { timeout: 30_000 }, async () => {
    const { prisma } = await import('../../src/db/client.js');
    const { reserveCredit, PLATFORM } = await import('../../src/domain/credit/ledger.js');
    const { closeAbandonedMessageHolds } = await import('../../src/jobs/carrier-events.js');
    // As a process that died between a record's commit and the close of its hold leaves it.
    const lost = await reserveCredit(prisma, accountId, 90_000, { reason: 'SMS to 2 number(s)', referenceType: 'Message', author: PLATFORM });
    // One whose message still waits (scheduled an hour from now).
    const { reservationId: waiting, ids } = await queueMessages(platform, accountId, [{ to: plainNumber(9, 1), kind: 'TRANSACTIONAL', dueInSeconds: 3600 }]);
    // A campaign's hold is the life cycle's business, whatever its messages.
    const campaignHold = await reserveCredit(prisma, accountId, 45_000, { reason: 'campaign', referenceType: 'Campaign', author: PLATFORM });
    await platform.sql(`UPDATE credit_reservation SET created_at = created_at - interval '2 minutes' WHERE id = ANY($1::uuid[])`, [[lost.id, waiting, campaignHold.id]]);

    expect(await closeAbandonedMessageHolds()).toBeGreaterThanOrEqual(1);
    expect(await reservationOf(platform, lost.id)).toEqual({ state: 'CLOSED', settled: '0', released: '0.09' });
    expect((await reservationOf(platform, waiting))?.state).toBe('OPEN');
    expect((await reservationOf(platform, campaignHold.id))?.state).toBe('OPEN');
    await platform.sql(`UPDATE dispatch_queue SET send_after = now() AT TIME ZONE 'UTC' WHERE message_id = $1::bigint`, ids);
    await waitUntilFinal(platform, ids);
  });
});

describe('messages without a receipt', () => {
  it('what is still TRANSMITTED 48 h after it was handed over ends EXPIRED; what got its receipt is left alone', { timeout: 30_000 }, async () => {
    const { ids } = await queueMessages(platform, accountId, [
      { to: '+33612340004', kind: 'TRANSACTIONAL' },
      { to: plainNumber(7, 1), kind: 'TRANSACTIONAL' },
    ]);
    const [silent, answered] = ids as [string, string];
    await expect.poll(async () => (await rowsOf([silent]))[0]?.status, { timeout: 20_000 }).toBe('TRANSMITTED');
    await expect.poll(async () => (await rowsOf([answered]))[0]?.final, { timeout: 20_000 }).toBe(true);
    const before = (await rowsOf([answered]))[0];
    // Both were handed over more than 48 h ago.
    await platform.sql(`UPDATE awaiting_receipt SET submitted_at = submitted_at - interval '49 hours' WHERE message_ids && $1::bigint[]`, [ids]);
    const { expireStaleMessages } = await import('../../src/jobs/carrier-events.js');
    const { expired } = await expireStaleMessages(48);
    expect(expired).toBeGreaterThanOrEqual(1);
    const rows = new Map((await rowsOf(ids)).map((row) => [row.id, row]));
    expect(rows.get(silent)).toMatchObject({ status: 'EXPIRED', final: true, carrier_status: 'NO_RECEIPT', charged: true });
    expect(rows.get(answered)).toEqual(before);
    // This connection does not declare that its receipts carry our reference: the carrier ids are in carrier_part.
    const parts = await platform.sql<{ n: number }>(`SELECT count(*)::int AS n FROM carrier_part WHERE message_id = ANY($1::bigint[])`, [ids]);
    expect(parts[0]?.n).toBe(2);
    const left = await platform.sql(`SELECT 1 FROM awaiting_receipt WHERE message_ids && $1::bigint[]`, [ids]);
    expect(left).toHaveLength(0);
  });
});

describe('the transactional lane during a bulk backlog', () => {
  it('a sendMessage overtakes thousands of queued bulk messages', { timeout: 40_000 }, async () => {
    const bulk = Array.from({ length: 3000 }, (_, i) => plainNumber(5, i));
    const { ids } = await queueMessages(platform, accountId, bulk.map((to) => ({ to })));
    await expect.poll(() => simulator().stats().acceptedMessages, { timeout: 10_000, interval: 20 }).toBeGreaterThan(500);

    const owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    const sentAt = Date.now();
    const result = await owner.request(SendMessageDocument, { input: { to: ['+33612980001'], text: 'Votre code : 771204', sender: 'ACME' } });
    expect(result.sendMessage.__typename).toBe('MutationSendMessageSuccess');
    await expect.poll(() => simulator().submissionsTo('+33612980001'), { timeout: 10_000, interval: 10 }).toBe(1);
    const accepted = simulator().messages().find((message) => message.to === '+33612980001')!;
    const bulkNumbers = new Set(bulk);
    const bulkBefore = simulator().messages().filter((message) => bulkNumbers.has(message.to) && message.sequence < accepted.sequence).length;
    console.info(`[dispatch test] transactional message at the carrier ${accepted.acceptedAt.getTime() - sentAt} ms after sendMessage was called, ahead of ${3000 - bulkBefore} bulk messages`);
    // Most of the backlog went after it (no timing assertion: the machine is shared).
    expect(3000 - bulkBefore).toBeGreaterThan(1000);
    await waitUntilFinal(platform, ids, 30_000);
  });
});
