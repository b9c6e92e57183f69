import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * A WebSocket connection authenticated with an access token lives no longer than the token: the
 * server closes it with 4401 when the token expires (here after 3 s), so a logged-out user or a
 * leaked token does not keep receiving events; the client reconnects with a fresh token.
 */
let platform: TestPlatform;
let tenant: Tenant;

beforeAll(async () => {
  platform = await startTestPlatform({ ACCESS_TOKEN_TTL_SECONDS: '3' });
  tenant = await createTenant(platform);
});

afterAll(async () => {
  await platform?.stop();
});

describe('subscriptions and token expiry', () => {
  it('closes a connection with 4401 when its access token expires', { timeout: 20_000 }, async () => {
    const opened = Date.now();
    let connected = false;
    const closed = new Promise<{ code: number; after: number }>((resolve) => {
      const client = createClient({
        url: platform.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${tenant.accessToken}` },
        retryAttempts: 0,
        lazy: false,
        // The close is what this test waits for (reported below), not an error to print.
        onNonLazyError: () => undefined,
        on: {
          connected: () => (connected = true),
          closed: (event) => {
            resolve({ code: (event as { code: number }).code, after: Date.now() - opened });
            void client.dispose();
          },
        },
      });
    });
    const { code, after } = await closed;
    expect(connected).toBe(true);
    expect(code).toBe(4401);
    // Not before the token's expiry (3 s after it was issued, a little before this test began).
    expect(after).toBeGreaterThan(500);
  });
});
