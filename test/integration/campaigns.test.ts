import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BlacklistNumberDocument,
  CampaignMessageStatusChangedDocument,
  CampaignPreviewDocument,
  CampaignProgressDocument,
  CampaignsDocument,
  CreateCampaignDocument,
  DeleteCampaignDocument,
  LedgerEntriesDocument,
  MessageStatusChangedDocument,
  NodeDocument,
  SendCampaignDocument,
  SendMessageDocument,
  SetContactFieldsDocument,
  UpdateCampaignDocument,
} from '../../codegen/generated/operations.js';
import { canonicalDecimal } from '../../src/domain/decimals.js';
import { formatEuros } from '../../src/domain/messaging/prices.js';
import { isWithinSendingWindow } from '../../src/domain/messaging/sending-windows.js';
import { DEFAULT_SENDING_RULES } from '../../src/domain/messaging/default-sending-rules.js';
import { createTenant, databaseId, type Tenant } from '../support/fixtures.js';
import { apiClient, collect, startTestPlatform, wsClient, type ApiClient, type TestPlatform } from '../support/platform.js';
import {
  balanceOf,
  campaignOf,
  chargedPricesOf,
  createCampaign,
  ledgerOf,
  micros,
  numbers,
  seedContacts,
  seedList,
  sendCampaign,
  topUp,
} from './campaigns-support.js';

/**
 * Campaigns end to end over the real API: drafts and their validation, the preview
 * (de-duplication, blacklist, invalid numbers, per-country cost, balance), simulated and real
 * sends over SMPP to the built-in simulator, money (hold, charges, ledger), idempotency, and
 * campaignProgress over graphql-ws. Simulator numbers ending in 0002/0003/0005 always give
 * Not issued / Expired / rejected at submission; every other number is delivered here.
 */
let platform: TestPlatform;
let tenant: Tenant;
let owner: ApiClient;

beforeAll(async () => {
  platform = await startTestPlatform({
    CARRIER_SIMULATOR_OUTCOMES: 'DELIVRD=100',
    CAMPAIGN_CHUNK_SIZE: '100',
    CAMPAIGN_PROGRESS_EVENTS_PER_SECOND: '4',
    CAMPAIGN_LIFECYCLE_INTERVAL_MS: '200',
  });
  tenant = await createTenant(platform);
  owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
  await topUp(owner, '100.00');
  const fields = await owner.request(SetContactFieldsDocument, { input: { names: ['Ville'] } });
  expect(fields.setContactFields.__typename).toBe('MutationSetContactFieldsSuccess');
});

afterAll(async () => {
  await platform?.stop();
});

describe('campaign drafts and preview', () => {
  it('previews recipients once each, without blacklisted and invalid numbers, with segments, cost per country and the balance check', async () => {
    const listed = numbers('+33655000001', 10);
    const listId = await seedList(platform, tenant, owner, 'Clients Lyon', [
      ...listed.map((number, i) => ({ number, firstName: `Client${i}`, field1: 'Lyon', tags: i < 2 ? ['vip'] : [] })),
      { number: '+33142685300', firstName: 'Bureau' }, // a fixed line
    ]);
    await seedContacts(platform, tenant, [{ number: '+33655000020', firstName: 'Zoé 😀', field1: 'Boulogne-Billancourt (Hauts-de-Seine)', tags: ['vip'] }]);
    const blacklisted = await owner.request(BlacklistNumberDocument, { input: { number: '+33655000003', reason: 'STOP' } });
    expect(blacklisted.blacklistNumber.__typename).toBe('MutationBlacklistNumberSuccess');

    const campaign = await createCampaign(owner, {
      name: 'Soldes',
      type: 'MARKETING',
      sender: 'BOUTIQUE',
      text: 'Bonjour {firstname|client} de {Ville} : -20 % ce week-end !',
      recipients: { listIds: [listId], tags: ['vip'], numbers: ['06 55 00 00 01', '+32 470 12 34 56', '+32470123456', 'abc', '0655'] },
    });
    expect(campaign).toMatchObject({ status: 'DRAFT', recipientCount: 0, estimatedCost: '0.00' });
    expect(campaign.recipients.lists.map((list) => list.name)).toEqual(['Clients Lyon']);

    const { campaignPreview } = await owner.request(CampaignPreviewDocument, { id: campaign.id });
    if (campaignPreview.__typename !== 'QueryCampaignPreviewSuccess') throw new Error(JSON.stringify(campaignPreview));
    const preview = campaignPreview.data;
    // 11 listed + 1 tagged elsewhere + 5 pasted; the 2 listed vip contacts count once.
    expect(preview.recipients).toEqual({ selected: 17, duplicates: 2, blacklisted: 1, invalid: 3, notMobile: 1, tooLong: 0, accepted: 11 });
    expect(preview.invalidNumbers.map((entry) => [entry.number, entry.reason])).toEqual(
      expect.arrayContaining([
        ['+33142685300', 'NOT_MOBILE'],
        ['abc', 'INVALID_NUMBER'],
        ['0655', 'INVALID_NUMBER'],
      ]),
    );
    expect(preview.invalidNumbers).toHaveLength(3);
    // 9 French contacts in GSM-7 (1 SMS each with the mention) + Zoé in UCS-2 (2 SMS with the mention) + 1 Belgian.
    expect(preview.encodings).toEqual({ gsm7: 10, ucs2: 1 });
    expect(preview.segments).toEqual({ total: 12, min: 1, max: 2 });
    expect(preview.byCountry.map((line) => [line.country, line.recipients, line.segments, line.cost])).toEqual([
      ['BE', 1, 1, '0.072'],
      ['FR', 10, 11, '0.495'],
    ]);
    expect(preview.cost).toBe('0.567');
    expect(preview.balance).toEqual({ available: '100.00', covered: true, missing: '0.00' });
    expect(preview.problems).toEqual([]);
    expect(preview.canSend).toBe(true);
    expect(preview.sample?.text).toMatch(/^Bonjour Client\d de Lyon : -20 % ce week-end !\nSTOP au 30101$/);
    const france = preview.byCountry.find((line) => line.country === 'FR')!;
    expect(france.held).toBe(!isWithinSendingWindow('MARKETING', 'FR', new Date(), DEFAULT_SENDING_RULES));
    expect(preview.byCountry.find((line) => line.country === 'BE')!.held).toBe(false);
  });

  it('personalises a pasted number that is a contact outside the selection like a selected one: preview and messages', async () => {
    // An account of its own: the other tests count this one's charges.
    const own = await createTenant(platform);
    const client = apiClient(platform.graphqlUrl, `Bearer ${own.accessToken}`);
    await topUp(client, '10.00');
    await seedContacts(platform, own, [{ number: '+33655000310', firstName: 'Zoé 😀' }]);
    const campaign = await createCampaign(client, {
      name: 'Collés',
      type: 'TRANSACTIONAL',
      sender: 'BOUTIQUE',
      text: 'Bonjour {firstname|client}, votre commande vous attend.',
      recipients: { numbers: ['06 55 00 03 10', '06 55 00 03 11'] },
    });
    const { campaignPreview } = await client.request(CampaignPreviewDocument, { id: campaign.id });
    if (campaignPreview.__typename !== 'QueryCampaignPreviewSuccess') throw new Error(JSON.stringify(campaignPreview));
    // Zoé's emoji makes hers UCS-2 (priced as such); the stranger's stays GSM-7.
    expect(campaignPreview.data.encodings).toEqual({ gsm7: 1, ucs2: 1 });
    await sendCampaign(client, { id: campaign.id });
    await expect.poll(async () => (await platform.sql(`SELECT 1 FROM message WHERE campaign_id = $1::uuid`, [databaseId(campaign.id)])).length).toBe(2);
    const texts = await platform.sql<{ recipient: string; text: string }>(`SELECT recipient, text FROM message WHERE campaign_id = $1::uuid ORDER BY recipient`, [
      databaseId(campaign.id),
    ]);
    expect(texts).toEqual([
      { recipient: '+33655000310', text: 'Bonjour Zoé 😀, votre commande vous attend.' },
      { recipient: '+33655000311', text: 'Bonjour client, votre commande vous attend.' },
    ]);
    // Done: its hold released.
    await expect.poll(async () => (await campaignOf(client, campaign.id)).status, { timeout: 15_000 }).toBe('COMPLETED');
    await expect.poll(async () => (await balanceOf(client)).reserved, { timeout: 5_000 }).toBe('0.00');
  });

  it('refuses bad drafts with typed, precise errors', async () => {
    const other = await createTenant(platform);
    const otherClient = apiClient(platform.graphqlUrl, `Bearer ${other.accessToken}`);
    const foreignList = await seedList(platform, other, otherClient, 'Not yours', [{ number: '+33655009001' }]);

    const bad = await owner.request(CreateCampaignDocument, {
      input: {
        name: ' ',
        type: 'MARKETING',
        sender: 'X',
        text: 'Bonjour {prenom}',
        recipients: { numbers: [], defaultCountry: 'ZZ' },
        scheduledAt: new Date(Date.now() - 3_600_000).toISOString(),
        timeZone: 'Mars/Olympus',
      },
    });
    expect(bad.createCampaign.__typename).toBe('ValidationError');
    if (bad.createCampaign.__typename !== 'ValidationError') return;
    const fields = bad.createCampaign.problems.map((problem) => problem.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'sender', 'text', 'recipients', 'recipients.defaultCountry', 'scheduledAt', 'timeZone']));
    expect(bad.createCampaign.problems.find((problem) => problem.field === 'text')?.message).toContain('{prenom}');

    const foreign = await owner.request(CreateCampaignDocument, {
      input: { name: 'x', type: 'TRANSACTIONAL', sender: 'BOUTIQUE', text: 'Hi', recipients: { listIds: [foreignList] } },
    });
    expect(foreign.createCampaign).toMatchObject({ __typename: 'NotFoundError', entity: 'Contact list' });

    const link = await owner.request(CreateCampaignDocument, {
      input: { name: 'x', type: 'TRANSACTIONAL', sender: 'BOUTIQUE', text: 'Voir {link}', recipients: { numbers: ['+33655009002'] } },
    });
    expect(link.createCampaign.__typename).toBe('ValidationError');
  });

  it('changes and deletes drafts only', async () => {
    const draft = await createCampaign(owner, { name: 'Draft', type: 'TRANSACTIONAL', sender: 'BOUTIQUE', text: 'Hi', recipients: { numbers: ['+33655009101'] } });
    const updated = await owner.request(UpdateCampaignDocument, { input: { id: draft.id, name: 'Renamed', text: 'Hello {firstname|you}' } });
    expect(updated.updateCampaign).toMatchObject({ __typename: 'MutationUpdateCampaignSuccess', data: { name: 'Renamed', text: 'Hello {firstname|you}' } });
    // Another account sees nothing of it: not by id, not through node, not live.
    const other = await createTenant(platform);
    const otherClient = apiClient(platform.graphqlUrl, `Bearer ${other.accessToken}`);
    expect((await otherClient.request(NodeDocument, { id: draft.id })).node).toBeNull();
    expect(await otherClient.request(CampaignPreviewDocument, { id: draft.id })).toMatchObject({ campaignPreview: { __typename: 'NotFoundError' } });
    expect(await otherClient.request(DeleteCampaignDocument, { id: draft.id })).toMatchObject({ deleteCampaign: { __typename: 'NotFoundError' } });
    const spy = wsClient(platform.wsUrl, `Bearer ${other.accessToken}`);
    const spied = collect(spy, CampaignProgressDocument, { campaignId: draft.id });
    expect(JSON.stringify(await spied.failure())).toContain('Campaign not found');
    expect(spied.received).toEqual([]);
    await spy.dispose();
    expect((await owner.request(NodeDocument, { id: draft.id })).node).toMatchObject({ __typename: 'Campaign', id: draft.id });

    const deleted = await owner.request(DeleteCampaignDocument, { id: draft.id });
    expect(deleted.deleteCampaign).toMatchObject({ __typename: 'MutationDeleteCampaignSuccess', data: draft.id });
    const { campaigns } = await owner.request(CampaignsDocument, { first: 50 });
    expect(campaigns.edges.map((edge) => edge.node.id)).not.toContain(draft.id);
  });
});

describe('sending a campaign', () => {
  it('simulates: prices and checks everything, writes and charges nothing', async () => {
    const campaign = await createCampaign(owner, {
      name: 'Simulated',
      type: 'TRANSACTIONAL',
      sender: 'BOUTIQUE',
      text: 'Votre commande est prête.',
      recipients: { numbers: numbers('+33655300010', 5, 10) },
    });
    const ledgerBefore = (await owner.request(LedgerEntriesDocument, { first: 100 })).ledgerEntries.edges.length;
    const balanceBefore = await balanceOf(owner);
    const simulated = await sendCampaign(owner, { id: campaign.id, simulation: true });
    expect(simulated).toMatchObject({ simulated: true, reserved: '0.225', campaign: { status: 'DRAFT', recipientCount: 0 } });
    expect(simulated.preview).toMatchObject({ cost: '0.225', recipients: { accepted: 5 }, canSend: true });
    expect(await balanceOf(owner)).toEqual(balanceBefore);
    expect((await owner.request(LedgerEntriesDocument, { first: 100 })).ledgerEntries.edges.length).toBe(ledgerBefore);
    expect((await chargedPricesOf(platform, campaign.id)).count).toBe(0);
  });

  it('sends every message over SMPP, streams progress to the final counts, and charges exactly what was handed over', async () => {
    // 150 ordinary numbers (delivered), plus Not issued, Expired and rejected-at-submission ones: two chunks and more.
    const ordinary = numbers('+33655200100', 150, 10);
    const special = ['+33655210002', '+33655210003', '+33655210005'];
    const listId = await seedList(platform, tenant, owner, 'Livraisons', [...ordinary, ...special].map((number) => ({ number, firstName: 'Léa' })));
    const campaign = await createCampaign(owner, {
      name: 'Livraison',
      type: 'TRANSACTIONAL',
      sender: 'BOUTIQUE',
      text: 'Bonjour {firstname}, votre colis arrive demain.',
      recipients: { listIds: [listId] },
    });
    const balanceBefore = await balanceOf(owner);
    const subscriber = wsClient(platform.wsUrl, `Bearer ${tenant.accessToken}`);
    const progress = collect(subscriber, CampaignProgressDocument, { campaignId: campaign.id });
    await progress.next(1); // the current counts (a draft: nothing yet)
    // Every status change of this campaign's messages, and of nothing else (the message sent on its own below).
    const statuses = collect(subscriber, CampaignMessageStatusChangedDocument, { campaignId: campaign.id });
    const everything = collect(subscriber, MessageStatusChangedDocument, {});

    const sent = await sendCampaign(owner, { id: campaign.id, idempotencyKey: `send-${campaign.id}` });
    expect(sent).toMatchObject({ simulated: false, reserved: '6.885', campaign: { status: 'SENDING', recipientCount: 153, estimatedCost: '6.885' } });
    expect((await balanceOf(owner)).reserved).toBe('6.885');
    const alone = await owner.request(SendMessageDocument, { input: { to: ['+33655299001'], text: 'Hors campagne.', sender: 'BOUTIQUE' } });
    if (alone.sendMessage.__typename !== 'MutationSendMessageSuccess') throw new Error(JSON.stringify(alone));
    const aloneId = alone.sendMessage.data.messages[0]!.id;

    // The stream ends with the final counts.
    const deadline = Date.now() + 40_000;
    while (!progress.received.at(-1)?.campaignProgress.final) {
      if (Date.now() > deadline) throw new Error(`no final event: ${JSON.stringify(progress.received.at(-1))}`);
      await progress.next(progress.received.length + 1, 40_000);
    }
    const last = progress.received.at(-1)!.campaignProgress;
    expect(last).toMatchObject({ status: 'COMPLETED', total: 153, onHold: 0, transmitted: 0, delivered: 150, notIssued: 2, expired: 1, final: true });
    // The current counts, then (throttled) what changed: 153 messages may all end within one
    // throttle interval on a fast machine, so intermediate events are not counted on here.
    expect(progress.received.length).toBeGreaterThanOrEqual(2);
    const totals = progress.received.map((event) => event.campaignProgress.delivered + event.campaignProgress.notIssued + event.campaignProgress.expired);
    expect(totals).toEqual([...totals].sort((a, b) => a - b)); // counts only ever grow
    // Charged when handed over: everything but the one refused at submission.
    const prices = await chargedPricesOf(platform, campaign.id);
    expect(prices.charged).toBe('6.840000');
    expect(last.charged).toBe('6.84');

    // 150 TRANSMITTED then DELIVERED, two TRANSMITTED then NOT_ISSUED or EXPIRED, one NOT_ISSUED at submission.
    await statuses.next(305, 20_000);
    const campaignMessages = await platform.sql<{ id: string }>(`SELECT id::text FROM message WHERE campaign_id = $1::uuid`, [databaseId(campaign.id)]);
    const byMessage = new Map<string, string[]>();
    for (const { messageStatusChanged: change } of statuses.received) byMessage.set(databaseId(change.id), [...(byMessage.get(databaseId(change.id)) ?? []), change.status]);
    expect([...byMessage.keys()].sort()).toEqual(campaignMessages.map((row) => row.id).sort());
    expect([...byMessage.values()].filter((changes) => changes.join() === 'TRANSMITTED,DELIVERED')).toHaveLength(150);
    expect(statuses.received).toHaveLength(305);
    // The account-wide stream has the lone message too.
    await expect.poll(() => everything.received.some((event) => event.messageStatusChanged.id === aloneId), { timeout: 10_000 }).toBe(true);
    expect(statuses.received.some((event) => event.messageStatusChanged.id === aloneId)).toBe(false);

    const after = await campaignOf(owner, campaign.id);
    expect(after).toMatchObject({ status: 'COMPLETED', messagesWrittenAt: expect.any(String), completedAt: expect.any(String) });
    expect(after.progress).toMatchObject({ delivered: 150, notIssued: 2, expired: 1, final: true });
    await expect.poll(() => balanceOf(owner), { timeout: 5_000 }).toEqual({
      // The campaign's 6.84 and the lone message's 0.045.
      available: canonicalDecimal(formatEuros(micros(balanceBefore.available) - micros('6.84') - micros('0.045'))),
      reserved: '0.00',
      currency: 'EUR',
    });
    const ledger = await ledgerOf(platform, tenant);
    expect(ledger.balance).toBe(ledger.ledger);
    expect(micros(ledger.charged)).toBe(micros('6.84') + micros('0.045'));
    // Each number accepted once by the carrier; the one refused at submission (0005) never.
    expect([...ordinary.slice(0, 5), ...special].map((number) => platform.simulator!.submissionsTo(number))).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);

    // The same key gives the first result; the campaign cannot be sent twice.
    const again = await sendCampaign(owner, { id: campaign.id, idempotencyKey: `send-${campaign.id}` });
    expect(again).toMatchObject({ simulated: false, reserved: '6.885', preview: null, campaign: { id: campaign.id } });
    const twice = await owner.request(SendCampaignDocument, { input: { id: campaign.id } });
    expect(twice.sendCampaign).toMatchObject({ __typename: 'CampaignStateError', code: 'CAMPAIGN_STATE', status: 'COMPLETED' });
    const otherCampaign = await createCampaign(owner, { name: 'Other', type: 'TRANSACTIONAL', sender: 'BOUTIQUE', text: 'x', recipients: { numbers: ['+33655209990'] } });
    const reused = await owner.request(SendCampaignDocument, { input: { id: otherCampaign.id, idempotencyKey: `send-${campaign.id}` } });
    expect(reused.sendCampaign).toMatchObject({ __typename: 'IdempotencyKeyReusedError', code: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await campaignOf(owner, otherCampaign.id)).status).toBe('DRAFT');

    progress.unsubscribe();
    await subscriber.dispose();
  }, 60_000);

  it('refuses what the balance cannot cover before anything is written, naming the amount missing', async () => {
    const poor = await createTenant(platform);
    const client = apiClient(platform.graphqlUrl, `Bearer ${poor.accessToken}`);
    await topUp(client, '1.00');
    const campaign = await createCampaign(client, {
      name: 'Too big',
      type: 'TRANSACTIONAL',
      sender: 'BOUTIQUE',
      text: 'Hello',
      recipients: { numbers: numbers('+33655400010', 30, 10) },
    });
    const refused = await client.request(SendCampaignDocument, { input: { id: campaign.id, idempotencyKey: `poor-${campaign.id}` } });
    expect(refused.sendCampaign).toMatchObject({ __typename: 'InsufficientCreditError', required: '1.35', available: '1.00', missing: '0.35' });
    const simulated = await client.request(SendCampaignDocument, { input: { id: campaign.id, simulation: true } });
    expect(simulated.sendCampaign).toMatchObject({ __typename: 'InsufficientCreditError', missing: '0.35' });
    expect(await campaignOf(client, campaign.id)).toMatchObject({ status: 'DRAFT', estimatedCost: '0.00' });
    expect((await chargedPricesOf(platform, campaign.id)).count).toBe(0);
    expect(await balanceOf(client)).toMatchObject({ available: '1.00', reserved: '0.00' });
    expect(platform.simulator!.submissionsTo('+33655400010')).toBe(0);
    const keys = await platform.sql<{ n: number }>(`SELECT count(*)::int AS n FROM idempotency_key WHERE account_id = $1::uuid`, [poor.accountUuid]);
    expect(keys[0]!.n).toBe(0); // a refused send keeps no key: the same key may be used once topped up
  });

  it('sends nothing to a campaign whose every recipient is invalid or blacklisted', async () => {
    const campaign = await createCampaign(owner, { name: 'Nobody', type: 'MARKETING', sender: 'BOUTIQUE', text: 'Promo', recipients: { numbers: ['+33655000003', '12'] } });
    const refused = await owner.request(SendCampaignDocument, { input: { id: campaign.id } });
    expect(refused.sendCampaign.__typename).toBe('ValidationError');
    if (refused.sendCampaign.__typename === 'ValidationError') expect(refused.sendCampaign.problems[0]?.message).toContain('1 invalid, 1 blacklisted');
    expect(databaseId(campaign.id)).not.toBe('');
  });
});
