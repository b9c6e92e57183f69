import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

/** One server-sent event as the wire carries it (`event:` and `data:` lines, then a blank line). */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * A GraphQL subscription over SSE as a browser or partner without WebSocket makes it: plain
 * fetch with `Accept: text/event-stream` on the GraphQL endpoint (GraphQL over SSE, "distinct
 * connections" mode), the Authorization header on the request. Events are parsed from the
 * stream by hand, so the test sees exactly what the server wrote.
 */
export interface SseSubscription<Result> {
  status: number;
  contentType: string | null;
  /** Payloads of `next` events that carry data. */
  received: Result[];
  /** GraphQL errors of `next` events. */
  errors: unknown[];
  /** Every event, in order (including `complete`). */
  events: ServerSentEvent[];
  completed: boolean;
  /** Waits for the count-th payload; fails early on GraphQL errors or an ended stream. */
  next(count: number, timeoutMs?: number): Promise<Result[]>;
  /** Waits until the stream ends (after `complete`, or the server closed it). */
  ended(timeoutMs?: number): Promise<void>;
  close(): void;
}

export interface SseRequest {
  method?: 'GET' | 'POST';
  authorization?: string;
  /** Send `extensions.persistedQuery` (the id) instead of the document. */
  persistedId?: string;
}

export async function sseSubscribe<Result, Variables extends object>(
  graphqlUrl: string,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables | undefined,
  request: SseRequest = {},
): Promise<SseSubscription<Result>> {
  const controller = new AbortController();
  const params: Record<string, unknown> = request.persistedId
    ? { extensions: { persistedQuery: { version: 1, sha256Hash: request.persistedId } } }
    : { query: print(document) };
  if (variables) params.variables = variables;
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (request.authorization) headers.authorization = request.authorization;
  let url = graphqlUrl;
  let body: string | undefined;
  if (request.method === 'GET') {
    const search = new URLSearchParams(Object.entries(params).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
    url = `${graphqlUrl}?${search.toString()}`;
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(params);
  }
  const response = await fetch(url, { method: request.method ?? 'POST', headers, body, signal: controller.signal });

  const subscription: SseSubscription<Result> = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    received: [],
    errors: [],
    events: [],
    completed: false,
    next: async (count, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (subscription.received.length < count) {
        if (subscription.errors.length > 0) throw new Error(`SSE subscription failed: ${JSON.stringify(subscription.errors)}`);
        if (streamEnded) throw new Error(`SSE stream ended after ${subscription.received.length} event(s): ${JSON.stringify(subscription.events)}`);
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${count} SSE event(s); got ${subscription.received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return subscription.received;
    },
    ended: async (timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!streamEnded) {
        if (Date.now() > deadline) throw new Error('Timed out waiting for the SSE stream to end');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () => controller.abort(),
  };

  let streamEnded = false;
  const dispatch = (block: string) => {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue; // keep-alive comments
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && event === 'message') return;
    const parsed: ServerSentEvent = { event, data: data.join('\n') };
    subscription.events.push(parsed);
    if (event === 'complete') subscription.completed = true;
    if (event !== 'next' && event !== 'message') return;
    const payload = JSON.parse(parsed.data) as { data?: Result; errors?: unknown[] };
    if (payload.errors) subscription.errors.push(...payload.errors);
    if (payload.data) subscription.received.push(payload.data);
  };

  void (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Aborted by close(), or the server went away.
    } finally {
      streamEnded = true;
    }
  })();
  return subscription;
}
