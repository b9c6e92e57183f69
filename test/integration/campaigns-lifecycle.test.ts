import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CampaignMessageStatusChangedDocument,
  CampaignPreviewDocument,
  CampaignProgressDocument,
  CancelCampaignDocument,
  SendCampaignDocument,
} from '../../codegen/generated/operations.js';
import { DEFAULT_SENDING_RULES } from '../../src/domain/messaging/default-sending-rules.js';
import { nextSendingTime } from '../../src/domain/messaging/sending-windows.js';
import { createTenant, databaseId, type Tenant } from '../support/fixtures.js';
import { apiClient, collect, startTestPlatform, wsClient, type ApiClient, type TestPlatform } from '../support/platform.js';
import { startPlatformProcess } from '../support/process.js';
import { balanceOf, campaignOf, chargedPricesOf, createCampaign, ledgerOf, micros, numbers, seedContacts, seedList, sendCampaign, topUp } from './campaigns-support.js';

/**
 * A campaign's life after the send: cancelled while the carrier is slowed down (60 submissions a
 * second), scheduled sends, marketing held to its sending window, and the materialisation job
 * (two copies at once, recipients added after the send, a balance that no longer covers them).
 */
let platform: TestPlatform;
let tenant: Tenant;
let owner: ApiClient;

beforeAll(async () => {
  // A slow carrier: the simulator takes 60 submissions a second, and the platform's connection to
  // it sends at most 50 segments a second (40 for bulk traffic), so it never hears a throttling answer.
  const port = await freePort();
  platform = await startTestPlatform({
    CARRIER_SIMULATOR_PORT: String(port),
    CARRIERS: JSON.stringify([
      { name: 'slow', port, systemId: 'platform', password: 'secret', binds: 1, windowSize: 10, maxSegmentsPerSecond: 50, routes: [{ prefix: '+', priority: 1 }] },
    ]),
    CARRIER_SIMULATOR_OUTCOMES: 'DELIVRD=100',
    CARRIER_SIMULATOR_MAX_SUBMITS_PER_SECOND: '60',
    // Dispatchers that bound what they hold in flight leave more to cancel (ignored where unknown).
    DISPATCH_MAX_IN_FLIGHT: '50',
    CAMPAIGN_CHUNK_SIZE: '100',
    CAMPAIGN_PROGRESS_EVENTS_PER_SECOND: '4',
    CAMPAIGN_LIFECYCLE_INTERVAL_MS: '200',
  });
  tenant = await createTenant(platform);
  owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
  await topUp(owner, '100.00');
});

afterAll(async () => {
  await platform?.stop();
});

async function messagesOf(campaignId: string) {
  return platform.sql<{ id: string; recipient: string; status: string; charged: boolean; send_after: Date; submitted_at: Date | null; error_code: string | null }>(
    `SELECT id::text, recipient, status::text, charged, send_after, submitted_at, error_code FROM message WHERE campaign_id = $1::uuid ORDER BY recipient`,
    [databaseId(campaignId)],
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function groupByStatus<Row extends { status: string }>(rows: Row[]): Partial<Record<string, Row[]>> {
  const groups: Partial<Record<string, Row[]>> = {};
  for (const row of rows) (groups[row.status] ??= []).push(row);
  return groups;
}

/** A new account with `credit` euros and a transactional campaign to `recipients` scheduled in an hour (not sent yet). */
async function scheduledCampaign(name: string, credit: string, recipients: readonly string[]) {
  const tenant = await createTenant(platform);
  const client = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
  await topUp(client, credit);
  const listId = await seedList(platform, tenant, client, name, recipients.map((number) => ({ number })));
  const campaign = await createCampaign(client, {
    name,
    type: 'TRANSACTIONAL',
    sender: 'BOUTIQUE',
    text: 'Hello',
    recipients: { listIds: [listId] },
    scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  return { tenant, client, listId, campaign };
}

/** As if the materialisation job had not run: no resume point, no running cost, not finished. */
async function forgetMaterialisation(campaignUuid: string): Promise<void> {
  await platform.sql(`UPDATE campaign SET materialized_at = NULL, materialized_until = NULL, materialized_cost = 0 WHERE id = $1::uuid`, [campaignUuid]);
}

describe('campaign life cycle', () => {
  it('cancels mid-way: what was not handed over is cancelled, never sent nor charged, and the hold is released', async () => {
    const recipients = numbers('+33655500010', 800, 10);
    const listId = await seedList(platform, tenant, owner, 'Cancel me', recipients.map((number) => ({ number })));
    const campaign = await createCampaign(owner, { name: 'To cancel', type: 'TRANSACTIONAL', sender: 'BOUTIQUE', text: 'Offre du jour', recipients: { listIds: [listId] } });
    const before = await balanceOf(owner);
    await sendCampaign(owner, { id: campaign.id });
    // Cancelled once every message is written (a cancel during the writing is the next test) and some were sent.
    await expect
      .poll(
        async () => {
          const { progress, messagesWrittenAt } = await campaignOf(owner, campaign.id);
          return messagesWrittenAt === null ? 0 : progress.delivered + progress.transmitted;
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBeGreaterThanOrEqual(20);

    const subscriber = wsClient(platform.wsUrl, `Bearer ${tenant.accessToken}`);
    const statuses = collect(subscriber, CampaignMessageStatusChangedDocument, { campaignId: campaign.id });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancelled = await owner.request(CancelCampaignDocument, { id: campaign.id });
    expect(cancelled.cancelCampaign).toMatchObject({ __typename: 'MutationCancelCampaignSuccess', data: { status: 'CANCELLED', cancelledAt: expect.any(String) } });
    await expect.poll(async () => (await campaignOf(owner, campaign.id)).progress.final, { timeout: 30_000, interval: 200 }).toBe(true);

    const rows = await messagesOf(campaign.id);
    const byStatus = groupByStatus(rows);
    // Every cancelled message was pushed live as CANCELLED.
    const cancelledIds = new Set((byStatus.CANCELLED ?? []).map((row) => row.id));
    const pushedCancelled = () => new Set(statuses.received.filter((event) => event.messageStatusChanged.status === 'CANCELLED').map((event) => databaseId(event.messageStatusChanged.id)));
    await expect.poll(() => pushedCancelled().size, { timeout: 10_000 }).toBe(cancelledIds.size);
    expect([...pushedCancelled()].every((id) => cancelledIds.has(id))).toBe(true);
    statuses.unsubscribe();
    await subscriber.dispose();
    expect(rows).toHaveLength(800);
    expect(byStatus.CANCELLED?.length ?? 0).toBeGreaterThanOrEqual(200);
    expect(byStatus.DELIVERED?.length ?? 0).toBeGreaterThanOrEqual(20);
    expect((byStatus.CANCELLED?.length ?? 0) + (byStatus.DELIVERED?.length ?? 0)).toBe(800);
    for (const row of byStatus.CANCELLED ?? []) {
      expect(row.charged).toBe(false);
      expect(platform.simulator!.submissionsTo(row.recipient)).toBe(0);
    }
    const prices = await chargedPricesOf(platform, campaign.id);
    expect(micros(prices.charged)).toBe((byStatus.DELIVERED?.length ?? 0) * 45_000);
    await expect.poll(() => balanceOf(owner), { timeout: 5_000 }).toMatchObject({ reserved: '0.00' });
    expect(micros((await balanceOf(owner)).available)).toBe(micros(before.available) - micros(prices.charged));
    const ledger = await ledgerOf(platform, tenant);
    expect(ledger.balance).toBe(ledger.ledger);

    const again = await owner.request(CancelCampaignDocument, { id: campaign.id });
    expect(again.cancelCampaign).toMatchObject({ __typename: 'CampaignStateError', status: 'CANCELLED' });
  }, 60_000);

  it('writes no more message once cancelled while its messages were being written, and gives the hold back', async () => {
    const { materializeCampaign } = await import('../../src/domain/campaigns/materialize-campaign.js');
    const { client, campaign } = await scheduledCampaign('Stopped early', '5.00', numbers('+33655830010', 30, 10));
    await sendCampaign(client, { id: campaign.id });
    await expect.poll(async () => (await campaignOf(client, campaign.id)).messagesWrittenAt, { timeout: 5_000 }).not.toBeNull();

    // As if one chunk of ten had been written when the cancel came.
    const uuid = databaseId(campaign.id);
    await platform.sql(
      `DELETE FROM message WHERE campaign_id = $1::uuid AND id NOT IN (SELECT id FROM message WHERE campaign_id = $1::uuid ORDER BY recipient LIMIT 10)`,
      [uuid],
    );
    await platform.sql(
      `UPDATE campaign SET materialized_at = NULL, materialized_cost = 0.45,
              materialized_until = (SELECT max(recipient) FROM message WHERE campaign_id = $1::uuid) WHERE id = $1::uuid`,
      [uuid],
    );
    const cancelled = await client.request(CancelCampaignDocument, { id: campaign.id });
    expect(cancelled.cancelCampaign).toMatchObject({ __typename: 'MutationCancelCampaignSuccess', data: { status: 'CANCELLED', messagesWrittenAt: expect.any(String) } });
    expect(await materializeCampaign(uuid, 10)).toEqual({ chunks: 0, written: 0, finished: false });

    const rows = await messagesOf(campaign.id);
    expect(rows.map((row) => row.status)).toEqual(Array(10).fill('CANCELLED'));
    expect((await campaignOf(client, campaign.id)).progress).toMatchObject({ total: 10, cancelled: 10, charged: '0.00', final: true });
    expect(await balanceOf(client)).toEqual({ available: '5.00', reserved: '0.00', currency: 'EUR' });
  });

  it('completes a campaign once all its messages are written and its tally counts none waiting, not before', async () => {
    // The campaign with its tally in one statement: the platform's own life cycle rounds never see
    // it written with nothing counted (which they would rightly complete).
    // Deltas as the triggers append them: two written, one handed over and delivered, one waiting.
    const [campaign] = await platform.sql<{ id: string }>(
      `WITH c AS (
         INSERT INTO campaign (id, account_id, name, kind, sender, text, status, materialized_at)
         VALUES (gen_random_uuid(), $1::uuid, 'Tally', 'MARKETING', 'ACME', 'Bonjour', 'SENDING', now()) RETURNING id
       ), t AS (
         INSERT INTO campaign_tally (campaign_id, status, count)
         SELECT c.id, d.status::"MessageStatus", d.count FROM c,
                (VALUES ('ON_HOLD', 2), ('ON_HOLD', -1), ('TRANSMITTED', 1), ('TRANSMITTED', -1), ('DELIVERED', 1)) AS d(status, count)
       )
       SELECT id::text FROM c`,
      [tenant.accountUuid],
    );
    const id = campaign!.id;
    const statusOf = async () => (await platform.sql<{ status: string }>(`SELECT status::text FROM campaign WHERE id = $1::uuid`, [id]))[0]!.status;
    const { advanceCampaigns } = await import('../../src/jobs/campaign-lifecycle.js');
    expect(await advanceCampaigns(false)).not.toContain(id);
    expect(await statusOf()).toBe('SENDING');
    // The last one handed over: nothing waits any more.
    await platform.sql(`INSERT INTO campaign_tally (campaign_id, status, count) VALUES ($1::uuid, 'ON_HOLD', -1), ($1::uuid, 'TRANSMITTED', 1)`, [id]);
    await advanceCampaigns(false);
    expect(await statusOf()).toBe('COMPLETED');
  });

  it('settles a finished campaign\'s queued charges and closes its hold when it completes, and is final only then', async () => {
    const ledger = await import('../../src/domain/credit/ledger.js');
    const { prisma } = await import('../../src/db/client.js');
    const { advanceCampaigns } = await import('../../src/jobs/campaign-lifecycle.js');
    const { campaignProgressOf } = await import('../../src/domain/campaigns/campaign-progress.js');
    const hold = await ledger.reserveCredit(prisma, tenant.accountUuid, 450_000, { reason: 'Campaign "Settled"' });
    // Cancelled, its rows not all written yet (so that no life cycle round releases the hold meanwhile).
    const [campaign] = await platform.sql<{ id: string }>(
      `INSERT INTO campaign (id, account_id, name, kind, sender, text, status, reservation_id)
       VALUES (gen_random_uuid(), $1::uuid, 'Settled', 'MARKETING', 'ACME', 'Bonjour', 'CANCELLED', $2::uuid) RETURNING id::text`,
      [tenant.accountUuid, hold.id],
    );
    const id = campaign!.id;
    // Its three messages handed over and delivered; their charge queued by the record, not settled yet.
    await platform.sql(`INSERT INTO campaign_tally (campaign_id, status, count) VALUES ($1::uuid, 'DELIVERED', 3)`, [id]);
    await ledger.queueSettlement(prisma, hold.id, 135_000, 3);
    // Every message final, but the hold still open: its charges may still move, so not final.
    expect((await campaignProgressOf([id])).get(id)).toMatchObject({ status: 'CANCELLED', delivered: 3, charged: 0, final: false });

    // As a sending campaign whose rows are all written: the life cycle (this round or the platform's own) completes it.
    await platform.sql(`UPDATE campaign SET status = 'SENDING', materialized_at = now() WHERE id = $1::uuid`, [id]);
    await advanceCampaigns(false);
    const [state] = await platform.sql<{ status: string; hold: string; settled: string }>(
      `SELECT c.status::text, r.state::text AS hold, r.amount_settled::text AS settled FROM campaign c JOIN credit_reservation r ON r.id = c.reservation_id WHERE c.id = $1::uuid`,
      [id],
    );
    expect(state).toEqual({ status: 'COMPLETED', hold: 'CLOSED', settled: '0.135000' });
    expect((await campaignProgressOf([id])).get(id)).toMatchObject({ status: 'COMPLETED', delivered: 3, charged: 135_000, final: true });
  });

  it('sends a scheduled campaign at its time, not before', async () => {
    const recipients = numbers('+33655600010', 3, 10);
    const scheduledAt = new Date(Date.now() + 4_000);
    const campaign = await createCampaign(owner, {
      name: 'Later',
      type: 'TRANSACTIONAL',
      sender: 'BOUTIQUE',
      text: 'Rappel : rendez-vous demain.',
      recipients: { numbers: recipients },
      scheduledAt: scheduledAt.toISOString(),
      timeZone: 'America/New_York',
    });
    const sent = await sendCampaign(owner, { id: campaign.id });
    expect(sent.campaign).toMatchObject({ status: 'SCHEDULED', recipientCount: 3, timeZone: 'America/New_York' });
    expect(sent.campaign.scheduledLocalTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    await expect.poll(async () => (await messagesOf(campaign.id)).length, { timeout: 5_000 }).toBe(3);
    for (const row of await messagesOf(campaign.id)) {
      expect(row.status).toBe('ON_HOLD');
      expect(row.send_after.getTime()).toBe(scheduledAt.getTime());
    }
    expect(recipients.map((number) => platform.simulator!.submissionsTo(number))).toEqual([0, 0, 0]);

    await expect.poll(async () => (await campaignOf(owner, campaign.id)).status, { timeout: 15_000, interval: 200 }).toBe('COMPLETED');
    for (const row of await messagesOf(campaign.id)) expect(row.submitted_at!.getTime()).toBeGreaterThanOrEqual(scheduledAt.getTime());
    await expect.poll(async () => (await campaignOf(owner, campaign.id)).progress, { timeout: 10_000 }).toMatchObject({ delivered: 3, final: true });
  }, 30_000);

  it('holds marketing until the sending window opens, and a cancelled scheduled campaign gives its whole hold back', async () => {
    // Next Sunday, 10:00 in Paris: French marketing waits for Monday 08:00 (or the next open day).
    const sunday = new Date();
    sunday.setUTCDate(sunday.getUTCDate() + ((7 - sunday.getUTCDay()) % 7 || 7));
    sunday.setUTCHours(9, 0, 0, 0);
    const expected = nextSendingTime('MARKETING', 'FR', sunday, DEFAULT_SENDING_RULES);
    expect(expected.getTime()).toBeGreaterThan(sunday.getTime());

    const recipients = numbers('+33655700010', 4, 10);
    const campaign = await createCampaign(owner, {
      name: 'Dimanche',
      type: 'MARKETING',
      sender: 'BOUTIQUE',
      text: 'Promo {firstname|amie} !',
      recipients: { numbers: recipients },
      scheduledAt: sunday.toISOString(),
    });
    const { campaignPreview } = await owner.request(CampaignPreviewDocument, { id: campaign.id });
    if (campaignPreview.__typename !== 'QueryCampaignPreviewSuccess') throw new Error(JSON.stringify(campaignPreview));
    expect(campaignPreview.data.byCountry).toEqual([expect.objectContaining({ country: 'FR', held: true, sendAt: expected.toISOString() })]);
    expect(campaignPreview.data.requestedAt).toBe(sunday.toISOString());
    expect(campaignPreview.data.sample?.text).toBe('Promo amie !\nSTOP au 30101');

    const before = await balanceOf(owner);
    const sent = await sendCampaign(owner, { id: campaign.id });
    expect(sent).toMatchObject({ reserved: '0.18', campaign: { status: 'SCHEDULED' } });
    await expect.poll(async () => (await messagesOf(campaign.id)).length, { timeout: 5_000 }).toBe(4);
    for (const row of await messagesOf(campaign.id)) expect(row.send_after.getTime()).toBe(expected.getTime());

    const cancelled = await owner.request(CancelCampaignDocument, { id: campaign.id });
    expect(cancelled.cancelCampaign).toMatchObject({
      __typename: 'MutationCancelCampaignSuccess',
      data: { status: 'CANCELLED', progress: { cancelled: 4, onHold: 0, charged: '0.00', final: true } },
    });
    expect(await balanceOf(owner)).toEqual(before);

    // With strict timing the same campaign is refused instead of held: a preview problem, and the send says why.
    const strict = await createCampaign(owner, {
      name: 'Dimanche strict',
      type: 'MARKETING',
      sender: 'BOUTIQUE',
      text: 'Promo !',
      strictTiming: true,
      recipients: { numbers: recipients },
      scheduledAt: sunday.toISOString(),
    });
    const strictPreview = (await owner.request(CampaignPreviewDocument, { id: strict.id })).campaignPreview;
    expect(strictPreview).toMatchObject({
      __typename: 'QueryCampaignPreviewSuccess',
      data: { canSend: false, problems: [{ code: 'OUTSIDE_SENDING_WINDOW', field: 'scheduledAt', message: expect.stringContaining(expected.toISOString()) }] },
    });
    const refused = (await owner.request(SendCampaignDocument, { input: { id: strict.id } })).sendCampaign;
    expect(refused).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'scheduledAt', message: expect.stringContaining('strict timing is on') }] });
    expect(await balanceOf(owner)).toEqual(before);
    expect(await messagesOf(strict.id)).toEqual([]);

    // Scheduled when the window is open, it is accepted, its messages written with strict timing:
    // should the window close before one can go, the dispatcher refuses it rather than holding it.
    const inWindow = await createCampaign(owner, {
      name: 'Lundi strict',
      type: 'MARKETING',
      sender: 'BOUTIQUE',
      text: 'Promo !',
      strictTiming: true,
      recipients: { numbers: recipients },
      scheduledAt: expected.toISOString(),
    });
    expect(await sendCampaign(owner, { id: inWindow.id })).toMatchObject({ campaign: { status: 'SCHEDULED' } });
    await expect.poll(async () => (await messagesOf(inWindow.id)).length, { timeout: 5_000 }).toBe(4);
    const flags = await platform.sql<{ strict_timing: boolean }>(`SELECT DISTINCT strict_timing FROM message WHERE campaign_id = $1::uuid`, [databaseId(inWindow.id)]);
    expect(flags).toEqual([{ strict_timing: true }]);

    // Rows written once the window has closed (a long campaign's later chunks, a job run again
    // late) are refused at once, neither held nor charged. Here: its rows written again as if
    // its time were Sunday's.
    await platform.sql(`DELETE FROM message WHERE campaign_id = $1::uuid`, [databaseId(inWindow.id)]);
    await platform.sql(`UPDATE campaign SET scheduled_at = $2, materialized_at = NULL, materialized_until = NULL, materialized_cost = 0 WHERE id = $1::uuid`, [
      databaseId(inWindow.id),
      sunday,
    ]);
    const { materializeCampaign } = await import('../../src/domain/campaigns/materialize-campaign.js');
    await materializeCampaign(databaseId(inWindow.id));
    const refusedRows = await messagesOf(inWindow.id);
    expect(refusedRows.map((row) => [row.status, row.error_code, row.charged])).toEqual(recipients.map(() => ['NOT_ISSUED', 'OUTSIDE_SENDING_WINDOW', false]));
    await owner.request(CancelCampaignDocument, { id: inWindow.id });
    expect(await balanceOf(owner)).toEqual(before);
  });

  it('streams campaignProgress from the worker to a subscriber of another API process, ending with the final counts', async () => {
    const api = await startPlatformProcess({ DATABASE_URL: platform.database.url, ROLE: 'api' });
    try {
      const recipients = numbers('+33655900010', 10, 10);
      const campaign = await createCampaign(owner, { name: 'Far', type: 'TRANSACTIONAL', sender: 'BOUTIQUE', text: 'Hello', recipients: { numbers: recipients } });
      const subscriber = wsClient(`${api.url!.replace(/^http/, 'ws')}/graphql`, `Bearer ${tenant.accessToken}`);
      const progress = collect(subscriber, CampaignProgressDocument, { campaignId: campaign.id });
      await progress.next(1);
      await sendCampaign(owner, { id: campaign.id });
      const deadline = Date.now() + 20_000;
      while (!progress.received.at(-1)?.campaignProgress.final) {
        if (Date.now() > deadline) throw new Error(`no final event: ${JSON.stringify(progress.received)}`);
        await progress.next(progress.received.length + 1, 20_000);
      }
      expect(progress.received.at(-1)!.campaignProgress).toMatchObject({ status: 'COMPLETED', total: 10, delivered: 10, charged: '0.45', final: true });
      await subscriber.dispose();
    } finally {
      expect(await api.terminate(), api.output()).toBe(0);
    }
  }, 60_000);

  it('writes a chunk again without the rows it finds already written (a resume point lost)', async () => {
    const { materializeCampaign } = await import('../../src/domain/campaigns/materialize-campaign.js');
    const { client, campaign } = await scheduledCampaign('Rewritten', '5.00', numbers('+33655820010', 20, 10));
    await sendCampaign(client, { id: campaign.id });
    await expect.poll(async () => (await campaignOf(client, campaign.id)).messagesWrittenAt, { timeout: 5_000 }).not.toBeNull();

    // Five rows kept, the resume point gone: the first chunk meets them.
    const uuid = databaseId(campaign.id);
    await platform.sql(
      `DELETE FROM message WHERE campaign_id = $1::uuid AND id NOT IN (SELECT id FROM message WHERE campaign_id = $1::uuid ORDER BY recipient LIMIT 5)`,
      [uuid],
    );
    await forgetMaterialisation(uuid);
    expect(await materializeCampaign(uuid, 100)).toMatchObject({ written: 15, finished: true });
    const rows = await messagesOf(campaign.id);
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((row) => row.recipient)).size).toBe(20);
  });

  it('writes each message once with two copies of the job, extends the hold for recipients added after the send, and never spends what the balance lacks', async () => {
    const { materializeCampaign } = await import('../../src/domain/campaigns/materialize-campaign.js');
    const { tenant: small, client, listId, campaign } = await scheduledCampaign('Growing', '1.00', numbers('+33655800010', 10, 10));
    expect(await sendCampaign(client, { id: campaign.id })).toMatchObject({ reserved: '0.45', campaign: { status: 'SCHEDULED' } });
    await expect.poll(async () => (await campaignOf(client, campaign.id)).messagesWrittenAt, { timeout: 5_000 }).not.toBeNull();

    // As if the job had not run yet when 300 more contacts joined the list.
    const uuid = databaseId(campaign.id);
    await platform.sql(`DELETE FROM message WHERE campaign_id = $1::uuid`, [uuid]);
    await forgetMaterialisation(uuid);
    await seedContacts(platform, small, numbers('+33655810010', 300, 10).map((number) => ({ number })), databaseId(listId));

    const runs = await Promise.all([materializeCampaign(uuid, 100), materializeCampaign(uuid, 100)]);
    expect(runs.map((run) => run.written).reduce((a, b) => a + b, 0)).toBe(310);
    const rows = await messagesOf(campaign.id);
    expect(new Set(rows.map((row) => row.recipient)).size).toBe(310);
    // 1.00 € covers 22 messages (0.99 €): the hold grew from 0.45 to 0.99; the others are not issued, never charged.
    const byStatus = groupByStatus(rows);
    expect(byStatus.ON_HOLD).toHaveLength(22);
    expect(byStatus.NOT_ISSUED).toHaveLength(288);
    expect(new Set(byStatus.NOT_ISSUED!.map((row) => row.error_code))).toEqual(new Set(['INSUFFICIENT_CREDIT']));
    expect(await balanceOf(client)).toEqual({ available: '0.01', reserved: '0.99', currency: 'EUR' });
    const [state] = await platform.sql<{ materialized_cost: string; done: boolean }>(
      `SELECT materialized_cost::text, materialized_at IS NOT NULL AS done FROM campaign WHERE id = $1::uuid`,
      [uuid],
    );
    expect(state).toEqual({ materialized_cost: '0.990000', done: true });
    expect(await materializeCampaign(uuid, 100)).toEqual({ chunks: 0, written: 0, finished: false }); // nothing left to do

    await client.request(CancelCampaignDocument, { id: campaign.id });
    expect(await balanceOf(client)).toEqual({ available: '1.00', reserved: '0.00', currency: 'EUR' });
    const ledger = await ledgerOf(platform, small);
    expect(ledger.balance).toBe(ledger.ledger);
  });
});
