import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateApiKeyDocument,
  CreditBalanceDocument,
  LedgerEntriesDocument,
  TopUpCreditDocument,
  type LedgerEntriesQuery,
} from '../../codegen/generated/operations.js';
import type * as ClientModule from '../../src/db/client.js';
import type * as LedgerModule from '../../src/domain/credit/ledger.js';
import type * as ErrorsModule from '../../src/domain/errors.js';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
// Type-only imports: the modules themselves load after startTestPlatform() set the environment.
let ledger: typeof LedgerModule;
let errors: typeof ErrorsModule;
let prisma: typeof ClientModule.prisma;

beforeAll(async () => {
  platform = await startTestPlatform();
  ledger = await import('../../src/domain/credit/ledger.js');
  errors = await import('../../src/domain/errors.js');
  prisma = (await import('../../src/db/client.js')).prisma;
});

afterAll(async () => {
  await platform?.stop();
});

const sql = <Row extends object>(text: string, values: unknown[] = []) => platform.sql<Row>(text, values);

function ownerOf(tenant: Tenant): ApiClient {
  return apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
}

async function topUp(client: ApiClient, amount: string, idempotencyKey?: string) {
  const { topUpCredit } = await client.request(TopUpCreditDocument, { input: { amount, idempotencyKey } });
  return topUpCredit;
}

async function balanceOf(client: ApiClient): Promise<string> {
  return (await client.request(CreditBalanceDocument)).creditBalance.available;
}

describe('top-ups and invoices', () => {
  it('credits the amount excluding VAT, writes a TOP_UP entry and issues a numbered invoice with the company details', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    expect(await owner.request(CreditBalanceDocument)).toEqual({ creditBalance: { available: '0.00', reserved: '0.00', currency: 'EUR' } });

    const first = await topUp(owner, '100');
    const second = await topUp(owner, '12.34');
    if (first.__typename !== 'MutationTopUpCreditSuccess' || second.__typename !== 'MutationTopUpCreditSuccess') throw new Error(JSON.stringify([first, second]));
    expect(first.data).toMatchObject({ amount: '100.00', provider: 'simulator' });
    expect(first.data.invoice).toMatchObject({
      amountExcludingVat: '100.00',
      vatRate: '0.20',
      vatAmount: '20.00',
      amountIncludingVat: '120.00',
      currency: 'EUR',
      customerCompanyNumber: '73282932000074',
      customerAddress: '1 rue de la Paix, 75002 Paris, FR',
    });
    // VAT of 12.34 € at 20 % is 2.468 €, rounded half up to the cent.
    expect(second.data.invoice).toMatchObject({ vatAmount: '2.47', amountIncludingVat: '14.81' });
    expect(second.data.invoice?.number).toBe((first.data.invoice?.number ?? 0) + 1);
    expect(await balanceOf(owner)).toBe('112.34');

    const { ledgerEntries } = await owner.request(LedgerEntriesDocument, { first: 10 });
    expect(ledgerEntries.edges.map(({ node }) => [node.kind, node.amount, node.balanceAfter, node.referenceType, node.authorKind])).toEqual([
      ['TOP_UP', '12.34', '112.34', 'TopUp', 'USER'],
      ['TOP_UP', '100.00', '100.00', 'TopUp', 'USER'],
    ]);
  });

  it('keeps invoices immutable in the database', async () => {
    const tenant = await createTenant(platform);
    await topUp(ownerOf(tenant), '40');
    await expect(sql(`UPDATE invoice SET amount_excluding_vat = 1 WHERE account_id = $1`, [tenant.accountUuid])).rejects.toThrow(/immutable/);
    await expect(sql(`DELETE FROM invoice WHERE account_id = $1`, [tenant.accountUuid])).rejects.toThrow(/immutable/);
  });

  it('declines amounts ending in .13 (simulator rule): the attempt is kept DECLINED and nothing else changes', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    const declined = await topUp(owner, '50.13');
    expect(declined).toMatchObject({ __typename: 'PaymentDeclinedError', code: 'PAYMENT_DECLINED' });
    expect(await balanceOf(owner)).toBe('0.00');
    expect(await sql(`SELECT state::text, decline_reason IS NOT NULL AS reason, provider_reference FROM top_up WHERE account_id = $1`, [tenant.accountUuid])).toEqual([
      { state: 'DECLINED', reason: true, provider_reference: null },
    ]);
    expect(await sql(`SELECT count(*)::int AS n FROM invoice WHERE account_id = $1`, [tenant.accountUuid])).toEqual([{ n: 0 }]);
    expect((await owner.request(LedgerEntriesDocument, {})).ledgerEntries.edges).toEqual([]);
  });

  it.each([
    ['0', /more than 0/],
    ['0.00', /more than 0/],
    ['-5', /more than 0/],
    ['10.001', /at most 2 decimals/],
    ['10.5000', /at most 2 decimals/],
    ['10001', /at most 10000(\.00)? €/],
  ])('refuses the amount %s with a validation error naming the field', async (amount, message) => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    const refused = await topUp(owner, amount);
    if (refused.__typename !== 'ValidationError') throw new Error(JSON.stringify(refused));
    expect(refused.problems).toEqual([{ field: 'amount', message: expect.stringMatching(message) }]);
    expect(await balanceOf(owner)).toBe('0.00');
  });

  it('refuses an amount that is not a decimal string at the GraphQL level', async () => {
    const tenant = await createTenant(platform);
    const failures = await ownerOf(tenant).errors(TopUpCreditDocument, { input: { amount: '1e3' } });
    expect(failures[0]?.message).toMatch(/Decimal/);
  });

  it('lets only roles with billing rights top up or read the balance', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    const created = await owner.request(CreateApiKeyDocument, { input: { name: 'analytics', role: 'ANALYST' } });
    if (created.createApiKey.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(created));
    const analyst = apiClient(platform.graphqlUrl, `Bearer ${created.createApiKey.data.secret}`);
    const denied = await analyst.errors(TopUpCreditDocument, { input: { amount: '10' } });
    expect(denied[0]?.extensions).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await analyst.errors(CreditBalanceDocument))[0]?.extensions).toMatchObject({ code: 'PERMISSION_DENIED' });

    const billingKey = await owner.request(CreateApiKeyDocument, { input: { name: 'billing', role: 'BILLING' } });
    if (billingKey.createApiKey.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(billingKey));
    const billing = apiClient(platform.graphqlUrl, `Bearer ${billingKey.createApiKey.data.secret}`);
    expect((await topUp(billing, '10')).__typename).toBe('MutationTopUpCreditSuccess');
    const entries = (await billing.request(LedgerEntriesDocument, {})).ledgerEntries.edges;
    expect(entries.map(({ node }) => node.authorKind)).toEqual(['API_KEY']);
  });
});

describe('a payment taken when what follows fails', () => {
  /** As a failure after the payment leaves an attempt: PENDING, committed, with its request id. */
  async function pendingAttempt(tenant: Tenant, amount: string, requestId: string | null, ageMinutes = 0): Promise<string> {
    const [row] = await sql<{ id: string }>(
      `INSERT INTO top_up (id, account_id, amount, amount_including_vat, state, provider, request_id, created_at)
       SELECT id, $1::uuid, $2::numeric, $2::numeric * 1.2, 'PENDING', 'simulator', coalesce($3, id::text), localtimestamp - make_interval(mins => $4::int)
         FROM (SELECT gen_random_uuid() AS id) g RETURNING id::text`,
      [tenant.accountUuid, amount, requestId, ageMinutes],
    );
    return row!.id;
  }

  it('a retry with the same key completes the attempt: credited once, one invoice, no second payment', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    const key = 'top-up-after-crash-01';
    const attemptId = await pendingAttempt(tenant, '40', `${tenant.accountUuid}:${key}`);
    const retried = await topUp(owner, '40', key);
    if (retried.__typename !== 'MutationTopUpCreditSuccess') throw new Error(JSON.stringify(retried));
    expect(retried.data).toMatchObject({ amount: '40.00', providerReference: expect.stringMatching(/^sim_/), invoice: { amountIncludingVat: '48.00' } });
    expect(await sql(`SELECT id::text, state::text FROM top_up WHERE account_id = $1`, [tenant.accountUuid])).toEqual([{ id: attemptId, state: 'APPROVED' }]);
    expect(await balanceOf(owner)).toBe('40.00');
    // Again, and with another amount: the same top-up; the key is taken.
    const again = await topUp(owner, '40', key);
    expect(again).toMatchObject({ __typename: 'MutationTopUpCreditSuccess', data: { amount: '40.00' } });
    expect(await topUp(owner, '41', key)).toMatchObject({ __typename: 'IdempotencyKeyReusedError' });
    expect(await balanceOf(owner)).toBe('40.00');
    expect(await sql(`SELECT count(*)::int AS n FROM invoice WHERE account_id = $1`, [tenant.accountUuid])).toEqual([{ n: 1 }]);

    // A key whose life is over (its top-up older than the keys' 24 h) is refused, not answered with the old top-up.
    const oldKey = 'top-up-long-ago-01';
    const old = await pendingAttempt(tenant, '15', `${tenant.accountUuid}:${oldKey}`, 25 * 60);
    await sql(`UPDATE top_up SET state = 'APPROVED', provider_reference = 'sim_old' WHERE id = $1::uuid`, [old]);
    expect(await topUp(owner, '15', oldKey)).toMatchObject({ __typename: 'IdempotencyKeyReusedError' });
    expect(await balanceOf(owner)).toBe('40.00');
  });

  it('the reconciliation completes what was paid and nobody retried, declines the rest without ever collecting, and leaves young attempts to their request', async () => {
    const { reconcilePendingTopUps } = await import('../../src/domain/credit/top-up.js');
    const { paymentProvider } = await import('../../src/gateways/payments.js');
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    const paid = await pendingAttempt(tenant, '25', null, 10);
    const declined = await pendingAttempt(tenant, '25.13', null, 10);
    const neverCollected = await pendingAttempt(tenant, '30', null, 10);
    const young = await pendingAttempt(tenant, '5', null, 0);
    // As the request that wrote them left them: the provider answered the first two, then the process died.
    for (const [id, amount] of [[paid, 25_000_000], [declined, 25_130_000]] as const) {
      await paymentProvider().collect({ accountId: tenant.accountUuid, amount: amount * 1.2, amountExcludingVat: amount, currency: 'EUR', description: 'test', requestId: id });
    }
    expect(await reconcilePendingTopUps()).toBeGreaterThanOrEqual(3);
    const states = await sql<{ id: string; state: string; reason: string | null }>(`SELECT id::text, state::text, decline_reason AS reason FROM top_up WHERE account_id = $1`, [tenant.accountUuid]);
    expect(Object.fromEntries(states.map((row) => [row.id, row.state]))).toEqual({ [paid]: 'APPROVED', [declined]: 'DECLINED', [neverCollected]: 'DECLINED', [young]: 'PENDING' });
    expect(states.find((row) => row.id === neverCollected)?.reason).toMatch(/never reached the provider/);
    expect(await paymentProvider().status(neverCollected)).toEqual({ status: 'UNKNOWN' });
    expect(await balanceOf(owner)).toBe('25.00');
    await reconcilePendingTopUps();
    expect(await balanceOf(owner)).toBe('25.00');
    expect(await sql(`SELECT count(*)::int AS n FROM invoice WHERE account_id = $1`, [tenant.accountUuid])).toEqual([{ n: 1 }]);
    const [entries] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_entry WHERE account_id = $1 AND kind = 'TOP_UP'`, [tenant.accountUuid]);
    expect(entries).toEqual({ n: 1 });
  });
});

describe('idempotency keys', () => {
  it('replays the first result for the same key and input, without paying twice', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    const first = await topUp(owner, '30', 'top-up-key-0001');
    const replay = await topUp(owner, '30.00', 'top-up-key-0001');
    if (first.__typename !== 'MutationTopUpCreditSuccess' || replay.__typename !== 'MutationTopUpCreditSuccess') throw new Error('top-up failed');
    expect(replay.data.id).toBe(first.data.id);
    expect(replay.data.invoice?.number).toBe(first.data.invoice?.number);
    expect(await balanceOf(owner)).toBe('30.00');
  });

  it('refuses the same key with another input, and another account may use the same key', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    await topUp(owner, '30', 'top-up-key-0002');
    const conflict = await topUp(owner, '31', 'top-up-key-0002');
    expect(conflict).toMatchObject({ __typename: 'IdempotencyKeyReusedError', code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await balanceOf(owner)).toBe('30.00');

    const other = ownerOf(await createTenant(platform));
    expect((await topUp(other, '31', 'top-up-key-0002')).__typename).toBe('MutationTopUpCreditSuccess');
    expect(await balanceOf(other)).toBe('31.00');
  });

  it('executes concurrent duplicates once: every response carries the same top-up', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    const results = await Promise.all(Array.from({ length: 8 }, () => topUp(owner, '45', 'top-up-key-concurrent')));
    const ids = results.map((result) => (result.__typename === 'MutationTopUpCreditSuccess' ? result.data.id : result.__typename));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(await balanceOf(owner)).toBe('45.00');
    expect(await sql(`SELECT count(*)::int AS n FROM top_up WHERE account_id = $1`, [tenant.accountUuid])).toEqual([{ n: 1 }]);
    expect(await sql(`SELECT count(*)::int AS n FROM invoice WHERE account_id = $1`, [tenant.accountUuid])).toEqual([{ n: 1 }]);
  });

  it('does not keep the key of a declined payment, so a corrected retry with the same key runs', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    expect((await topUp(owner, '20.13', 'top-up-key-declined')).__typename).toBe('PaymentDeclinedError');
    // Same key, same input: declined again (a decline is not a stored result).
    expect((await topUp(owner, '20.13', 'top-up-key-declined')).__typename).toBe('PaymentDeclinedError');
    expect(await balanceOf(owner)).toBe('0.00');
  });

  it('keeps keys at least 24 hours and lets the purge job remove only expired ones', async () => {
    const tenant = await createTenant(platform);
    await topUp(ownerOf(tenant), '30', 'top-up-key-expiry');
    const [row] = await sql<{ hours: number }>(
      `SELECT extract(epoch FROM expires_at - created_at)::int / 3600 AS hours FROM idempotency_key WHERE account_id = $1`,
      [tenant.accountUuid],
    );
    expect(row?.hours).toBe(24);
    const { purgeExpiredIdempotencyKeys } = await import('../../src/domain/idempotency.js');
    expect(await purgeExpiredIdempotencyKeys(new Date(Date.now() + 23 * 3600 * 1000))).toBe(0);
    expect(await purgeExpiredIdempotencyKeys(new Date(Date.now() + 25 * 3600 * 1000))).toBeGreaterThanOrEqual(1);
    expect(await sql(`SELECT key FROM idempotency_key WHERE account_id = $1`, [tenant.accountUuid])).toEqual([]);
  });

  it('refuses a malformed key', async () => {
    const tenant = await createTenant(platform);
    const refused = await topUp(ownerOf(tenant), '30', 'short');
    expect(refused).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'idempotencyKey' }] });
  });
});

describe('charges under concurrency', () => {
  it('100 concurrent charges against a balance covering 50: exactly 50 succeed, balance 0, ledger sums to it', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    // 50 × 0.045 € = 2.25 €
    await topUp(owner, '2.25');

    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, (_, index) =>
        ledger.chargeCredit(prisma, tenant.accountUuid, 45_000, { reason: `SMS ${index}`, referenceType: 'Test', referenceId: String(index) }),
      ),
    );
    const succeeded = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(succeeded).toHaveLength(50);
    expect(refused).toHaveLength(50);
    for (const reason of refused) {
      expect(reason).toBeInstanceOf(errors.InsufficientCreditError);
      expect(reason).toMatchObject({ required: '0.045', available: '0.00', missing: '0.045' });
    }

    expect(await balanceOf(owner)).toBe('0.00');
    expect(await ledger.ledgerMismatches(prisma, [tenant.accountUuid])).toEqual([]);
    const [sum] = await sql<{ sum: string }>(`SELECT sum(amount)::text AS sum FROM ledger_entry WHERE account_id = $1`, [tenant.accountUuid]);
    expect(Number(sum?.sum)).toBe(0);

    // Read through the API exactly as a customer would: 50 charges, newest first, then the top-up.
    const nodes = [];
    let after: string | null = null;
    do {
      const page: LedgerEntriesQuery = await owner.request(LedgerEntriesDocument, { first: 20, after });
      nodes.push(...page.ledgerEntries.edges.map((edge) => edge.node));
      after = page.ledgerEntries.pageInfo.hasNextPage ? page.ledgerEntries.pageInfo.endCursor : null;
    } while (after);
    expect(nodes).toHaveLength(51);
    expect(nodes.map((node) => [node.kind, node.amount, node.balanceAfter])).toEqual([
      ...Array.from({ length: 50 }, (_, index) => ['CHARGE', '-0.045', (index * 0.045).toFixed(3).replace(/0$/, '')]),
      ['TOP_UP', '2.25', '2.25'],
    ]);
    const charges = await owner.request(LedgerEntriesDocument, { first: 100, kinds: ['CHARGE'] });
    expect(charges.ledgerEntries.edges).toHaveLength(50);
    expect(new Set(charges.ledgerEntries.edges.map((edge) => edge.node.referenceId)).size).toBe(50);
  });

  it('filters entries by period', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    await topUp(owner, '10');
    const middle = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await topUp(owner, '20');
    const before = await owner.request(LedgerEntriesDocument, { to: middle.toISOString() });
    const after = await owner.request(LedgerEntriesDocument, { from: middle.toISOString() });
    expect(before.ledgerEntries.edges.map((edge) => edge.node.amount)).toEqual(['10.00']);
    expect(after.ledgerEntries.edges.map((edge) => edge.node.amount)).toEqual(['20.00']);
    const reversed = await owner.errors(LedgerEntriesDocument, { from: middle.toISOString(), to: middle.toISOString() });
    expect(reversed[0]).toMatchObject({ extensions: { code: 'VALIDATION_FAILED' } });
  });
});

describe('reservations and refunds', () => {
  it('holds, settles as messages go out and releases the rest; the ledger always sums to the balance', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    await topUp(owner, '100');
    const reservation = await ledger.reserveCredit(prisma, tenant.accountUuid, 60_000_000, { reason: 'Campaign spring' });
    expect(await owner.request(CreditBalanceDocument)).toMatchObject({ creditBalance: { available: '40.00', reserved: '60.00' } });

    await ledger.settleReservation(prisma, reservation.id, 20_000_000, { reason: 'Campaign spring: batch 1' });
    await ledger.settleReservation(prisma, reservation.id, 15_500_000, { reason: 'Campaign spring: batch 2' });
    expect(await owner.request(CreditBalanceDocument)).toMatchObject({ creditBalance: { available: '40.00', reserved: '24.50' } });

    const released = await ledger.releaseReservation(prisma, reservation.id, { reason: 'Campaign spring finished' });
    expect(released).toMatchObject({ settled: 35_500_000, released: 24_500_000, state: 'CLOSED' });
    expect(await owner.request(CreditBalanceDocument)).toMatchObject({ creditBalance: { available: '64.50', reserved: '0.00' } });
    // Releasing twice gives nothing back twice.
    await ledger.releaseReservation(prisma, reservation.id, { reason: 'again' });
    expect(await balanceOf(owner)).toBe('64.50');
    await expect(ledger.settleReservation(prisma, reservation.id, 1, { reason: 'late' })).rejects.toBeInstanceOf(errors.ValidationError);

    // Each entry with the balance it left: a settlement's RELEASE and CHARGE leave it where it was.
    const kinds = (await owner.request(LedgerEntriesDocument, { first: 20 })).ledgerEntries.edges.map((edge) => [edge.node.kind, edge.node.amount, edge.node.balanceAfter]);
    expect(kinds).toEqual([
      ['RELEASE', '24.50', '64.50'],
      ['CHARGE', '-15.50', '40.00'],
      ['RELEASE', '15.50', '55.50'],
      ['CHARGE', '-20.00', '40.00'],
      ['RELEASE', '20.00', '60.00'],
      ['RESERVATION', '-60.00', '40.00'],
      ['TOP_UP', '100.00', '100.00'],
    ]);
    expect(await ledger.ledgerMismatches(prisma, [tenant.accountUuid])).toEqual([]);
  });

  it('settles what records queued on a hold within a second, and at once when the process stops', async () => {
    const { settleSoon, settleDueNow, SETTLE_EVERY_MS } = await import('../../src/jobs/settlements.js');
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    await topUp(owner, '10');
    const reservation = await ledger.reserveCredit(prisma, tenant.accountUuid, 5_000_000, { reason: 'Campaign' });
    const settledOf = async () => (await sql<{ settled: string }>(`SELECT amount_settled::text AS settled FROM credit_reservation WHERE id = $1::uuid`, [reservation.id]))[0]!.settled;

    // Three records, each queuing its charge and asking for a settlement (the dispatchers' own
    // sweep may settle some first: nothing here depends on which settles what).
    for (const amount of [450_000, 900_000, 45_000]) {
      await ledger.queueSettlement(prisma, reservation.id, amount, amount / 45_000);
      settleSoon([reservation.id]);
    }
    await expect.poll(settledOf, { timeout: SETTLE_EVERY_MS * 3, interval: 50 }).toBe('1.395000');

    // Stopping settles what is due without waiting.
    await ledger.queueSettlement(prisma, reservation.id, 90_000, 2);
    settleSoon([reservation.id]);
    await settleDueNow();
    expect(await settledOf()).toBe('1.485000');
    expect(await owner.request(CreditBalanceDocument)).toMatchObject({ creditBalance: { available: '5.00', reserved: '3.515' } });
    expect(await ledger.ledgerMismatches(prisma, [tenant.accountUuid])).toEqual([]);
  });

  it('keeps a charge the balance cannot cover for SMS already gone (a safety net) for an operator, in the same transaction', async () => {
    const { inPgTransaction } = await import('../../src/db/raw-sql.js');
    const { pool } = await import('../../src/db/client.js');
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    await topUp(owner, '10');
    await inPgTransaction(pool, async (db) => {
      await ledger.chargeOrLog(db, tenant.accountUuid, 4_000_000, { reason: '2 SMS handed to the carrier', referenceType: 'Message', author: ledger.PLATFORM });
      await ledger.chargeOrLog(db, tenant.accountUuid, 7_000_000, { reason: '3 SMS handed to the carrier', referenceType: 'Message', author: ledger.PLATFORM });
    });
    // The first charged; the second, over what is left, kept (nothing half-done: the balance is 6.00).
    expect(await balanceOf(owner)).toBe('6.00');
    expect(await sql(`SELECT trim_scale(amount)::text AS amount, reason, settled_at FROM uncharged_amount WHERE account_id = $1`, [tenant.accountUuid])).toEqual([
      { amount: '7', reason: '3 SMS handed to the carrier', settled_at: null },
    ]);
    expect(await ledger.ledgerMismatches(prisma, [tenant.accountUuid])).toEqual([]);
  });

  it('works the same on a pg client in its own transaction (the dispatch path), and a failure there writes nothing', async () => {
    const { inPgTransaction } = await import('../../src/db/raw-sql.js');
    const { pool } = await import('../../src/db/client.js');
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    await topUp(owner, '10');
    const hold = await inPgTransaction(pool, async (db) => {
      const reservation = await ledger.reserveCredit(db, tenant.accountUuid, 2_000_000, { reason: 'Campaign' });
      await ledger.extendReservation(db, reservation.id, 1_000_000, { reason: 'recipients added' });
      await ledger.settleReservation(db, reservation.id, 500_000, { reason: 'first batch' });
      return reservation;
    });
    const released = await inPgTransaction(pool, (db) => ledger.releaseReservation(db, hold.id, { reason: 'finished' }));
    expect(released).toMatchObject({ held: 3_000_000, settled: 500_000, released: 2_500_000, state: 'CLOSED' });
    expect(await balanceOf(owner)).toBe('9.50');

    // A hold taken, then a failure in the same transaction: neither the hold nor its entry stays.
    await expect(
      inPgTransaction(pool, async (db) => {
        await ledger.reserveCredit(db, tenant.accountUuid, 1_000_000, { reason: 'doomed' });
        throw new Error('the chunk failed');
      }),
    ).rejects.toThrow('the chunk failed');
    expect(await owner.request(CreditBalanceDocument)).toMatchObject({ creditBalance: { available: '9.50', reserved: '0.00' } });
    // A refused debit read on the pg client names the amount missing, as on Prisma.
    await expect(
      inPgTransaction(pool, (db) => ledger.reserveCredit(db, tenant.accountUuid, 12_000_000, { reason: 'too big' })),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_CREDIT', missing: '2.50' });
    expect(await ledger.ledgerMismatches(prisma, [tenant.accountUuid])).toEqual([]);
    // A statement that failed inside, its error caught there: not reported as committed.
    await expect(inPgTransaction(pool, async (db) => db.$executeRawUnsafe('SELECT 1 / 0').catch(() => 0))).rejects.toThrow('rolled back');
    // A statement stuck longer than the transaction's limit is cancelled.
    await expect(inPgTransaction(pool, (db) => db.$queryRawUnsafe('SELECT pg_sleep(5)'), { timeoutMs: 200 })).rejects.toThrow('statement timeout');
  });

  it('writes what a hold pays for in the statement that takes the hold, or nothing when the balance cannot cover it', async () => {
    const { Prisma } = await import('../../src/generated/prisma/client.js');
    const tenant = await createTenant(platform);
    await topUp(ownerOf(tenant), '1');
    // Rows that name the hold (kept apart by a connection name of this test's own), written by the hold's statement.
    const tag = `paid-for-${tenant.accountUuid}`;
    const paidFor = (holdId: string) => ({
      ctes: Prisma.sql`, paid AS (INSERT INTO unmatched_receipt (connection, carrier_message_id, status, carrier_status)
                                  SELECT ${tag}, ${holdId}, 'DELIVERED', 'DELIVRD' WHERE EXISTS (SELECT 1 FROM debited) RETURNING id)`,
      result: Prisma.sql`SELECT count(*)::int FROM paid`,
    });
    const taken = await ledger.reserveCredit(prisma, tenant.accountUuid, 600_000, { reason: 'one SMS' }, paidFor);
    expect(taken.paidFor).toBe(1);
    await expect(ledger.reserveCredit(prisma, tenant.accountUuid, 600_000, { reason: 'one more' }, paidFor)).rejects.toMatchObject({ code: 'INSUFFICIENT_CREDIT' });
    const paid = await sql<{ hold: string }>(`SELECT carrier_message_id AS hold FROM unmatched_receipt WHERE connection = $1`, [tag]);
    expect(paid).toEqual([{ hold: taken.id }]);
    await sql(`DELETE FROM unmatched_receipt WHERE connection = $1`, [tag]);
    expect(await ledger.ledgerMismatches(prisma, [tenant.accountUuid])).toEqual([]);
  });

  it('refuses a reservation the balance cannot cover, with the amount missing', async () => {
    const tenant = await createTenant(platform);
    await topUp(ownerOf(tenant), '10');
    await expect(ledger.reserveCredit(prisma, tenant.accountUuid, 12_500_000, { reason: 'too big' })).rejects.toMatchObject({
      code: 'INSUFFICIENT_CREDIT',
      missing: '2.50',
    });
    expect(await sql(`SELECT id FROM credit_reservation WHERE account_id = $1`, [tenant.accountUuid])).toEqual([]);
  });

  it('charges beyond the hold from the balance when a settlement exceeds the estimate', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    await topUp(owner, '10');
    const reservation = await ledger.reserveCredit(prisma, tenant.accountUuid, 5_000_000, { reason: 'estimate' });
    await ledger.settleReservation(prisma, reservation.id, 6_000_000, { reason: 'longer messages than estimated' });
    expect(await owner.request(CreditBalanceDocument)).toMatchObject({ creditBalance: { available: '4.00', reserved: '0.00' } });
    await expect(ledger.settleReservation(prisma, reservation.id, 4_000_001, { reason: 'too much' })).rejects.toBeInstanceOf(
      errors.InsufficientCreditError,
    );
    expect(await balanceOf(owner)).toBe('4.00');
  });

  it('refunds a charge at most once its amount', async () => {
    const tenant = await createTenant(platform);
    const owner = ownerOf(tenant);
    await topUp(owner, '1');
    const details = { reason: 'SMS', referenceType: 'Message', referenceId: 'message-1' };
    await ledger.chargeCredit(prisma, tenant.accountUuid, 90_000, details);
    await ledger.refundCredit(prisma, tenant.accountUuid, 45_000, { ...details, reason: 'segment not sent' });
    await expect(ledger.refundCredit(prisma, tenant.accountUuid, 45_001, { ...details, reason: 'too much' })).rejects.toBeInstanceOf(
      errors.ValidationError,
    );
    await ledger.refundCredit(prisma, tenant.accountUuid, 45_000, { ...details, reason: 'rest' });
    expect(await balanceOf(owner)).toBe('1.00');
  });

  it('the database refuses a negative balance even to a direct write', async () => {
    const tenant = await createTenant(platform);
    await expect(sql(`UPDATE account SET credit_balance = -0.000001 WHERE id = $1`, [tenant.accountUuid])).rejects.toThrow(/credit_balance_not_negative/);
  });
});
