import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { ClientError, GraphQLClient } from 'graphql-request';
import { createClient, type Client } from 'graphql-ws';
import { print, type DocumentNode } from 'graphql';
import { operationId } from '../../codegen/persisted-operations.js';
import pg from 'pg';
import WebSocket from 'ws';
import type { CarrierSimulator } from '../../src/simulator/carrier-simulator.js';
import { createTestDatabase, type TestDatabase } from './database.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface TestPlatform {
  url: string;
  /** The built-in carrier simulator of this platform (SMPP on loopback); null with ROLE=api. */
  simulator: CarrierSimulator | null;
  graphqlUrl: string;
  wsUrl: string;
  database: TestDatabase;
  /** Runs one SQL statement on the platform's database (to arrange or check what the API cannot). */
  sql<Row extends object>(text: string, values?: unknown[]): Promise<Row[]>;
  stop(): Promise<void>;
}

/**
 * Starts the real platform (API and workers in this process) on a fresh copy of the migrated
 * database, listening on a free port. One per test file: configuration and the Prisma client
 * are per-process singletons, and vitest runs each file in its own process.
 */
export async function startTestPlatform(env: Record<string, string> = {}): Promise<TestPlatform> {
  const database = await createTestDatabase();
  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    PORT: '0',
    HOST: '127.0.0.1',
    ROLE: 'all',
    DATA_DIR: path.join(projectRoot, '.data', 'test-shared'),
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_SECONDS: '5',
    // Each test platform runs its own carrier simulator on a free port.
    CARRIER_SIMULATOR_PORT: '0',
    CARRIER_SIMULATOR_CONTROL_PORT: '0',
    CARRIER_SIMULATOR_RECEIPT_DELAY_MS: '50',
    ...env,
  });
  const { startPlatform } = await import('../../src/app.js');
  const platform = await startPlatform();
  if (!platform.url) throw new Error('platform did not start its API');
  const simulator = platform.simulator;
  return {
    url: platform.url,
    simulator,
    graphqlUrl: `${platform.url}/graphql`,
    wsUrl: `${platform.url.replace(/^http/, 'ws')}/graphql`,
    database,
    async sql<Row extends object>(text: string, values: unknown[] = []) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        return (await client.query(text, values)).rows as Row[];
      } finally {
        await client.end();
      }
    },
    async stop() {
      await platform.stop();
      await database.drop();
    },
  };
}

export interface ApiClient {
  /** Runs an operation; an unexpected GraphQL error fails with the whole response. */
  request<Result, Variables extends object>(document: TypedDocumentNode<Result, Variables>, variables?: Variables): Promise<Result>;
  /** Runs an operation expected to fail at the GraphQL level; returns its errors. */
  errors<Result, Variables extends object>(
    document: TypedDocumentNode<Result, Variables>,
    variables?: Variables,
  ): Promise<{ message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[]>;
}

/**
 * An HTTP client as partners and dashboards use it: graphql-request with the document for
 * users; for an API key (`sk_...`), only the persisted-operation id of the document, since API
 * keys may run nothing else (`codegen/persisted-operations.json`).
 */
export function apiClient(graphqlUrl: string, authorization?: string): ApiClient {
  const client = new GraphQLClient(graphqlUrl, { headers: authorization ? { authorization } : {} });
  const persisted = /^(Bearer\s+)?sk_/.test(authorization ?? '');
  // graphql-request's overloads do not accept a generic TypedDocumentNode; the types are ours.
  const send = async (document: unknown, variables: unknown): Promise<unknown> => {
    if (!persisted) return client.request({ document: document as string, variables: variables as Record<string, unknown> });
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: authorization ?? '' },
      body: JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: operationId(document as DocumentNode) } } }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
    if (body.errors?.length) throw new GraphQLResponseError({ ...body, status: response.status });
    return body.data;
  };
  const responseOf = (error: unknown) =>
    error instanceof ClientError ? error.response : error instanceof GraphQLResponseError ? error.response : null;
  return {
    async request(document, variables) {
      try {
        return (await send(document, variables)) as never;
      } catch (error) {
        const response = responseOf(error);
        if (response) throw new Error(`Unexpected GraphQL error:\n${JSON.stringify(response, null, 2)}`, { cause: error });
        throw error;
      }
    },
    async errors(document, variables) {
      let data: unknown;
      try {
        data = await send(document, variables);
      } catch (error) {
        const response = responseOf(error);
        if (response) return (response.errors ?? []) as never;
        throw error;
      }
      throw new Error(`Expected GraphQL errors, got data:\n${JSON.stringify(data, null, 2)}`);
    },
  };
}

class GraphQLResponseError extends Error {
  constructor(readonly response: { data?: unknown; errors?: unknown[]; status: number }) {
    super('GraphQL errors');
  }
}

/** A real graphql-ws client; `authorization` goes in connection_init. */
export function wsClient(wsUrl: string, authorization?: string): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { authorization } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** Subscribes and collects payloads; `next(n)` waits for the n-th one. */
export function collect<Result, Variables extends object>(
  client: Client,
  document: TypedDocumentNode<Result, Variables>,
  variables?: Variables,
) {
  const received: Result[] = [];
  const errors: unknown[] = [];
  const waiters: (() => void)[] = [];
  const notify = () => waiters.splice(0).forEach((wake) => wake());
  const unsubscribe = client.subscribe<Result>(
    { query: print(document), variables: variables as Record<string, unknown> },
    {
      next: (value) => {
        if (value.errors) errors.push(...value.errors);
        if (value.data) received.push(value.data as Result);
        notify();
      },
      error: (error) => {
        // A refused connection arrives as a CloseEvent, whose fields JSON.stringify skips.
        const close = error as { code?: number; reason?: string };
        errors.push(typeof close.code === 'number' ? { code: close.code, reason: close.reason } : error);
        notify();
      },
      complete: notify,
    },
  );
  return {
    received,
    errors,
    unsubscribe,
    async next(count: number, timeoutMs = 10_000): Promise<Result[]> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (errors.length > 0) throw new Error(`Subscription failed: ${JSON.stringify(errors)}`);
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${count} event(s); got ${received.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return received;
    },
    async failure(timeoutMs = 10_000): Promise<unknown[]> {
      const deadline = Date.now() + timeoutMs;
      while (errors.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      return errors;
    },
  };
}
