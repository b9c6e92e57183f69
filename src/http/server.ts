import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getOperationAST, type ExecutionArgs } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import { config } from '../config.js';
import type { Actor } from '../domain/auth/actor.js';
import type { Context } from '../schema/context.js';
import { serveGraphqlWs } from './graphql-ws-server.js';
import { isExportDownload, serveExportDownload, setExportsBaseUrl } from './exports.js';
import { persistedNotFoundError, persistedOnlyError, persistedOperation, persistedOperationId } from './persisted-operations.js';
import { subscribe } from './subscriptions.js';
import { authenticateRequest, GRAPHQL_PATH, yoga } from './yoga.js';

/**
 * One port for everything: GraphQL over HTTP (and SSE) through Yoga, GraphQL over WebSocket
 * (graphql-ws) on the same path.
 */
export interface HttpServer {
  server: Server;
  url: string;
  /** Stops accepting, closes sockets, waits for in-flight requests (bounded), then returns. */
  close(): Promise<void>;
}

type Envelope = ReturnType<typeof yoga.getEnveloped>;
type SocketExtra = {
  /** Dropped once the connection is authenticated. */
  request?: IncomingMessage | undefined;
  socket: WebSocket;
  actor?: Actor | null;
};

/** graphql-ws's close code for a connection whose credentials no longer hold. */
const UNAUTHORIZED = 4401;

export async function startHttpServer(): Promise<HttpServer> {
  // Responses that may be SSE subscriptions: they never end on their own, so shutdown cuts them.
  const eventStreams = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    if (isExportDownload(request)) return void serveExportDownload(request, response);
    if (!withinSizeLimit(request, response)) return;
    if (request.headers.accept?.includes('text/event-stream')) {
      eventStreams.add(response);
      response.once('close', () => eventStreams.delete(response));
    }
    void yoga(request, response);
  });

  const sockets = new WebSocketServer({ server, path: GRAPHQL_PATH, maxPayload: config.graphql.maxRequestBytes });
  const wsServer = serveGraphqlWs<Record<string, unknown>, SocketExtra>(
    {
      // Authentication once per connection, from connection_init's payload.
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        if (typeof authorization !== 'string' || !authorization) return false;
        try {
          ctx.extra.actor = await authenticateRequest(authorization);
        } catch {
          return false;
        }
        // A connection authenticated with an access token lives no longer than the token: it is
        // closed (4401) when the token expires, and the client reconnects with a fresh one.
        const expiresAt = ctx.extra.actor?.expiresAt;
        if (typeof expiresAt === 'number') wsServer.closeAt(ctx.extra.socket, expiresAt, UNAUTHORIZED, 'Access token expired: reconnect with a fresh one.');
        // Nothing reads the upgrade request nor the credentials afterwards: an idle connection need
        // not keep them (its headers, the token). graphql-ws types the parameters read-only; they
        // are a plain property of the context it made for this socket.
        ctx.extra.request = undefined;
        (ctx as { connectionParams?: unknown }).connectionParams = undefined;
        return ctx.extra.actor !== null;
      },
      execute: (args: ExecutionArgs) => (args.rootValue as Envelope).execute(args),
      // Subscriptions run lean (see subscriptions.ts): agents hold them open all day, by the thousand.
      subscribe: (args: ExecutionArgs) => subscribe(args),
      // Through Yoga's envelope, so validation, armor limits and the context apply as over HTTP.
      onSubscribe: async (ctx, _id, params) => {
        // The same allow-list rule as over HTTP: API keys run persisted operations only.
        const persistedId = persistedOperationId(params.extensions);
        if (persistedId) {
          const query = persistedOperation(persistedId);
          if (!query) return [persistedNotFoundError()];
          params = { ...params, query };
        } else if (ctx.extra.actor?.kind === 'API_KEY') {
          return [persistedOnlyError()];
        }
        const envelope = yoga.getEnveloped({
          request: undefined as never,
          params,
          socketActor: ctx.extra.actor ?? null,
        });
        const document = envelope.parse(params.query);
        const errors = envelope.validate(envelope.schema, document);
        if (errors.length) return errors;
        const subscription = getOperationAST(document, params.operationName)?.operation === 'subscription';
        return {
          schema: envelope.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          // A subscription, held open all day, keeps the platform's own context (who is calling),
          // not Yoga's (the initial context, the parameters, the envelope's helpers).
          contextValue: subscription ? ({ actor: ctx.extra.actor ?? null } satisfies Context) : await envelope.contextFactory(),
          // Queries and mutations execute through the envelope; a subscription does not keep it (nor its closures).
          rootValue: subscription ? undefined : envelope,
        } satisfies ExecutionArgs;
      },
    },
    sockets,
    (socket, request) => ({ socket, request }),
    { keepAliveMs: config.graphql.keepAliveMs },
  );

  const openSockets = new Set<Socket>();
  function forgetSocket(this: Socket): void {
    openSockets.delete(this);
  }
  server.on('connection', (socket) => {
    openSockets.add(socket);
    socket.on('close', forgetSocket);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = config.publicUrl ?? `http://${host}:${port}`;
  setExportsBaseUrl(url);

  return {
    server,
    url,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Subscribers are told the server is going away (1001) so clients reconnect elsewhere.
      await wsServer.dispose();
      // SSE subscribers likewise: their streams are cut now (not ended with `complete`, so clients
      // reconnect elsewhere, as on 1001) instead of holding the shutdown until the timeout.
      for (const response of eventStreams) if (response.headersSent) response.destroy();
      server.closeIdleConnections();
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref());
      await Promise.race([closed, timeout]);
      for (const socket of openSockets) socket.destroy();
      await yoga.dispose();
    },
  };
}

/** Refuses bodies over MAX_REQUEST_BYTES before reading them. */
function withinSizeLimit(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.method !== 'POST') return true;
  const length = Number(request.headers['content-length']);
  if (!request.headers['content-length'] || Number.isNaN(length)) {
    response.writeHead(411, { 'content-type': 'application/json' }).end(
      JSON.stringify({ errors: [{ message: 'A Content-Length header is required.', extensions: { code: 'LENGTH_REQUIRED' } }] }),
    );
    return false;
  }
  // File uploads (GraphQL multipart requests) have their own, larger limit.
  const limit = request.headers['content-type']?.startsWith('multipart/form-data') ? config.graphql.maxUploadBytes : config.graphql.maxRequestBytes;
  if (length > limit) {
    response.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end(
      JSON.stringify({
        errors: [{ message: `Request body over ${limit} bytes.`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
      }),
    );
    return false;
  }
  return true;
}
