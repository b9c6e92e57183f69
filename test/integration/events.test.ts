import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ActivateServiceDocument, AccountUpdatedDocument } from '../../codegen/generated/operations.js';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { apiClient, collect, startTestPlatform, wsClient, type TestPlatform } from '../support/platform.js';
import { startPlatformProcess, type PlatformProcess } from '../support/process.js';

/**
 * Live events cross process boundaries: a subscriber on this process (API A) receives what
 * another OS process (API B, `src/main.ts`) publishes, through PostgreSQL LISTEN/NOTIFY.
 */
let platform: TestPlatform;
let other: PlatformProcess;
let tenant: Tenant;
let stranger: Tenant;

beforeAll(async () => {
  platform = await startTestPlatform();
  other = await startPlatformProcess({ DATABASE_URL: platform.database.url, ROLE: 'api' });
  tenant = await createTenant(platform);
  stranger = await createTenant(platform);
});

afterAll(async () => {
  const exitCode = await other?.terminate();
  expect(exitCode, other?.output()).toBe(0);
  expect(other.output()).toContain('[platform] stopped');
  await platform?.stop();
});

describe('live events', () => {
  it('closes a socket that never sends connection_init with 4408, and keeps one that did', { timeout: 20_000 }, async () => {
    const silent = new WebSocket(platform.wsUrl, 'graphql-transport-ws');
    const polite = new WebSocket(platform.wsUrl, 'graphql-transport-ws');
    const acknowledged = new Promise<string>((resolve) => polite.once('message', (data) => resolve(String(data))));
    polite.once('open', () => polite.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${tenant.accessToken}` } })));
    const opened = Date.now();
    const code = await new Promise<number>((resolve) => silent.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(4408);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(2_500);
    expect(JSON.parse(await acknowledged)).toEqual({ type: 'connection_ack' });
    expect(polite.readyState).toBe(WebSocket.OPEN);
    polite.close();
  });

  it('reaches a graphql-ws subscriber on another process, and only in its own account', async () => {
    const subscriber = wsClient(platform.wsUrl, `Bearer ${tenant.accessToken}`);
    const strangerSubscriber = wsClient(platform.wsUrl, `Bearer ${stranger.accessToken}`);
    const events = collect(subscriber, AccountUpdatedDocument);
    const strangerEvents = collect(strangerSubscriber, AccountUpdatedDocument);
    // Let both subscriptions reach the server before publishing.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const onOtherProcess = apiClient(`${other.url}/graphql`, `Bearer ${tenant.accessToken}`);
    const activated = await onOtherProcess.request(ActivateServiceDocument, { input: { service: 'SMS_2_0' } });
    expect(activated.activateService.__typename).toBe('MutationActivateServiceSuccess');

    const [event] = await events.next(1);
    expect(event?.accountUpdated).toMatchObject({ id: tenant.accountId, services: [{ service: 'SMS_2_0' }] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(strangerEvents.received).toHaveLength(0);

    events.unsubscribe();
    strangerEvents.unsubscribe();
    await subscriber.dispose();
    await strangerSubscriber.dispose();
  });

  it('reaches an SSE subscriber too', async () => {
    const controller = new AbortController();
    const response = await fetch(platform.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${tenant.accessToken}` },
      body: JSON.stringify({ query: 'subscription { accountUpdated { id services { service } } }' }),
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    await new Promise((resolve) => setTimeout(resolve, 300));

    const onOtherProcess = apiClient(`${other.url}/graphql`, `Bearer ${tenant.accessToken}`);
    await onOtherProcess.request(ActivateServiceDocument, { input: { service: 'FILE_SHARING' } });

    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('FILE_SHARING') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain('event: next');
    expect(text).toContain(tenant.accountId);
    expect(text).toContain('FILE_SHARING');
  });

  it('refuses a WebSocket subscription without authentication', async () => {
    const anonymous = wsClient(platform.wsUrl);
    const events = collect(anonymous, AccountUpdatedDocument);
    const errors = await events.failure();
    expect(JSON.stringify(errors)).toMatch(/4403|Forbidden/);
    await anonymous.dispose();
  });

  it('refuses a WebSocket subscription with a bad token', async () => {
    const forged = wsClient(platform.wsUrl, 'Bearer not-a-token');
    const events = collect(forged, AccountUpdatedDocument);
    expect(JSON.stringify(await events.failure())).toMatch(/4403|Forbidden/);
    await forged.dispose();
  });

  it('lets an API key subscribe with a persisted operation only', async () => {
    const { CreateApiKeyDocument } = await import('../../codegen/generated/operations.js');
    const { operationId } = await import('../../codegen/persisted-operations.js');
    const owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    const created = await owner.request(CreateApiKeyDocument, { input: { name: 'Listener', role: 'AGENT' } });
    if (created.createApiKey.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(created));
    const partner = wsClient(platform.wsUrl, `Bearer ${created.createApiKey.data.secret}`);

    const outcome = (payload: { query: string; extensions?: Record<string, unknown> }) =>
      new Promise<string>((resolve) => {
        const stop = partner.subscribe(payload, {
          next: (value) => {
            stop();
            resolve(value.errors ? JSON.stringify(value.errors) : 'data');
          },
          error: (error) => resolve(JSON.stringify(error)),
          complete: () => resolve('complete'),
        });
        // An accepted subscription stays open without events: that is the success case here.
        setTimeout(() => {
          stop();
          resolve('open');
        }, 1500);
      });

    expect(await outcome({ query: 'subscription { accountUpdated { id } }' })).toMatch(/PERSISTED_QUERY_ONLY|persisted/);
    expect(await outcome({ query: '', extensions: { persistedQuery: { version: 1, sha256Hash: operationId(AccountUpdatedDocument) } } })).toBe('open');
    await partner.dispose();
  });

  it('refuses an SSE subscription without authentication', async () => {
    const response = await fetch(platform.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { accountUpdated { id } }' }),
    });
    const text = await response.text();
    expect(text).toContain('NOT_AUTHENTICATED');
  });
});
