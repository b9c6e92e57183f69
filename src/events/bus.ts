import { createPubSub } from 'graphql-yoga';
import type { TypedEventListenerOrEventListenerObject } from '@graphql-yoga/typed-event-target';
import pg from 'pg';
import { config } from '../config.js';
import { pool } from '../db/client.js';
import type { EventName, EventPayloads, PubSubChannels } from './channels.js';

/**
 * Live events across processes on PostgreSQL LISTEN/NOTIFY, behind Yoga's pub/sub.
 *
 * Publishing queues the event in memory; the queue is flushed on the next turn of the event
 * loop as one `pg_notify` statement for many events, on a pooled connection of its own, so a
 * notification never rides inside (or holds up) a write transaction: callers publish after
 * their transaction committed. Each NOTIFY payload holds events under the 8000-byte limit, one
 * per line: the topic, a tab, the payload as JSON. Every process (including the publisher)
 * receives events through its LISTEN connection, so local and remote subscribers see the same
 * order; a process reads the topic first and parses only the events it has subscribers for (a
 * worker has none: a campaign's status changes, a batch per event, cost it a string search each).
 */
const CHANNEL = 'platform_events';
const MAX_NOTIFY_BYTES = 7900;
const RECONNECT_DELAY_MS = 1000;

type WireEvent = [topic: string, detail: unknown];
type Listener = TypedEventListenerOrEventListenerObject<CustomEvent>;

const listenersByTopic = new Map<string, Set<Listener>>();
/** Topics (without an audience key) with at least one listener, under any key: what `deliver` parses. */
const listenedTopics = new Map<string, number>();

function baseTopic(topic: string): string {
  const hash = topic.indexOf('#');
  return hash === -1 ? topic : topic.slice(0, hash);
}
/** Encoded events waiting for the next flush, with their size in bytes. */
let pending: { encoded: string; bytes: number }[] = [];
let flushScheduled = false;
let flushing: Promise<void> = Promise.resolve();
let listenClient: pg.Client | null = null;
let listening = false;
let stopped = false;

const eventTarget = {
  addEventListener(topic: string, listener: Listener | null) {
    if (!listener) return;
    let listeners = listenersByTopic.get(topic);
    if (!listeners) listenersByTopic.set(topic, (listeners = new Set()));
    if (listeners.has(listener)) return;
    listeners.add(listener);
    const base = baseTopic(topic);
    listenedTopics.set(base, (listenedTopics.get(base) ?? 0) + 1);
  },
  removeEventListener(topic: string, listener: Listener | null) {
    if (!listener) return;
    const listeners = listenersByTopic.get(topic);
    if (!listeners?.delete(listener)) return;
    if (listeners.size === 0) listenersByTopic.delete(topic);
    const base = baseTopic(topic);
    const count = (listenedTopics.get(base) ?? 1) - 1;
    if (count === 0) listenedTopics.delete(base);
    else listenedTopics.set(base, count);
  },
  dispatchEvent(event: CustomEvent) {
    enqueue([event.type, event.detail]);
    return true;
  },
};

export const pubSub = createPubSub<PubSubChannels>({
  // Our target implements the three methods Yoga uses; the cast covers EventTarget's overloads.
  eventTarget: eventTarget as unknown as EventTarget as never,
});

/** Publishes an account's event to every API process. Call after the write has committed. */
export function publishEvent<Name extends EventName>(name: Name, accountId: string, payload: EventPayloads[Name]): void {
  (pubSub.publish as (name: string, id: string, payload: unknown) => void)(name, accountId, payload);
}

/** Events a subscriber may fall behind by before its stream ends (it subscribes again and refetches). */
export const MAX_QUEUED_EVENTS = 1000;

/**
 * An account's events of one name that pass `accept`, as an async iterator for a subscription
 * resolver. Unlike `pubSub.subscribe` piped through `filter`s (a Repeater and an async loop per
 * stage, and a round of promises per event for every subscriber), the predicate runs inside the
 * dispatch loop: an event for another agent costs one function call, and an idle subscription
 * holds one small object. Events wait in order while the consumer is busy; a consumer more than
 * MAX_QUEUED_EVENTS behind gets an error (its stream ends) rather than unbounded memory.
 */
export function subscribeToEvents<Name extends EventName>(
  name: Name,
  accountId: string,
  accept: (payload: EventPayloads[Name]) => boolean = () => true,
  audienceKeys: readonly string[] | null = null,
): AsyncIterableIterator<EventPayloads[Name]> {
  return new EventStream(eventTarget, `${name}:${accountId}`, accept, audienceKeys);
}

/**
 * Like `subscribeToEvents`, for events that carry several items (`messageStatusesChanged`): the
 * stream yields the items `itemsOf` picks from each event, one by one, in order.
 */
export function subscribeToEventItems<Name extends EventName, Item>(
  name: Name,
  accountId: string,
  itemsOf: (payload: EventPayloads[Name]) => readonly Item[],
): AsyncIterableIterator<Item> {
  return new EventStream<Item>(eventTarget, `${name}:${accountId}`, () => true, null, itemsOf as (detail: unknown) => readonly Item[]);
}

/**
 * Audiences. An event may name who it is for, as keys in its payload (`audience: string[]`, e.g.
 * `user:<id>`); a subscriber that registers with keys (`subscribeToEvents(..., keys)`) is handed
 * only the events of the topic naming one of its keys, and one without keys every event of the
 * topic. With thousands of subscribers per account each waiting for their own few events, an
 * event then costs a lookup per key instead of a predicate call per subscriber of the account
 * (the predicate still runs on those it reaches: keys narrow, they do not authorise).
 */
function audienceOf(detail: unknown): readonly string[] {
  const audience = (detail as { audience?: unknown } | null)?.audience;
  return Array.isArray(audience) ? (audience as string[]) : [];
}

function keyedTopic(topic: string, key: string): string {
  return `${topic}#${key}`;
}

interface ListenerRegistry {
  addEventListener(topic: string, listener: Listener | null): void;
  removeEventListener(topic: string, listener: Listener | null): void;
}

/** Exported for its unit test; subscribers use `subscribeToEvents`. */
export class EventStream<Payload> implements AsyncIterableIterator<Payload> {
  /** Events not yet taken, or callers of `next()` waiting for one: never both at once. */
  private queued: Payload[] | null = null;
  private waiting: ((result: IteratorResult<Payload>) => void)[] | null = null;
  private failure: Error | null = null;
  private ended = false;

  constructor(
    private readonly target: ListenerRegistry,
    private readonly topic: string,
    private readonly accept: (payload: Payload) => boolean,
    private readonly audienceKeys: readonly string[] | null = null,
    /** For events carrying several items: what the stream yields of each (`accept` is then not used). */
    private readonly itemsOf: ((detail: unknown) => readonly Payload[]) | null = null,
  ) {
    for (const registered of this.registeredTopics()) target.addEventListener(registered, this as unknown as Listener);
  }

  /** Called by `deliver` for every event of the topic (or naming one of its keys), once per event. */
  handleEvent(event: CustomEvent): void {
    if (this.ended) return;
    if (this.itemsOf) {
      for (const item of this.itemsOf(event.detail)) if (!this.offer(item)) return;
      return;
    }
    const payload = event.detail as Payload;
    if (this.accept(payload)) this.offer(payload);
  }

  /** Hands the payload to a waiting `next()` or queues it; false when the stream ended (it fell too far behind). */
  private offer(payload: Payload): boolean {
    const resolve = this.waiting?.shift();
    if (resolve) {
      if (this.waiting?.length === 0) this.waiting = null;
      resolve({ value: payload, done: false });
      return true;
    }
    this.queued ??= [];
    if (this.queued.length >= MAX_QUEUED_EVENTS) {
      // With a code, so that error masking lets the client read it.
      this.failure = Object.assign(new Error(`Over ${MAX_QUEUED_EVENTS} events behind: subscribe again and refetch.`), { extensions: { code: 'EVENTS_DROPPED' } });
      this.close();
      return false;
    }
    this.queued.push(payload);
    return true;
  }

  next(): Promise<IteratorResult<Payload>> {
    if (this.queued) {
      const value = this.queued.shift() as Payload;
      if (this.queued.length === 0) this.queued = null;
      return Promise.resolve({ value, done: false });
    }
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting ??= []).push(resolve));
  }

  return(): Promise<IteratorResult<Payload>> {
    this.queued = null;
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<Payload>> {
    this.queued = null;
    this.close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Payload> {
    return this;
  }

  private registeredTopics(): string[] {
    return this.audienceKeys === null ? [this.topic] : this.audienceKeys.map((key) => keyedTopic(this.topic, key));
  }

  private close(): void {
    if (this.ended) return;
    this.ended = true;
    for (const registered of this.registeredTopics()) this.target.removeEventListener(registered, this as unknown as Listener);
    const waiting = this.waiting ?? [];
    this.waiting = null;
    for (const resolve of waiting) resolve({ value: undefined, done: true });
  }
}

/** An event on the wire: its topic, a tab, its payload as JSON (which never holds a raw newline). */
function encode([topic, detail]: WireEvent): string {
  return `${topic}\t${JSON.stringify(detail)}`;
}

function enqueue(event: WireEvent): void {
  const encoded = encode(event);
  const bytes = Buffer.byteLength(encoded);
  if (bytes > MAX_NOTIFY_BYTES) {
    // A programming error (payloads are ids and small facts); refuse loudly rather than truncate.
    console.error(`[events] ${event[0]}: payload of ${bytes} bytes exceeds the NOTIFY limit; dropped`);
    return;
  }
  pending.push({ encoded, bytes });
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      flushing = flushing.then(flush);
    });
  }
}

async function flush(): Promise<void> {
  const events = pending;
  pending = [];
  if (events.length === 0) return;
  const payloads: string[] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const { encoded, bytes: eventBytes } of events) {
    const size = eventBytes + 1;
    if (bytes + size > MAX_NOTIFY_BYTES && batch.length > 0) {
      payloads.push(batch.join('\n'));
      batch = [];
      bytes = 0;
    }
    batch.push(encoded);
    bytes += size;
  }
  payloads.push(batch.join('\n'));
  try {
    // Notifications go out when this statement's transaction commits, and a commit waits for its
    // WAL flush: one disk flush more between every change and its event. This transaction writes
    // no data (only the notifications, which are not durable anyway), so it commits without
    // waiting for the flush; the writes the events announce were committed before, durably but
    // for credit settlements (see `settleQueued`: a campaign's `charged` may announce one that a
    // crash of the server undoes, and the next settlement round writes again).
    await pool.query(
      `SELECT pg_notify($1, payload)
         FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous_commit,
              unnest($2::text[]) WITH ORDINALITY AS batch(payload, position)
        ORDER BY position`,
      [CHANNEL, payloads],
    );
  } catch (error) {
    console.error('[events] could not publish', events.length, 'event(s):', (error as Error).message);
  }
}

function deliver(payload: string): void {
  // A process of the previous version sends a JSON array of [topic, payload] (rolling deploys).
  if (payload.startsWith('[')) {
    let events: WireEvent[];
    try {
      events = JSON.parse(payload) as WireEvent[];
    } catch {
      return;
    }
    for (const [wireTopic, detail] of events) deliverOne(currentTopic(wireTopic), currentDetail(wireTopic, detail));
    return;
  }
  let start = 0;
  while (start < payload.length) {
    let end = payload.indexOf('\n', start);
    if (end === -1) end = payload.length;
    const tab = payload.indexOf('\t', start);
    if (tab !== -1 && tab < end) {
      const wireTopic = payload.slice(start, tab);
      const topic = currentTopic(wireTopic);
      if (listenedTopics.has(topic)) {
        let detail: unknown;
        try {
          detail = JSON.parse(payload.slice(tab + 1, end));
        } catch {
          detail = undefined;
        }
        if (detail !== undefined) deliverOne(topic, currentDetail(wireTopic, detail));
      }
    }
    start = end + 1;
  }
}

/** What workers of the previous version publish: one message's status change per event. */
const SINGLE_STATUS_TOPIC = 'messageStatusChanged:';

/**
 * An event as this version names it. During a rolling deploy, workers of the previous version
 * still publish one `messageStatusChanged` per message: it reaches subscribers as a batch of one
 * (API processes go first: the previous version's do not read batches).
 */
function currentTopic(wireTopic: string): string {
  return wireTopic.startsWith(SINGLE_STATUS_TOPIC) ? `messageStatusesChanged:${wireTopic.slice(SINGLE_STATUS_TOPIC.length)}` : wireTopic;
}

function currentDetail(wireTopic: string, detail: unknown): unknown {
  if (!wireTopic.startsWith(SINGLE_STATUS_TOPIC)) return detail;
  const single = detail as { accountId: string; messageId: string; status: string; campaignId: string | null };
  return { accountId: single.accountId, campaignId: single.campaignId, status: single.status, messageIds: [single.messageId] } satisfies EventPayloads['messageStatusesChanged'];
}

function deliverOne(topic: string, detail: unknown): void {
  const reached = listenersOf(listenersByTopic, topic, detail);
  if (reached.length === 0) return;
  const event = new CustomEvent(topic, { detail });
  for (const listeners of reached) dispatch(listeners, event);
}

/**
 * The listeners an event reaches: those of its topic, and those registered under one of its
 * audience keys, each once (a subscriber registered under two keys the event names is in one of
 * the sets handed back). Exported for the unit test.
 */
export function listenersOf(registry: ReadonlyMap<string, ReadonlySet<Listener>>, topic: string, detail: unknown): ReadonlySet<Listener>[] {
  const reached: ReadonlySet<Listener>[] = [];
  const listeners = registry.get(topic);
  if (listeners) reached.push(listeners);
  const audience = audienceOf(detail);
  const keyed = audience.flatMap((key) => registry.get(keyedTopic(topic, key)) ?? []);
  if (keyed.length === 1) reached.push(keyed[0] as ReadonlySet<Listener>);
  else if (keyed.length > 1) reached.push(new Set(keyed.flatMap((set) => [...set])));
  return reached;
}

function dispatch(listeners: ReadonlySet<Listener>, event: CustomEvent): void {
  for (const listener of listeners) {
    // One failing subscriber never keeps the event from the others.
    try {
      if (typeof listener === 'function') listener(event);
      else listener.handleEvent(event);
    } catch (error) {
      console.error(`[events] a ${event.type} subscriber failed:`, (error as Error).message);
    }
  }
}

/** Opens the LISTEN connection (API processes); reconnects on its own when it drops. */
export async function startEventListener(): Promise<void> {
  stopped = false;
  const client = new pg.Client({ connectionString: config.databaseUrl, application_name: 'sms-platform-events' });
  client.on('notification', (message) => {
    if (message.channel === CHANNEL && message.payload) deliver(message.payload);
  });
  client.on('error', (error) => {
    console.error('[events] listener connection lost:', error.message);
    reconnectLater(client);
  });
  client.on('end', () => reconnectLater(client));
  await client.connect();
  await client.query(`LISTEN ${CHANNEL}`);
  listenClient = client;
  listening = true;
}

function reconnectLater(client: pg.Client): void {
  if (listenClient !== client) return;
  listenClient = null;
  listening = false;
  scheduleReconnect();
}

function scheduleReconnect(): void {
  if (stopped) return;
  setTimeout(() => {
    if (stopped) return;
    startEventListener().catch((error: unknown) => {
      console.error('[events] reconnect failed:', (error as Error).message);
      scheduleReconnect();
    });
  }, RECONNECT_DELAY_MS);
}

export function isEventListenerUp(): boolean {
  return listening;
}

/** Sends what is queued, then closes the LISTEN connection. */
export async function stopEventBus(): Promise<void> {
  stopped = true;
  await new Promise((resolve) => setImmediate(resolve));
  await flushing;
  await flush();
  const client = listenClient;
  listenClient = null;
  listening = false;
  await client?.end().catch(() => undefined);
}
