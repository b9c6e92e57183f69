import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { RawData, WebSocket, WebSocketServer } from 'ws';

/**
 * graphql-ws's protocol (its `makeServer`) on a `ws` server: what `graphql-ws/use/ws` does, with
 * less held per idle connection, since an API process holds thousands of agents' connections
 * all day:
 * - one keep-alive timer for every connection instead of an interval and a timeout per socket:
 *   each tick visits a slice of the sockets (KEEP_ALIVE_SLICES per period, so that 10,000 pings
 *   never leave in one burst that would hold up events), pings those not waiting for a pong, and
 *   terminates those that have not answered a ping sent a period ago or more;
 * - a message goes to the protocol from a plain listener, not an async one: an async listener's
 *   frame stays suspended while the protocol serves a subscription, keeping the message's bytes
 *   and the socket read that carried them for as long as the subscription lives;
 * - the wait for connection_init is watched by a sweep over the sockets still waiting, instead
 *   of a timer per socket that its closure keeps for the connection's life;
 * - the socket's close and error listeners are shared functions (`on`, not `once`, whose wrapper
 *   costs an object and a bound function per socket), not closures per socket.
 */
/** Ticks per keep-alive period; each visits one slice of the sockets. */
const KEEP_ALIVE_SLICES = 24;

export interface GraphqlWsServer {
  /** Tells every client the server is going away (1001), then closes the server. */
  dispose(): Promise<void>;
}

export interface SocketExtra {
  socket: WebSocket;
  /** The upgrade request; whoever no longer needs it may drop it. */
  request?: IncomingMessage | undefined;
}

export function serveGraphqlWs<P extends Record<string, unknown> | undefined, E extends SocketExtra>(
  options: ServerOptions<P, E>,
  sockets: WebSocketServer,
  extraOf: (socket: WebSocket, request: IncomingMessage) => E,
  { keepAliveMs = 12_000, connectionInitWaitMs = 3_000 } = {},
): GraphqlWsServer {
  /** Sockets that have not sent connection_init yet, with their deadline. */
  const awaitingInit = new Map<WebSocket, number>();
  const onConnect = options.onConnect;
  const server = makeServer<P, E>({
    ...options,
    connectionInitWaitTimeout: 0,
    onConnect: (ctx) => {
      awaitingInit.delete(ctx.extra.socket);
      return onConnect?.(ctx);
    },
  });
  sockets.options.handleProtocols = handleProtocols;
  /** The protocol's close callback of each open socket. */
  const closers = new Map<WebSocket, (code?: number, reason?: string) => Promise<void>>();
  /** Sockets waiting for a pong, with when they were pinged. */
  const unanswered = new Map<WebSocket, number>();

  function internalError(socket: WebSocket, error: unknown): void {
    console.error('[graphql-ws] internal error on a socket', error);
    socket.close(CloseCode.InternalServerError, 'Internal server error');
  }
  function onPong(this: WebSocket): void {
    unanswered.delete(this);
  }
  function onError(this: WebSocket, error: Error): void {
    internalError(this, error);
  }
  function onClose(this: WebSocket, code: number, reason: Buffer): void {
    unanswered.delete(this);
    awaitingInit.delete(this);
    const closed = closers.get(this);
    closers.delete(this);
    void closed?.(code, String(reason));
  }

  sockets.on('connection', (socket, request) => {
    socket.on('error', onError);
    socket.on('pong', onPong);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data: RawData) => {
            handle(String(data)).catch((error: unknown) => internalError(socket, error));
          }),
      },
      extraOf(socket, request),
    );
    closers.set(socket, closed);
    socket.on('close', onClose);
    if (socket.readyState === socket.OPEN) awaitingInit.set(socket, Date.now() + connectionInitWaitMs);
  });

  const initWatch = setInterval(
    () => {
      const now = Date.now();
      for (const [socket, deadline] of awaitingInit) {
        if (deadline > now) continue;
        awaitingInit.delete(socket);
        socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
      }
    },
    Math.max(100, connectionInitWaitMs / 4),
  );
  initWatch.unref();

  let tick = 0;
  const keepAlive = setInterval(
    () => {
      const slice = tick++ % KEEP_ALIVE_SLICES;
      const now = Date.now();
      let index = 0;
      // A socket's place in the set shifts as others come and go: one may be visited twice in a
      // period, or skipped once; the ping time, not the visit, decides.
      for (const socket of sockets.clients) {
        if (index++ % KEEP_ALIVE_SLICES !== slice) continue;
        const pingedAt = unanswered.get(socket);
        if (pingedAt !== undefined) {
          if (now - pingedAt >= keepAliveMs) socket.terminate();
        } else if (socket.readyState === socket.OPEN) {
          unanswered.set(socket, now);
          socket.ping();
        }
      }
    },
    Math.max(10, keepAliveMs / KEEP_ALIVE_SLICES),
  );
  keepAlive.unref();

  return {
    async dispose() {
      clearInterval(keepAlive);
      clearInterval(initWatch);
      for (const socket of sockets.clients) socket.close(1001, 'Going away');
      sockets.removeAllListeners();
      await new Promise<void>((resolve, reject) => sockets.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
