/**
 * One SMPP 3.4 transceiver bind (one TCP session) to a carrier.
 *
 * - Connects, binds with the connection's system_id/password, answers the carrier's
 *   enquire_link / unbind, sends its own enquire_link every `enquireLinkSeconds`, and reconnects
 *   with exponential back-off and jitter whenever the session closes or stops answering.
 * - Two lanes (transactional, bulk) feed one submit window of `windowSize` outstanding
 *   submit_sm; bulk may use only `1 - transactionalShare` of the window and of the token bucket,
 *   so transactional parts always find room and go first.
 * - Throughput is capped in segments per second by a token bucket. ESME_RTHROTTLED /
 *   ESME_RMSGQFUL put the refused part back in its place, pause the bind and halve its rate
 *   (see `TokenBucket`).
 * - When the session drops, parts in flight fail as CONNECTION_LOST (the carrier may have them);
 *   queued messages none of whose parts had left are handed back for routing elsewhere.
 */
import smpp from 'smpp';
import './smpp-package-tuning.js';
import type { CarrierConnectionSettings } from './carrier-settings.js';
import { describeCommandStatus } from './command-status-names.js';
import { classifySubmitStatus, ESME_RINVBNDSTS, ESME_RINVCMDID, ESME_RTHROTTLED } from './command-status.js';
import { deliverSmResp, submitSm } from './encoded-pdu.js';
import { LaneQueue } from './lane-queue.js';
import { batchWritesThisTick } from './socket-batching.js';
import type { CarrierLogger } from './logger.js';
import type { PendingMessage, QueuedPart } from './pending-message.js';
import { TokenBucket } from './token-bucket.js';

export type BindState = 'disconnected' | 'connecting' | 'binding' | 'bound' | 'unbinding' | 'stopped';

export interface BindEvents {
  stateChanged(bind: SmppBind, reason: string | null): void;
  /** A deliver_sm to interpret; `acknowledge` sends deliver_sm_resp with that status (if the session still exists). */
  deliverSm(bind: SmppBind, pdu: smpp.PDU, acknowledge: (commandStatus: number) => void): void;
  /** Messages queued here when the bind went down, none of whose parts had left: to route again, in this order. */
  orphaned(messages: PendingMessage[]): void;
  throttleAnswer(bind: SmppBind): void;
  /** A submission accepted, or answered with a temporary error (the carrier bound but not taking messages). */
  submitAnswered(bind: SmppBind, accepted: boolean): void;
}

interface InFlight {
  part: QueuedPart;
  sentAt: number;
  transactional: boolean;
}

const SMPP_VERSION_3_4 = 0x34;
/**
 * PDUs read from a session in one turn of the event loop before it gives the others a turn: a
 * read of the socket can hold hundreds of responses and receipts, and handling them in one go
 * kept the process' other I/O (a transactional claim's answer from PostgreSQL) waiting.
 */
const PDUS_PER_TURN = 64;

export class SmppBind {
  state: BindState = 'disconnected';
  lastError: string | null = null;
  private session: smpp.Session | null = null;
  private readonly transactional = new LaneQueue();
  private readonly bulk = new LaneQueue();
  private readonly inFlight = new Map<number, InFlight>();
  private bulkInFlight = 0;
  private readonly bucket: TokenBucket;
  private readonly bulkWindow: number;
  private readonly timeoutMs: number;
  private nextOrder = 0;
  private pausedUntil = 0;
  private pumpScheduled = false;
  private pumpTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private reconnectAttempts = 0;
  private enquireSentAt: number | null = null;
  private lastEnquireAt = 0;
  private stopping = false;

  constructor(
    readonly connection: string,
    readonly index: number,
    private readonly settings: CarrierConnectionSettings,
    private readonly events: BindEvents,
    private readonly log: CarrierLogger,
  ) {
    this.bucket = new TokenBucket(
      { ratePerSecond: settings.maxSegmentsPerSecond, reservedShare: settings.transactionalShare, recoveryMs: settings.throttleRecoveryMs },
      Date.now(),
    );
    this.bulkWindow = Math.max(1, Math.floor(settings.windowSize * (1 - settings.transactionalShare)));
    this.timeoutMs = settings.responseTimeoutSeconds * 1000;
  }

  get name(): string {
    return `${this.connection}#${this.index}`;
  }

  get bound(): boolean {
    return this.state === 'bound' && !this.stopping;
  }

  /** Segments queued or in flight: the load the router balances on. */
  get outstandingSegments(): number {
    return this.transactional.segments + this.bulk.segments + this.inFlight.size;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Current cap in segments per second (halved after throttling answers). */
  get currentRate(): number {
    return this.bucket.currentRate;
  }

  start(): void {
    this.healthTimer = setInterval(() => this.checkHealth(), Math.min(1000, this.timeoutMs / 4));
    this.healthTimer.unref();
    this.connect();
  }

  enqueue(message: PendingMessage): void {
    const lane = message.lane === 'transactional' ? this.transactional : this.bulk;
    for (let index = 0; index < message.segments; index++) lane.push({ message, index, order: this.nextOrder++, refusals: 0 });
    this.schedulePump();
  }

  /**
   * First half of a graceful stop: messages not started yet fail as STOPPING, the others finish
   * (remaining parts of a long message still go, so that no handset gets half a message), and
   * this resolves once nothing is in flight or `timeoutMs` has passed.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    for (const lane of [this.transactional, this.bulk]) {
      for (const part of lane.drain()) {
        if (part.message.abandoned) continue;
        if (part.message.sent === 0) part.message.fail('STOPPING', 'the carrier gateway is stopping; not sent');
        else lane.push(part);
      }
    }
    this.schedulePump();
    const deadline = Date.now() + timeoutMs;
    while (this.session && this.outstandingSegments > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Second half: unbind (waiting briefly for unbind_resp) and close the session. */
  async close(): Promise<void> {
    this.stopping = true;
    for (const timer of [this.pumpTimer, this.reconnectTimer]) if (timer) clearTimeout(timer);
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.pumpTimer = this.reconnectTimer = this.healthTimer = null;
    const session = this.session;
    if (!session) {
      this.setState('stopped', null);
      return;
    }
    if (this.state === 'bound') {
      this.setState('unbinding', null);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(2000, this.timeoutMs));
        const sent = session.send(new smpp.PDU('unbind'), () => {
          clearTimeout(timer);
          resolve();
        });
        if (!sent) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    await new Promise<void>((resolve) => {
      if (session.socket.destroyed) return resolve();
      session.socket.once('close', () => resolve());
      session.close();
      // A peer that never closes its side must not hold the stop.
      setTimeout(() => session.destroy(), 1000).unref();
    });
  }

  private setState(state: BindState, reason: string | null): void {
    if (this.state === state) return;
    this.state = state;
    this.events.stateChanged(this, reason);
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.stopping) return;
    this.setState('connecting', null);
    const session = smpp.connect({ host: this.settings.host, port: this.settings.port });
    this.session = session;
    const connectTimer = setTimeout(() => {
      if (this.session === session && this.state === 'connecting') this.dropSession(session, `no TCP connection within ${this.settings.responseTimeoutSeconds}s`);
    }, this.timeoutMs);
    session.on('connect', () => {
      clearTimeout(connectTimer);
      if (this.session !== session) return;
      session.socket.setNoDelay(true);
      this.bindTransceiver(session);
    });
    let pdusThisTurn = 0;
    session.on('pdu', (pdu: smpp.PDU) => {
      this.receive(session, pdu);
      if (++pdusThisTurn < PDUS_PER_TURN) return;
      // The package reads on after this PDU only while not paused; what is left waits in the socket.
      session.pause();
      setImmediate(() => {
        pdusThisTurn = 0;
        if (this.session === session) session.resume();
      });
    });
    // The package emits 'error' for socket errors and for undecodable PDUs (after which it stops
    // reading): either way the session is finished; 'close' follows the destroy.
    session.on('error', (error: Error) => {
      if (this.session === session) this.lastError = error.message;
      session.destroy();
    });
    session.on('close', () => {
      clearTimeout(connectTimer);
      this.onClose(session);
    });
  }

  private bindTransceiver(session: smpp.Session): void {
    this.setState('binding', null);
    const bindTimer = setTimeout(() => {
      if (this.session === session && this.state === 'binding') this.dropSession(session, 'no answer to bind_transceiver');
    }, this.timeoutMs);
    const pdu = new smpp.PDU('bind_transceiver', {
      system_id: this.settings.systemId,
      password: this.settings.password,
      system_type: this.settings.systemType,
      interface_version: SMPP_VERSION_3_4,
    });
    session.send(pdu, (response) => {
      clearTimeout(bindTimer);
      if (this.session !== session) return;
      if (response.command_status !== 0) {
        this.dropSession(session, `bind_transceiver refused: ${describeCommandStatus(response.command_status)}`);
        return;
      }
      this.reconnectAttempts = 0;
      this.lastError = null;
      this.lastEnquireAt = Date.now();
      this.enquireSentAt = null;
      this.setState('bound', null);
      this.log.info(`${this.name} bound to ${this.settings.host}:${this.settings.port}`);
      this.schedulePump();
    });
  }

  private dropSession(session: smpp.Session, reason: string): void {
    if (this.session !== session) return;
    this.lastError = reason;
    this.log.warn(`${this.name}: ${reason}; closing the session`);
    session.destroy();
  }

  private onClose(session: smpp.Session): void {
    if (this.session !== session) return;
    this.session = null;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = null;
    const reason = this.lastError ?? 'connection closed';

    const lost = new Set<PendingMessage>();
    for (const { part } of this.inFlight.values()) {
      part.message.partLost();
      lost.add(part.message);
    }
    this.inFlight.clear();
    this.bulkInFlight = 0;
    for (const message of lost) message.fail('CONNECTION_LOST', `${this.name} dropped (${reason}) with parts of this message in flight`);

    const orphans = new Set<PendingMessage>();
    for (const { message } of [...this.drainLane(this.transactional, orphans), ...this.drainLane(this.bulk, orphans)]) {
      if (!message.abandoned) message.fail('CONNECTION_LOST', `${this.name} dropped (${reason}) after some parts of this message were sent`);
    }

    const stopping = this.stopping;
    this.setState(stopping ? 'stopped' : 'disconnected', reason);
    if (orphans.size > 0) this.events.orphaned([...orphans]);
    if (!stopping) this.scheduleReconnect();
  }

  /**
   * Hands the queued messages none of whose parts has left back for routing elsewhere (the
   * connection is failing); messages partly sent keep their remaining parts here, in order.
   */
  handBackQueued(): void {
    const unsent = new Set<PendingMessage>();
    for (const lane of [this.transactional, this.bulk]) for (const part of this.drainLane(lane, unsent)) lane.push(part);
    if (unsent.size > 0) this.events.orphaned([...unsent]);
  }

  /**
   * Empties a lane: its live messages none of whose parts has left are added to `unsent` (in
   * order); the parts of the messages partly sent are returned, in order.
   */
  private drainLane(lane: LaneQueue, unsent: Set<PendingMessage>): QueuedPart[] {
    const started: QueuedPart[] = [];
    for (const part of lane.drain()) {
      if (part.message.abandoned) continue;
      if (part.message.sent === 0) unsent.add(part.message);
      else started.push(part);
    }
    return started;
  }

  private scheduleReconnect(): void {
    const ceiling = Math.min(this.settings.reconnectMaxDelayMs, this.settings.reconnectInitialDelayMs * 2 ** this.reconnectAttempts);
    this.reconnectAttempts++;
    // "Equal jitter": between half and all of the exponential delay, so that binds and
    // platform instances that lost the carrier together do not all come back at the same instant.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private receive(session: smpp.Session, pdu: smpp.PDU): void {
    if (this.session !== session || pdu.isResponse()) return; // responses go to their send callbacks
    batchWritesThisTick(session.socket);
    switch (pdu.command) {
      case 'deliver_sm':
        if (this.state !== 'bound' && this.state !== 'unbinding') {
          session.send(pdu.response({ command_status: ESME_RINVBNDSTS }));
          return;
        }
        this.events.deliverSm(this, pdu, (commandStatus) => {
          if (this.session !== session) return;
          batchWritesThisTick(session.socket);
          session.send(deliverSmResp(pdu.sequence_number, commandStatus));
        });
        return;
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'unbind':
        session.send(pdu.response());
        this.lastError = 'the carrier unbound';
        session.close();
        return;
      case 'alert_notification':
      case 'outbind':
        return;
      case 'unknown':
        session.send(pdu.response()); // generic_nack
        return;
      default:
        session.send(pdu.response({ command_status: ESME_RINVCMDID }));
    }
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // Coalesces the enqueues and answers of one event-loop turn into one pass, one socket write.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pumpAt(delayMs: number): void {
    if (this.pumpTimer) return;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = null;
      this.pump();
    }, Math.max(1, delayMs));
  }

  /** Head of a lane, dropping parts of messages that failed meanwhile. */
  private nextLivePart(lane: LaneQueue): QueuedPart | undefined {
    let part = lane.peek();
    while (part && part.message.abandoned) {
      lane.shift();
      part = lane.peek();
    }
    return part;
  }

  private pump(): void {
    const session = this.session;
    if (!session || this.state !== 'bound') return;
    const now = Date.now();
    if (now < this.pausedUntil) {
      this.pumpAt(this.pausedUntil - now);
      return;
    }
    batchWritesThisTick(session.socket);
    while (this.inFlight.size < this.settings.windowSize) {
      let lane: LaneQueue;
      let transactional: boolean;
      if (this.nextLivePart(this.transactional)) {
        if (!this.bucket.tryTake(true, now)) {
          this.pumpAt(this.bucket.waitMs(true, now));
          break;
        }
        lane = this.transactional;
        transactional = true;
      } else {
        if (!this.nextLivePart(this.bulk) || this.bulkInFlight >= this.bulkWindow) break;
        if (!this.bucket.tryTake(false, now)) {
          this.pumpAt(this.bucket.waitMs(false, now));
          break;
        }
        lane = this.bulk;
        transactional = false;
      }
      const part = lane.shift();
      if (!part) break;
      if (!this.send(session, part, lane, transactional, now)) break;
    }
  }

  private send(session: smpp.Session, part: QueuedPart, lane: LaneQueue, transactional: boolean, now: number): boolean {
    const message = part.message;
    const encoded = message.encoded.parts[part.index];
    if (!encoded) throw new Error(`part ${part.index} of message ${message.sms.id} does not exist`);
    const pdu = submitSm({
      sourceTon: message.source.ton,
      sourceNpi: message.source.npi,
      source: message.source.address,
      destinationTon: message.destination.ton,
      destinationNpi: message.destination.npi,
      destination: message.destination.address,
      esmClass: encoded.esmClass,
      priorityFlag: transactional ? 1 : 0,
      registeredDelivery: message.sms.requestReceipt ? 1 : 0,
      dataCoding: message.encoded.dataCoding,
      shortMessage: encoded.shortMessage,
      reference: message.sms.reference,
    });
    const sent = session.send(pdu, (response) => this.onSubmitResponse(session, pdu.sequence_number, response));
    if (!sent) {
      lane.requeue(part);
      this.dropSession(session, 'socket no longer writable');
      return false;
    }
    this.inFlight.set(pdu.sequence_number, { part, sentAt: now, transactional });
    if (!transactional) this.bulkInFlight++;
    message.partSent(part.refusals === 0);
    return true;
  }

  private onSubmitResponse(session: smpp.Session, sequence: number, response: smpp.PDU): void {
    if (this.session !== session) return;
    const entry = this.inFlight.get(sequence);
    if (!entry) return;
    this.inFlight.delete(sequence);
    if (!entry.transactional) this.bulkInFlight--;
    const { part } = entry;
    const message = part.message;
    const status = response.command_status;
    switch (classifySubmitStatus(status)) {
      case 'accepted':
        message.partAccepted(part.index, typeof response.message_id === 'string' ? response.message_id : '');
        this.events.submitAnswered(this, true);
        break;
      case 'slow-down': {
        this.events.throttleAnswer(this);
        part.refusals++;
        // A message some parts of which the carrier took is never given up for throttling: its
        // other parts keep their place here until they go (it could not be sent whole again).
        if (part.refusals > this.settings.maxThrottleRetries && message.accepted === 0) {
          message.partRejected(
            status === ESME_RTHROTTLED ? 'THROTTLED' : 'QUEUE_FULL',
            `${this.name}: the carrier answered ${describeCommandStatus(status)} ${part.refusals} times in a row`,
            status,
          );
          break;
        }
        message.partRefused();
        (entry.transactional ? this.transactional : this.bulk).requeue(part);
        const now = Date.now();
        if (this.bucket.slowDown(now, this.settings.throttlePauseMs)) {
          this.pausedUntil = now + this.settings.throttlePauseMs;
          this.log.info(`${this.name}: ${describeCommandStatus(status)}; pausing ${this.settings.throttlePauseMs} ms, rate now ${this.bucket.currentRate.toFixed(1)} segments/s`);
        }
        break;
      }
      case 'temporary':
        message.partRejected('CARRIER_ERROR', `${this.name}: the carrier answered ${describeCommandStatus(status)}`, status);
        this.events.submitAnswered(this, false);
        break;
      case 'permanent':
        message.partRejected('REJECTED', `${this.name}: the carrier refused the message: ${describeCommandStatus(status)}`, status);
        break;
    }
    this.schedulePump();
  }

  private checkHealth(): void {
    const session = this.session;
    if (!session || this.state !== 'bound') return;
    const now = Date.now();
    const oldest = this.inFlight.values().next().value;
    if (oldest && now - oldest.sentAt > this.timeoutMs) {
      this.dropSession(session, `no answer to a submit_sm within ${this.settings.responseTimeoutSeconds}s`);
      return;
    }
    if (this.enquireSentAt !== null) {
      if (now - this.enquireSentAt > this.timeoutMs) this.dropSession(session, `no answer to enquire_link within ${this.settings.responseTimeoutSeconds}s`);
      return;
    }
    if (now - this.lastEnquireAt >= this.settings.enquireLinkSeconds * 1000) {
      this.lastEnquireAt = now;
      this.enquireSentAt = now;
      session.send(new smpp.PDU('enquire_link'), () => {
        if (this.session === session) this.enquireSentAt = null;
      });
    }
  }
}
