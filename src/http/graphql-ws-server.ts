import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { RawData, WebSocket, WebSocketServer } from 'ws';

/**
 * graphql-ws's protocol (its `makeServer`) on a `ws` server: what `graphql-ws/use/ws` does, with
 * less held per idle connection, since an API process holds thousands of agents' connections
 * all day:
 * - one keep-alive timer for every connection instead of an interval and a timeout per socket:
 *   each socket gets one of KEEP_ALIVE_SLICES slots when it connects, and each tick visits one
 *   slot (so that 10,000 pings never leave in one burst that would hold up events): it pings
 *   the sockets not waiting for a pong and terminates those that have not answered the ping of
 *   the previous period;
 * - a message goes to the protocol from a plain listener, not an async one: an async listener's
 *   frame stays suspended while the protocol serves a subscription, keeping the message's bytes
 *   and the socket read that carried them for as long as the subscription lives;
 * - deadlines (connection_init within 3 s; whatever the caller sets with `closeAt`, such as the
 *   expiry of the credentials) are watched by one sweep, instead of a timer per socket that its
 *   closure keeps for the connection's life;
 * - the socket's close and error listeners are shared functions (`on`, not `once`, whose wrapper
 *   costs an object and a bound function per socket), not closures per socket.
 */
/** Ticks per keep-alive period; each visits one slot of the sockets. */
const KEEP_ALIVE_SLICES = 24;
/** At shutdown, how long clients have to answer the close frame before they are cut. */
const CLOSE_GRACE_MS = 2_000;
/** How often deadlines are checked. */
const DEADLINE_SWEEP_MS = 500;

export interface GraphqlWsServer {
  /** Closes the socket with this code at that time (ms since the epoch), unless it closes first; replaces its earlier deadline. */
  closeAt(socket: WebSocket, at: number, code: number, reason: string): void;
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
  /** When each socket is to be closed, and how (connection_init not sent in time, credentials expired...). */
  const deadlines = new Map<WebSocket, { at: number; code: number; reason: string }>();
  const onConnect = options.onConnect;
  const server = makeServer<P, E>({
    ...options,
    connectionInitWaitTimeout: 0,
    onConnect: (ctx) => {
      deadlines.delete(ctx.extra.socket); // connection_init came in time
      return onConnect?.(ctx);
    },
  });
  sockets.options.handleProtocols = handleProtocols;
  /** The protocol's close callback of each open socket. */
  const closers = new Map<WebSocket, (code?: number, reason?: string) => Promise<void>>();
  /** Sockets waiting for a pong. */
  const unanswered = new Set<WebSocket>();
  /** Every open socket in its keep-alive slot, fixed for its life. */
  const slots = Array.from({ length: KEEP_ALIVE_SLICES }, () => new Set<WebSocket>());
  let connections = 0;

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
    deadlines.delete(this);
    for (const slot of slots) if (slot.delete(this)) break;
    const closed = closers.get(this);
    closers.delete(this);
    closed?.(code, String(reason)).catch((error: unknown) => console.error('[graphql-ws] closing a connection failed', error));
  }

  // The HTTP server's errors (EADDRINUSE, EMFILE on accept) come through here too: without a
  // listener, they would be thrown.
  sockets.on('error', (error) => console.error('[graphql-ws] WebSocket server error', error));

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
    slots[connections++ % KEEP_ALIVE_SLICES]!.add(socket);
    if (socket.readyState === socket.OPEN) {
      deadlines.set(socket, { at: Date.now() + connectionInitWaitMs, code: CloseCode.ConnectionInitialisationTimeout, reason: 'Connection initialisation timeout' });
    }
  });

  const deadlineSweep = setInterval(() => {
    const now = Date.now();
    for (const [socket, deadline] of deadlines) {
      if (deadline.at > now) continue;
      deadlines.delete(socket);
      socket.close(deadline.code, deadline.reason);
    }
  }, DEADLINE_SWEEP_MS);
  deadlineSweep.unref();

  let tick = 0;
  const keepAlive = setInterval(
    () => {
      for (const socket of slots[tick++ % KEEP_ALIVE_SLICES]!) {
        if (unanswered.has(socket)) {
          socket.terminate();
        } else if (socket.readyState === socket.OPEN) {
          unanswered.add(socket);
          socket.ping();
        }
      }
    },
    Math.max(10, keepAliveMs / KEEP_ALIVE_SLICES),
  );
  keepAlive.unref();

  return {
    closeAt(socket, at, code, reason) {
      if (closers.has(socket)) deadlines.set(socket, { at, code, reason });
    },
    async dispose() {
      clearInterval(keepAlive);
      clearInterval(deadlineSweep);
      for (const socket of sockets.clients) socket.close(1001, 'Going away');
      const closed = new Promise<void>((resolve, reject) => sockets.close((error) => (error ? reject(error) : resolve())));
      // A peer that does not answer the close frame is cut after a moment, not after ws's 30 s.
      const cut = setTimeout(() => {
        for (const socket of sockets.clients) socket.terminate();
      }, CLOSE_GRACE_MS);
      try {
        await closed;
      } finally {
        clearTimeout(cut);
        sockets.removeAllListeners();
      }
    },
  };
}
