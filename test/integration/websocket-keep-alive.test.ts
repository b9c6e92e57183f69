import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * WebSocket keep-alive (src/http/graphql-ws-server.ts), here every second: the server pings each
 * connection once a period and drops one that has not answered the previous ping (a dead peer,
 * a half-open TCP connection), while a live client, which answers pings, stays connected.
 */
let platform: TestPlatform;
let tenant: Tenant;

beforeAll(async () => {
  platform = await startTestPlatform({ WEBSOCKET_KEEP_ALIVE_SECONDS: '1' });
  tenant = await createTenant(platform);
});

afterAll(async () => {
  await platform?.stop();
});

function connect(answerPings: boolean): Promise<WebSocket> {
  const socket = new WebSocket(platform.wsUrl, 'graphql-transport-ws', { autoPong: answerPings });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${tenant.accessToken}` } })));
    socket.once('message', (data) => (JSON.parse(String(data)).type === 'connection_ack' ? resolve(socket) : reject(new Error(String(data)))));
  });
}

describe('WebSocket keep-alive', () => {
  it('drops a connection that stops answering pings, and keeps one that answers', { timeout: 20_000 }, async () => {
    const live = await connect(true);
    const dead = await connect(false);
    let pings = 0;
    live.on('ping', () => pings++);
    const started = Date.now();
    await new Promise<void>((resolve) => dead.once('close', () => resolve()));
    // Pinged within the first period, dropped at its next visit, one period later.
    expect(Date.now() - started).toBeLessThan(5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(live.readyState).toBe(WebSocket.OPEN);
    live.close();
  });
});
