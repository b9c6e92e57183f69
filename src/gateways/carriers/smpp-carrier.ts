/**
 * The SMPP 3.4 carrier gateway: every configured connection, the route table between them, and
 * the batching of what carriers send back.
 *
 * Submitting: the message is encoded once (GSM-7 or UCS-2, UDH-concatenated parts), its
 * candidate connections are found from the routes, and it is queued on the least busy bound bind
 * of the best available connection. When none is up it waits, in order, up to `routeWaitMs` for
 * one to come up (start-up, a short outage), then fails as BIND_DOWN. Messages queued on a bind
 * that drops before any of their parts left are routed again (another bind, or failover).
 *
 * Receiving: receipts, inbound messages and the parts of long inbound messages (reassembled by the
 * handler, in the database) are buffered and handed to the one event handler as arrays every
 * `eventFlushMs` or `eventBatchSize` events, one batch at a time; the carrier's deliver_sm are
 * acknowledged after the handler resolves (ESME_RX_T_APPN when it throws, so the carrier delivers
 * them again).
 */
import type smpp from 'smpp';
import { parsePhone } from '../../domain/phone.js';
import {
  CarrierSubmitError,
  type CarrierEventBatch,
  type CarrierEventHandler,
  type CarrierGateway,
  type CarrierGatewayStats,
  type ConnectionStateChange,
  type ConnectionStatus,
  type DeliveryReceipt,
  type InboundPart,
  type InboundSms,
  type OutboundSms,
  type SubmitAccepted,
  type UnreadableReceipt,
} from './carrier.js';
import type { CarrierConnectionSettings } from './carrier-settings.js';
import { ESME_ROK, ESME_RX_T_APPN } from './command-status.js';
import { readDeliverSm, type IncomingDeliverSm } from './deliver-sm.js';
import { consoleCarrierLogger, type CarrierLogger } from './logger.js';
import { destinationAddress, encodeMessage, sourceAddress, type EncodedMessage, type SmppAddress } from './pdu-encoding.js';
import { PendingMessage } from './pending-message.js';
import { buildRouteTable, chooseConnection, routeTiers, type RouteTable } from './router.js';
import { SmppConnection } from './smpp-connection.js';

export interface SmppCarrierGatewayOptions {
  /** How long a message waits for a connection to come up before failing as BIND_DOWN. Default 10 s. */
  routeWaitMs?: number;
  /** Receipts and inbound messages are handed over at least this often. Default 10 ms. */
  eventFlushMs?: number;
  /** ...and at once when this many are waiting. Default 1000. (A batch is also bounded by the carriers'
   *  deliver_sm windows, since they are acknowledged only after the handler.) */
  eventBatchSize?: number;
  /** `stop` waits at most this long for in-flight submissions. Default 10 s. */
  drainTimeoutMs?: number;
  logger?: CarrierLogger;
}

interface WaitingMessage {
  message: PendingMessage;
  deadline: number;
}

interface BufferedEvents {
  receipts: DeliveryReceipt[];
  inbound: InboundSms[];
  inboundParts: InboundPart[];
  unreadableReceipts: UnreadableReceipt[];
  acknowledgements: Array<(commandStatus: number) => void>;
}

function emptyEvents(): BufferedEvents {
  return { receipts: [], inbound: [], inboundParts: [], unreadableReceipts: [], acknowledgements: [] };
}

export class SmppCarrierGateway implements CarrierGateway {
  private readonly connections: SmppConnection[];
  /** Connections whose receipts carry our message reference. */
  private readonly referenceConnections: Set<string>;
  private readonly byName = new Map<string, SmppConnection>();
  private readonly routes: RouteTable;
  private readonly longestPrefix: number;
  private readonly tierCache = new Map<string, string[][]>();
  private readonly log: CarrierLogger;
  private readonly routeWaitMs: number;
  private readonly eventFlushMs: number;
  private readonly eventBatchSize: number;
  private readonly drainTimeoutMs: number;
  private readonly stateListeners = new Set<(change: ConnectionStateChange) => void>();
  private waiting: WaitingMessage[] = [];
  private waitTimer: NodeJS.Timeout | null = null;
  private handler: CarrierEventHandler | null = null;
  private buffered = emptyEvents();
  private bufferedCount = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private handling: Promise<void> | null = null;
  private concatenationReference = Math.floor(Math.random() * 256);
  private started = false;
  private stopping = false;
  private readonly counters = { submitted: 0, accepted: 0, failed: 0, throttleAnswers: 0, receipts: 0, inbound: 0 };

  constructor(settings: readonly CarrierConnectionSettings[], options: SmppCarrierGatewayOptions = {}) {
    if (settings.length === 0) throw new Error('at least one carrier connection is required');
    this.log = options.logger ?? consoleCarrierLogger();
    this.routeWaitMs = options.routeWaitMs ?? 10_000;
    this.eventFlushMs = options.eventFlushMs ?? 10;
    this.eventBatchSize = options.eventBatchSize ?? 1000;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.routes = buildRouteTable(settings);
    this.referenceConnections = new Set(settings.filter((connection) => connection.receiptsCarryReference).map((connection) => connection.name));
    this.longestPrefix = Math.max(1, ...this.routes.entries.map((entry) => entry.prefix?.length ?? 0));
    this.connections = settings.map(
      (connection) =>
        new SmppConnection(
          connection,
          {
            stateChanged: (changed, reason) => this.connectionStateChanged(changed, reason),
            deliverSm: (from, pdu, acknowledge) => this.receiveDeliverSm(from, pdu, acknowledge),
            orphaned: (messages) => this.routeAgain(messages),
            throttleAnswer: () => this.counters.throttleAnswers++,
          },
          this.log,
        ),
    );
    for (const connection of this.connections) this.byName.set(connection.name, connection);
  }

  /** Opens every bind (asynchronously: use `waitUntilReady` to wait for them). */
  start(): this {
    if (this.started) return this;
    this.started = true;
    for (const connection of this.connections) connection.start();
    return this;
  }

  submit(sms: OutboundSms): Promise<SubmitAccepted> {
    this.counters.submitted++;
    if (this.stopping || !this.started) {
      this.counters.failed++;
      return Promise.reject(new CarrierSubmitError(sms.id, 'STOPPING', this.stopping ? 'the carrier gateway is stopping' : 'the carrier gateway is not started'));
    }
    let encoded: EncodedMessage;
    let source: SmppAddress;
    let destination: SmppAddress;
    try {
      destination = destinationAddress(sms.to);
      source = sourceAddress(sms.from);
      encoded = encodeMessage(sms.text, sms.encoding, this.nextReference());
    } catch (error) {
      this.counters.failed++;
      return Promise.reject(new CarrierSubmitError(sms.id, 'INVALID_MESSAGE', (error as Error).message));
    }
    const country = this.routes.needsCountry ? (sms.country ?? countryOf(sms.to)) : null;
    const tiers = this.tiersFor(sms.to, country);
    if (tiers.length === 0) {
      this.counters.failed++;
      return Promise.reject(new CarrierSubmitError(sms.id, 'NO_ROUTE', `no carrier route matches ${sms.to}${country ? ` (${country})` : ''}`));
    }
    return new Promise<SubmitAccepted>((resolve, reject) => {
      const message = new PendingMessage(sms, encoded, source, destination, tiers, (_settled, outcome) => {
        if (outcome instanceof CarrierSubmitError) {
          this.counters.failed++;
          reject(outcome);
        } else {
          this.counters.accepted++;
          resolve({ ...outcome, receiptsCarryReference: this.referenceConnections.has(outcome.connection) });
        }
      });
      this.route(message);
    });
  }

  setEventHandler(handler: CarrierEventHandler | null): void {
    this.handler = handler;
  }

  onConnectionStateChange(listener: (change: ConnectionStateChange) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  connectionStates(): ConnectionStatus[] {
    return this.connections.map((connection) => connection.status());
  }

  routesDown(destination: string, country: string | null): boolean {
    if (this.connections.every((connection) => connection.boundBinds > 0)) return false;
    const tiers = this.tiersFor(destination, this.routes.needsCountry ? (country ?? countryOf(destination)) : null);
    return tiers.length > 0 && !chooseConnection(tiers, (name) => this.byName.get(name)?.load()).ok;
  }

  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    const ready = () => this.connections.every((connection) => connection.boundBinds === connection.binds.length);
    const deadline = Date.now() + timeoutMs;
    // Bind-level changes are not events of their own (only connection up/down are): poll briefly.
    while (!ready() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    return ready();
  }

  stats(): CarrierGatewayStats {
    return {
      ...this.counters,
      waitingForRoute: this.waiting.length,
      connections: this.connections.map((connection) => ({ ...connection.status(), bindRates: connection.binds.map((bind) => bind.currentRate) })),
    };
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.waitTimer) clearTimeout(this.waitTimer);
    for (const { message } of this.waiting.splice(0)) message.fail('STOPPING', 'the carrier gateway is stopping; not sent');
    await Promise.all(this.connections.map((connection) => connection.drain(this.drainTimeoutMs)));
    await this.flushEvents();
    await Promise.all(this.connections.map((connection) => connection.close()));
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  /**
   * Route tiers depend only on the destination's first `longestPrefix` characters and its
   * country, so they are computed once per such key (a campaign has a handful of them).
   */
  private tiersFor(destination: string, country: string | null): string[][] {
    const key = `${country ?? ''}|${destination.slice(0, this.longestPrefix)}`;
    let tiers = this.tierCache.get(key);
    if (!tiers) {
      tiers = routeTiers(this.routes, destination, country);
      if (this.tierCache.size >= 10_000) this.tierCache.clear();
      this.tierCache.set(key, tiers);
    }
    return tiers;
  }

  private nextReference(): number {
    this.concatenationReference = (this.concatenationReference + 1) & 0xff;
    return this.concatenationReference;
  }

  private route(message: PendingMessage): void {
    const choice = chooseConnection(message.tiers, (name) => this.byName.get(name)?.load());
    if (choice.ok && this.byName.get(choice.connection)?.enqueue(message)) return;
    this.waiting.push({ message, deadline: Date.now() + this.routeWaitMs });
    this.scheduleWaitExpiry();
  }

  private routeAgain(messages: PendingMessage[]): void {
    for (const message of messages) {
      if (!message.abandoned) this.route(message);
    }
  }

  private connectionStateChanged(connection: SmppConnection, reason: string | null): void {
    const change: ConnectionStateChange = { connection: connection.name, state: connection.state, boundBinds: connection.boundBinds, reason, at: new Date() };
    if (connection.state === 'up') this.log.info(`connection ${connection.name} is up (${connection.boundBinds}/${connection.binds.length} binds)`);
    else if (!this.stopping) this.log.warn(`connection ${connection.name} is down${reason ? `: ${reason}` : ''}`);
    for (const listener of this.stateListeners) {
      try {
        listener(change);
      } catch (error) {
        this.log.error('a connection state listener threw', error);
      }
    }
    if (connection.state === 'up' && this.waiting.length > 0) {
      // Hand the waiting messages over in their order; those still without a route wait on.
      const waiting = this.waiting;
      this.waiting = [];
      for (const entry of waiting) {
        if (entry.message.abandoned) continue;
        const choice = chooseConnection(entry.message.tiers, (name) => this.byName.get(name)?.load());
        if (!(choice.ok && this.byName.get(choice.connection)?.enqueue(entry.message))) this.waiting.push(entry);
      }
    }
  }

  private scheduleWaitExpiry(): void {
    if (this.waitTimer || this.waiting.length === 0) return;
    const first = this.waiting[0];
    if (!first) return;
    this.waitTimer = setTimeout(
      () => {
        this.waitTimer = null;
        const now = Date.now();
        while (this.waiting.length > 0 && (this.waiting[0]?.deadline ?? Infinity) <= now) {
          const entry = this.waiting.shift();
          entry?.message.fail('BIND_DOWN', `no carrier connection for ${entry.message.sms.to} came up within ${this.routeWaitMs} ms; not sent`);
        }
        this.scheduleWaitExpiry();
      },
      Math.max(1, first.deadline - Date.now()),
    );
  }

  private receiveDeliverSm(connection: SmppConnection, pdu: smpp.PDU, acknowledge: (commandStatus: number) => void): void {
    const receivedAt = new Date();
    let incoming: IncomingDeliverSm;
    try {
      incoming = readDeliverSm(pdu);
    } catch (error) {
      this.log.error(`${connection.name}: unreadable deliver_sm; acknowledged and dropped`, error);
      acknowledge(ESME_ROK);
      return;
    }
    if (incoming.kind === 'receipt') {
      if (incoming.reading.ok) {
        this.counters.receipts++;
        this.buffered.receipts.push({ connection: connection.name, ...incoming.reading.receipt, receivedAt, recipient: incoming.recipient, reference: incoming.reference });
      } else {
        this.log.warn(`${connection.name}: unreadable delivery receipt (${incoming.reading.problem}): ${JSON.stringify(incoming.text)}`);
        this.buffered.unreadableReceipts.push({ connection: connection.name, text: incoming.text, problem: incoming.reading.problem, receivedAt });
      }
      this.bufferEvent(acknowledge);
      return;
    }
    const { from, to, text, concatenation } = incoming;
    this.counters.inbound++;
    if (!concatenation || concatenation.total === 1) {
      this.buffered.inbound.push({ connection: connection.name, from, to, text, parts: 1, complete: true, receivedAt });
    } else {
      // Acknowledged, like everything else, once the handler has stored it (and reassembled its set when complete).
      this.buffered.inboundParts.push({ connection: connection.name, from, to, ...concatenation, text, receivedAt });
    }
    this.bufferEvent(acknowledge);
  }

  private bufferEvent(acknowledge: (commandStatus: number) => void): void {
    this.buffered.acknowledgements.push(acknowledge);
    this.bufferedCount++;
    if (this.bufferedCount >= this.eventBatchSize) {
      void this.flushEvents();
    } else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        void this.flushEvents();
      }, this.eventFlushMs);
    }
  }

  /** Hands every buffered event to the handler, one batch at a time; resolves when the buffer is empty. */
  private flushEvents(): Promise<void> {
    this.handling ??= this.deliverBatches().finally(() => {
      this.handling = null;
    });
    return this.handling;
  }

  private async deliverBatches(): Promise<void> {
    while (this.bufferedCount > 0) {
      const events = this.buffered;
      this.buffered = emptyEvents();
      this.bufferedCount = 0;
      const batch: CarrierEventBatch = { receipts: events.receipts, inbound: events.inbound, inboundParts: events.inboundParts, unreadableReceipts: events.unreadableReceipts };
      let status = ESME_ROK;
      const handler = this.handler;
      if (!handler) {
        this.log.warn(`no carrier event handler: ${batch.receipts.length + batch.inbound.length + batch.inboundParts.length} event(s) refused for redelivery`);
        status = ESME_RX_T_APPN;
      } else {
        try {
          await handler(batch);
        } catch (error) {
          this.log.error(
            `the carrier event handler failed on ${batch.receipts.length} receipt(s), ${batch.inbound.length} inbound message(s) and ${batch.inboundParts.length} inbound part(s); the carrier will deliver them again`,
            error,
          );
          status = ESME_RX_T_APPN;
        }
      }
      for (const acknowledge of events.acknowledgements) acknowledge(status);
    }
  }
}

function countryOf(e164: string): string | null {
  const parsed = parsePhone(e164);
  return parsed.ok ? parsed.phone.country : null;
}

/** Builds the gateway from the CARRIERS setting and opens its binds. */
export function startSmppCarrierGateway(settings: readonly CarrierConnectionSettings[], options?: SmppCarrierGatewayOptions): SmppCarrierGateway {
  return new SmppCarrierGateway(settings, options).start();
}
