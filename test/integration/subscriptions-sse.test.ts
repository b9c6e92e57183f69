import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateApiKeyDocument,
  MessageStatusChangedDocument,
  SendMessageDocument,
  TopUpCreditDocument,
  type MessageStatusChangedSubscription,
} from '../../codegen/generated/operations.js';
import { operationId } from '../../codegen/persisted-operations.js';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { startPlatformProcess } from '../support/process.js';
import { sseSubscribe, type SseSubscription } from '../support/sse.js';

/**
 * Subscriptions over SSE (SPEC section 20): the same endpoint as queries, `Accept:
 * text/event-stream`, authenticated by the request's Authorization header like any HTTP call,
 * and filtered to the subscriber's own account like graphql-ws. Statuses come from real SMPP
 * receipts of the built-in simulator (numbers ending in 0001 are delivered).
 */
let platform: TestPlatform;
let alice: Tenant;
let bob: Tenant;
let aliceApi: ApiClient;
let bobApi: ApiClient;

beforeAll(async () => {
  platform = await startTestPlatform();
  [alice, bob] = await Promise.all([createTenant(platform), createTenant(platform)]);
  aliceApi = apiClient(platform.graphqlUrl, `Bearer ${alice.accessToken}`);
  bobApi = apiClient(platform.graphqlUrl, `Bearer ${bob.accessToken}`);
  for (const api of [aliceApi, bobApi]) {
    const topUp = await api.request(TopUpCreditDocument, { input: { amount: '10.00' } });
    expect(topUp.topUpCredit.__typename).toBe('MutationTopUpCreditSuccess');
  }
});

afterAll(async () => {
  await platform?.stop();
});

async function send(api: ApiClient, to: string): Promise<string> {
  const result = await api.request(SendMessageDocument, { input: { to: [to], text: 'Votre colis arrive demain.', sender: 'BOUTIQUE' } });
  if (result.sendMessage.__typename !== 'MutationSendMessageSuccess') throw new Error(`send refused: ${JSON.stringify(result)}`);
  return result.sendMessage.data.messages[0]!.id;
}

type Events = SseSubscription<MessageStatusChangedSubscription>;
const statusesOf = (events: Events) => events.received.map((event) => [event.messageStatusChanged.id, event.messageStatusChanged.status]);

/** Subscriptions are registered once the stream is being read; give the server a moment. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

describe('subscriptions over SSE', () => {
  it("streams an account's own message statuses and never another account's", async () => {
    const aliceEvents = await sseSubscribe(platform.graphqlUrl, MessageStatusChangedDocument, {}, { authorization: `Bearer ${alice.accessToken}` });
    const bobEvents = await sseSubscribe(platform.graphqlUrl, MessageStatusChangedDocument, {}, { authorization: `Bearer ${bob.accessToken}` });
    expect([aliceEvents.status, aliceEvents.contentType]).toEqual([200, expect.stringContaining('text/event-stream')]);
    await settle();

    // Both accounts send at once; each subscriber must get its own two statuses only.
    const [bobMessage, aliceMessage] = await Promise.all([send(bobApi, '+33612550001'), send(aliceApi, '+33612560001')]);
    await aliceEvents.next(2, 15_000);
    await bobEvents.next(2, 15_000);
    // Anything more (another account's events) would have arrived by the time the other stream got both.
    await settle();
    aliceEvents.close();
    bobEvents.close();

    expect(statusesOf(aliceEvents)).toEqual([
      [aliceMessage, 'TRANSMITTED'],
      [aliceMessage, 'DELIVERED'],
    ]);
    expect(statusesOf(bobEvents)).toEqual([
      [bobMessage, 'TRANSMITTED'],
      [bobMessage, 'DELIVERED'],
    ]);
    expect(aliceEvents.events.every((event) => event.event === 'next')).toBe(true);
  });

  it('works with GET too (EventSource-style clients), with the Authorization header', async () => {
    const events = await sseSubscribe(platform.graphqlUrl, MessageStatusChangedDocument, undefined, {
      method: 'GET',
      authorization: `Bearer ${alice.accessToken}`,
    });
    expect([events.status, events.contentType]).toEqual([200, expect.stringContaining('text/event-stream')]);
    await settle();
    const id = await send(aliceApi, '+33612580001');
    await events.next(2, 15_000);
    events.close();
    expect(statusesOf(events)).toEqual([
      [id, 'TRANSMITTED'],
      [id, 'DELIVERED'],
    ]);
  });

  it('lets an API key subscribe with a persisted operation only, as over HTTP and WebSocket', async () => {
    const keyOf = async (role: 'ANALYST' | 'AGENT') => {
      const created = await aliceApi.request(CreateApiKeyDocument, { input: { name: `SSE listener (${role})`, role } });
      if (created.createApiKey.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(created));
      return `Bearer ${created.createApiKey.data.secret}`;
    };
    const apiKey = await keyOf('ANALYST');

    // Message texts and recipients are read with campaigns:read, which an agent's role lacks.
    const agent = await sseSubscribe(platform.graphqlUrl, MessageStatusChangedDocument, {}, {
      authorization: await keyOf('AGENT'),
      persistedId: operationId(MessageStatusChangedDocument),
    });
    await agent.ended();
    expect(agent.errors).toEqual([expect.objectContaining({ extensions: { code: 'PERMISSION_DENIED' } })]);
    expect(agent.received).toEqual([]);

    const arbitrary = await sseSubscribe(platform.graphqlUrl, MessageStatusChangedDocument, {}, { authorization: apiKey });
    await arbitrary.ended();
    expect(JSON.stringify(arbitrary.errors)).toMatch(/PERSISTED_QUERY_ONLY/);
    expect(arbitrary.received).toEqual([]);

    const persisted = await sseSubscribe(platform.graphqlUrl, MessageStatusChangedDocument, {}, {
      authorization: apiKey,
      persistedId: operationId(MessageStatusChangedDocument),
    });
    await settle();
    const id = await send(aliceApi, '+33612590001');
    await persisted.next(2, 15_000);
    persisted.close();
    expect(statusesOf(persisted)).toEqual([
      [id, 'TRANSMITTED'],
      [id, 'DELIVERED'],
    ]);
  });

  it('refuses a bad token and an anonymous subscriber, and streams nothing to them', async () => {
    const forged = await sseSubscribe(platform.graphqlUrl, MessageStatusChangedDocument, {}, { authorization: 'Bearer not-a-token' });
    await forged.ended();
    const anonymous = await sseSubscribe(platform.graphqlUrl, MessageStatusChangedDocument, {});
    await anonymous.ended();
    expect(forged.status).toBe(401);
    expect(forged.errors).toEqual([expect.objectContaining({ extensions: { code: 'NOT_AUTHENTICATED' } })]);
    expect(anonymous.errors).toEqual([expect.objectContaining({ extensions: { code: 'NOT_AUTHENTICATED' } })]);
    expect([forged.received, anonymous.received]).toEqual([[], []]);
    expect([forged.completed, anonymous.completed]).toEqual([true, true]);
  });

  it('cuts open streams at shutdown instead of holding it, so clients reconnect elsewhere', async () => {
    // A shutdown timeout far beyond the test's: the process can only exit in time if the open
    // stream does not hold it.
    const other = await startPlatformProcess({ DATABASE_URL: platform.database.url, ROLE: 'api', SHUTDOWN_TIMEOUT_SECONDS: '600' });
    const events = await sseSubscribe(`${other.url}/graphql`, MessageStatusChangedDocument, {}, { authorization: `Bearer ${alice.accessToken}` });
    expect(events.status).toBe(200);
    await settle();
    const exited = other.terminate();
    await events.ended(20_000);
    expect(await exited, other.output()).toBe(0);
    expect(other.output()).toContain('[platform] stopped');
    // Not `complete`: the subscription did not finish, its server went away.
    expect(events.completed).toBe(false);
  });
});
