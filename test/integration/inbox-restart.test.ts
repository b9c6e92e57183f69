import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MessageReceivedDocument } from '../../codegen/generated/operations.js';
import { freePort } from '../../src/simulator/child-process.js';
import { collect, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startPlatformProcess, type PlatformProcess } from '../support/process.js';
import { conversationHelpers, deliveredNumber, SHORT_CODE } from './conversations-support.js';

/**
 * An agent's live inbox survives a restart of the API process it is connected to: the server
 * going away closes the connection (1001), graphql-ws's client reconnects to the new process on
 * the same address and subscribes again, and the next reply reaches it. The replies come from
 * the carrier simulator through this file's worker, to the API process through PostgreSQL.
 */
let platform: TestPlatform;
let api: PlatformProcess | null = null;

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await api?.terminate();
  await platform?.stop();
});

const { org, start, handedOver, inboundCount } = conversationHelpers(() => platform);

describe('live inbox across an API restart', () => {
  it('keeps a subscription working through the client reconnecting to the restarted process', { timeout: 90_000 }, async () => {
    const port = String(await freePort());
    const startApi = () => startPlatformProcess({ DATABASE_URL: platform.database.url, ROLE: 'api', PORT: port });
    api = await startApi();

    const a = await org();
    const contact = deliveredNumber();
    const started = await start(a.owner, { to: contact, text: 'Bonjour, une question sur votre commande ?' });
    await handedOver(started.message.id);

    let connections = 0;
    const client = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${a.tenant.accessToken}` },
      lazy: false,
      retryAttempts: 50,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
      shouldRetry: () => true,
      on: { connected: () => connections++ },
    });
    const inbox = collect(client, MessageReceivedDocument, {});
    await expect.poll(() => connections).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the subscription reaches the server

    await platform.simulator!.injectInbound(contact, SHORT_CODE, 'Oui : elle n’est pas arrivée.');
    expect((await inbox.next(1))[0]?.messageReceived).toMatchObject({ direction: 'INBOUND', text: 'Oui : elle n’est pas arrivée.' });

    expect(await api.terminate()).toBe(0);
    api = await startApi();
    await expect.poll(() => connections, { timeout: 20_000 }).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 300));

    await platform.simulator!.injectInbound(contact, SHORT_CODE, 'Vous êtes toujours là ?');
    await expect.poll(() => inboundCount(contact), { timeout: 10_000 }).toBe(2);
    const received = await inbox.next(2);
    expect(received[1]?.messageReceived).toMatchObject({ direction: 'INBOUND', text: 'Vous êtes toujours là ?' });
    expect(inbox.errors).toEqual([]);
    inbox.unsubscribe();
    await client.dispose();
  });
});
