import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BlacklistNumberDocument,
  CreditBalanceDocument,
  MessageStatusChangedDocument,
  MessagesDocument,
  SendMessageDocument,
  SimulateSendMessageDocument,
  TopUpCreditDocument,
  type SendMessageInput,
} from '../../codegen/generated/operations.js';
import { createTenant, databaseId, type Tenant } from '../support/fixtures.js';
import { apiClient, collect, startTestPlatform, wsClient, type ApiClient, type TestPlatform } from '../support/platform.js';

/**
 * sendMessage end to end: priced and reserved, handed to the built-in carrier simulator over
 * real SMPP on loopback, receipts applied, statuses pushed live, charged once handed over.
 * The simulator's numbers ending in 0001/0002/0003/0005 always give Delivered / Not issued /
 * Expired / rejected at submission.
 */
let platform: TestPlatform;
let tenant: Tenant;
let owner: ApiClient;

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await createTenant(platform);
  owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
  const topUp = await owner.request(TopUpCreditDocument, { input: { amount: '10.00' } });
  expect(topUp.topUpCredit.__typename).toBe('MutationTopUpCreditSuccess');
});

afterAll(async () => {
  await platform?.stop();
});

const base: Omit<SendMessageInput, 'to'> = { text: 'Votre code de retrait est 4521.', sender: 'BOUTIQUE' };

async function send(input: SendMessageInput) {
  const result = await owner.request(SendMessageDocument, { input });
  if (result.sendMessage.__typename !== 'MutationSendMessageSuccess') throw new Error(`send refused: ${JSON.stringify(result)}`);
  return result.sendMessage.data;
}

async function statusesOf(ids: string[]) {
  const { messages } = await owner.request(MessagesDocument, {});
  return ids.map((id) => messages.edges.find((edge) => edge.node.id === id)?.node);
}

describe('sendMessage', () => {
  it('sends over SMPP, applies each receipt, pushes every status live and charges what was handed over', async () => {
    const subscriber = wsClient(platform.wsUrl, `Bearer ${tenant.accessToken}`);
    const events = collect(subscriber, MessageStatusChangedDocument, {});
    await new Promise((resolve) => setTimeout(resolve, 300));

    const sent = await send({ ...base, to: ['+33612340001', '+33612340002', '+33612340003', '+33612340005'] });
    expect(sent.reserved).toBe('0.18');
    expect(sent.messages.map((message) => [message.recipient, message.status, message.price, message.kind])).toEqual([
      ['+33612340001', 'ON_HOLD', '0.045', 'TRANSACTIONAL'],
      ['+33612340002', 'ON_HOLD', '0.045', 'TRANSACTIONAL'],
      ['+33612340003', 'ON_HOLD', '0.045', 'TRANSACTIONAL'],
      ['+33612340005', 'ON_HOLD', '0.045', 'TRANSACTIONAL'],
    ]);
    const ids = sent.messages.map((message) => message.id);

    // TRANSMITTED then a final status for the three accepted ones; NOT_ISSUED at submission for the fourth.
    await events.next(7, 15_000);
    await expect.poll(async () => (await statusesOf(ids)).map((message) => message?.status), { timeout: 10_000 }).toEqual([
      'DELIVERED',
      'NOT_ISSUED',
      'EXPIRED',
      'NOT_ISSUED',
    ]);
    const final = await statusesOf(ids);
    expect(final.map((message) => [message?.carrierStatus, message?.charged])).toEqual([
      ['DELIVRD', true],
      ['UNDELIV', true],
      ['EXPIRED', true],
      ['REJECTED', false],
    ]);
    const byMessage = new Map<string, string[]>();
    for (const event of events.received) {
      byMessage.set(event.messageStatusChanged.id, [...(byMessage.get(event.messageStatusChanged.id) ?? []), event.messageStatusChanged.status]);
    }
    expect(byMessage.get(ids[0]!)).toEqual(['TRANSMITTED', 'DELIVERED']);
    expect(byMessage.get(ids[3]!)).toEqual(['NOT_ISSUED']);

    // The built-in simulator's receipts carry our reference: single-part messages keep their
    // carrier id on their own row and were matched by it, with no carrier_part row.
    const kept = await platform.sql<{ carrier: string | null; parts: number }>(
      `SELECT m.carrier_message_id AS carrier, (SELECT count(*)::int FROM carrier_part p WHERE p.message_id = m.id) AS parts
         FROM message m WHERE m.id = ANY($1::bigint[]) ORDER BY m.id`,
      [ids.slice(0, 3).map(databaseId)],
    );
    expect(kept.every((row) => row.carrier !== null && row.parts === 0)).toBe(true);

    // The carrier got each accepted message exactly once; three were charged, the rejected one not.
    expect(platform.simulator!.submissionsTo('+33612340001')).toBe(1);
    await expect.poll(async () => (await owner.request(CreditBalanceDocument)).creditBalance, { timeout: 5_000 }).toEqual({
      available: '9.865',
      reserved: '0.00',
      currency: 'EUR',
    });
    events.unsubscribe();
    await subscriber.dispose();
  });

  it('records a duplicate receipt and a late intermediate one, and ignores both: each message ends DELIVERED once', async () => {
    const subscriber = wsClient(platform.wsUrl, `Bearer ${tenant.accessToken}`);
    const events = collect(subscriber, MessageStatusChangedDocument, {});
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The simulator sends DELIVRD twice to numbers ending in 0008, DELIVRD then ENROUTE to 0009.
      const sent = await send({ ...base, to: ['+33612350008', '+33612350009'] });
      const ids = sent.messages.map((message) => message.id);
      const uuids = ids.map(databaseId);
      const ignored = () =>
        platform.sql<{ message: string; status: string; carrier_status: string }>(
          `SELECT message_id::text AS message, status::text, carrier_status FROM ignored_receipt WHERE message_id = ANY($1::bigint[]) ORDER BY message_id`,
          [uuids],
        );
      await expect.poll(ignored, { timeout: 10_000 }).toEqual([
        { message: uuids[0], status: 'DELIVERED', carrier_status: 'DELIVRD' },
        { message: uuids[1], status: 'TRANSMITTED', carrier_status: 'ENROUTE' },
      ]);
      expect((await statusesOf(ids)).map((message) => [message?.status, message?.carrierStatus])).toEqual([
        ['DELIVERED', 'DELIVRD'],
        ['DELIVERED', 'DELIVRD'],
      ]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const id of ids) {
        expect(events.received.filter((event) => event.messageStatusChanged.id === id).map((event) => event.messageStatusChanged.status)).toEqual(['TRANSMITTED', 'DELIVERED']);
      }
    } finally {
      events.unsubscribe();
      await subscriber.dispose();
    }
  });

  it('a status change from a worker of the previous version (one event per message) still reaches subscribers', async () => {
    const sent = await send({ ...base, to: ['+33612340001'] });
    const messageId = sent.messages[0]!.id;
    await expect.poll(async () => (await statusesOf([messageId]))[0]?.status, { timeout: 10_000 }).toBe('DELIVERED');
    const subscriber = wsClient(platform.wsUrl, `Bearer ${tenant.accessToken}`);
    const events = collect(subscriber, MessageStatusChangedDocument, { messageId });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The previous version's wire format: the topic, a tab, one message's change.
    const legacy = { accountId: tenant.accountUuid, messageId: databaseId(messageId), status: 'DELIVERED', campaignId: null };
    await platform.sql(`SELECT pg_notify('platform_events', $1)`, [`messageStatusChanged:${tenant.accountUuid}\t${JSON.stringify(legacy)}`]);
    await events.next(1);
    expect(events.received.map((event) => [event.messageStatusChanged.id, event.messageStatusChanged.status])).toEqual([[messageId, 'DELIVERED']]);
    await subscriber.dispose();
  });

  it('refuses what the balance cannot cover before anything is sent', async () => {
    const poor = await createTenant(platform);
    const client = apiClient(platform.graphqlUrl, `Bearer ${poor.accessToken}`);
    const result = await client.request(SendMessageDocument, { input: { ...base, to: ['+33612349001'] } });
    expect(result.sendMessage).toMatchObject({ __typename: 'InsufficientCreditError', code: 'INSUFFICIENT_CREDIT', missing: '0.045' });
    const { messages } = await client.request(MessagesDocument, {});
    expect(messages.edges).toHaveLength(0);
    // The hold and the messages are one statement: neither was written.
    const holds = await platform.sql<{ n: number }>(`SELECT count(*)::int AS n FROM credit_reservation WHERE account_id = $1`, [poor.accountUuid]);
    expect(holds[0]!.n).toBe(0);
    expect(platform.simulator!.submissionsTo('+33612349001')).toBe(0);
  });

  it('refuses bad input with every problem named, and sends nothing', async () => {
    const result = await owner.request(SendMessageDocument, { input: { text: 'Hello {nom}', sender: 'X', to: ['06 12', '+33612349002'] } });
    expect(result.sendMessage.__typename).toBe('ValidationError');
    if (result.sendMessage.__typename !== 'ValidationError') return;
    const fields = result.sendMessage.problems.map((problem) => problem.field);
    expect(fields).toEqual(expect.arrayContaining(['sender', 'text', 'to']));
    expect(platform.simulator!.submissionsTo('+33612349002')).toBe(0);
  });

  it('never sends marketing to a blacklisted number, and does not charge it', async () => {
    const blacklisted = await owner.request(BlacklistNumberDocument, { input: { number: '+33612349003', reason: 'asked' } });
    expect(blacklisted.blacklistNumber.__typename).not.toMatch(/Error/);
    const sent = await send({ ...base, type: 'MARKETING', to: ['+33612349003'] });
    expect(sent.messages[0]).toMatchObject({ status: 'BLACKLISTED', charged: false });
    expect(sent.reserved).toBe('0.00');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(platform.simulator!.submissionsTo('+33612349003')).toBe(0);
  });

  it('keeps strict timing on marketing messages (the dispatcher refuses them should their window close before they go); transactional ones have none', async () => {
    // Belgium has no marketing window in the default rules: accepted now whatever the hour.
    const marketing = await send({ ...base, type: 'MARKETING', strictTiming: true, to: ['+32470123401'] });
    const transactional = await send({ ...base, strictTiming: true, to: ['+32470123402'] });
    const rows = await platform.sql<{ recipient: string; strict_timing: boolean }>(
      `SELECT recipient, strict_timing FROM message WHERE id = ANY($1::bigint[]) ORDER BY recipient`,
      [[...marketing.messages, ...transactional.messages].map((message) => databaseId(message.id))],
    );
    expect(rows).toEqual([
      { recipient: '+32470123401', strict_timing: true },
      { recipient: '+32470123402', strict_timing: false },
    ]);
    // Both delivered and their holds closed before the next test reads the balance.
    const ids = [...marketing.messages, ...transactional.messages].map((message) => message.id);
    await expect.poll(async () => (await statusesOf(ids)).map((message) => message?.status), { timeout: 10_000 }).toEqual(['DELIVERED', 'DELIVERED']);
    await expect.poll(async () => (await owner.request(CreditBalanceDocument)).creditBalance.reserved, { timeout: 5_000 }).toBe('0.00');
  });

  it('simulates a send: checked and priced as a send, the balance too, and nothing reserved, written or sent', async () => {
    const before = (await owner.request(CreditBalanceDocument)).creditBalance;
    const messageCount = async () => (await platform.sql<{ n: number }>(`SELECT count(*)::int AS n FROM message WHERE account_id = $1::uuid`, [tenant.accountUuid]))[0]!.n;
    const messagesBefore = await messageCount();
    const simulate = async (input: SendMessageInput) => (await owner.request(SimulateSendMessageDocument, { input: { ...input, simulation: true } })).sendMessage;

    const simulated = await simulate({ ...base, to: ['+33612360001', '06 12 36 00 02'], idempotencyKey: 'simulated-9f1c' });
    expect(simulated).toMatchObject({
      __typename: 'MutationSendMessageSuccess',
      data: {
        simulated: true,
        reserved: '0.09',
        messages: [],
        preview: { canSend: true, encoding: 'GSM7', recipients: [{ e164: '+33612360001', segments: 1, cost: '0.045' }, { e164: '+33612360002', segments: 1, cost: '0.045' }] },
      },
    });
    // Refused as a send would be: bad input, and a cost over the balance (with the amount missing).
    expect(await simulate({ ...base, to: ['12'] })).toMatchObject({ __typename: 'ValidationError' });
    const tooMuch = await simulate({ ...base, text: 'x'.repeat(1530), to: Array.from({ length: 100 }, (_, i) => `+336123${String(61000 + i)}`) });
    expect(tooMuch).toMatchObject({ __typename: 'InsufficientCreditError', code: 'INSUFFICIENT_CREDIT' });

    expect((await owner.request(CreditBalanceDocument)).creditBalance).toEqual(before);
    expect(await messageCount()).toBe(messagesBefore);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(platform.simulator!.submissionsTo('+33612360001')).toBe(0);
    // The key was not used: a real send with it goes.
    const sent = await send({ ...base, to: ['+33612360001', '06 12 36 00 02'], idempotencyKey: 'simulated-9f1c' });
    expect(sent.messages).toHaveLength(2);
  });

  it('returns the first result for a repeated idempotency key', async () => {
    const input = { ...base, to: ['+33612349004'], idempotencyKey: 'send-once-4c1f2a' };
    const first = await send(input);
    const again = await send(input);
    expect(again.messages.map((message) => message.id)).toEqual(first.messages.map((message) => message.id));
    await expect.poll(() => platform.simulator!.submissionsTo('+33612349004'), { timeout: 5_000 }).toBe(1);
    // The same key with another option is another request: refused, not answered with the first result.
    for (const changed of [{ smartEncoding: true }, { strictTiming: true }]) {
      const reused = await owner.request(SendMessageDocument, { input: { ...input, ...changed } });
      expect(reused.sendMessage).toMatchObject({ __typename: 'IdempotencyKeyReusedError' });
    }
  });
});
