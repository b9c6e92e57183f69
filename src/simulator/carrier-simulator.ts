/**
 * The built-in carrier simulator: an SMPP 3.4 server (SMSC side) on loopback, so that the
 * default set-up and the tests exercise the real protocol.
 *
 * - Accepts bind_transceiver / bind_transmitter / bind_receiver, with any credentials or only
 *   the configured ones (ESME_RINVPASWD otherwise).
 * - Answers submit_sm with a message id (or a refusal), then after `receiptDelayMs` sends the
 *   delivery receipt(s) as deliver_sm (esm_class 0x04, receipt text plus receipted_message_id and
 *   message_state TLVs, and the platform message reference TLV 0x1400 echoed when the submission
 *   carried one, as SMSCs echo a client reference) to a session bound with the same system_id. Outcomes are deterministic per
 *   number: see `outcomes.ts` for the number patterns (0001 Delivered, 0002 Not issued, 0003
 *   Expired, 0004 no receipt, 0005 refused, 0006/0007 throttled/queue full once, 0008 duplicate
 *   receipt, 0009 out-of-order receipt) and the mix for other numbers.
 * - Like a real SMSC it keeps receipts until they are acknowledged: a deliver_sm answered with an
 *   error, or left unanswered when its session drops, is delivered again later.
 * - Optional global throttling (`maxSubmitsPerSecond`: ESME_RTHROTTLED beyond) and submit window
 *   (`windowSize` unanswered submit_sm per session, with `submitResponseDelayMs`: ESME_RMSGQFUL
 *   beyond).
 * - Counts every accepted submission per destination (`submissionsTo`, `stats`), keeps the
 *   reassembled messages (`messages`), and injects inbound messages (`injectInbound`, in several
 *   UDH parts in any order) and arbitrary receipts (`injectReceipt`).
 */
import { randomBytes } from 'node:crypto';
import smpp from 'smpp';
import '../gateways/carriers/smpp-package-tuning.js';
import {
  ESME_RALYBND,
  ESME_RBINDFAIL,
  ESME_RINVBNDSTS,
  ESME_RINVCMDID,
  ESME_RINVPASWD,
  ESME_RMSGQFUL,
  ESME_ROK,
  ESME_RTHROTTLED,
} from '../gateways/carriers/command-status.js';
import { describeCommandStatus } from '../gateways/carriers/command-status-names.js';
import { messageContent } from '../gateways/carriers/deliver-sm.js';
import { ESM_CLASS_DELIVERY_RECEIPT, formatReceiptText, RECEIPT_STAT, type ReceiptStat } from '../gateways/carriers/delivery-receipt.js';
import { deliverSm, readPlatformReference, submitSmError, submitSmResp, type EncodedPdu } from '../gateways/carriers/encoded-pdu.js';
import { consoleCarrierLogger, type CarrierLogger } from '../gateways/carriers/logger.js';
import { encodeGsm7, encodeMessage, readAddress, sourceAddress, type SmppAddress } from '../gateways/carriers/pdu-encoding.js';
import { batchWritesThisTick } from '../gateways/carriers/socket-batching.js';
import { TokenBucket } from '../gateways/carriers/token-bucket.js';
import { readConcatenation } from '../gateways/carriers/udh.js';
import { GSM_SEPTETS, type SmsEncoding } from '../domain/messaging/encoding.js';
import { decideOutcome, DEFAULT_OUTCOME_MIX, type OutcomeMix } from './outcomes.js';

export interface CarrierSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 2775; 0 picks a free port (read it back from `port`). */
  port?: number;
  /** Accepted system_id/password pairs; any credentials when omitted. */
  credentials?: ReadonlyArray<{ systemId: string; password: string }>;
  /** Delay between accepting a submission and sending its receipt. Default 200 ms; 0 allowed. */
  receiptDelayMs?: number;
  /** Outcomes of numbers that match no pattern. Default: DELIVRD 96, UNDELIV 3, EXPIRED 1. */
  outcomeMix?: OutcomeMix;
  /** submit_sm beyond this many per second (all sessions together) get ESME_RTHROTTLED. Default: no limit. */
  maxSubmitsPerSecond?: number | null;
  /** Delay before answering each submit_sm, like a distant carrier. Default 0. */
  submitResponseDelayMs?: number;
  /** submit_sm beyond this many unanswered on one session get ESME_RMSGQFUL. Default: no limit. */
  windowSize?: number | null;
  /** Answer every submit_sm with this error status (a carrier bound but broken, e.g. ESME_RSYSERR). Default: none. */
  failSubmissionsWith?: number | null;
  /** ...once it has accepted this many parts (e.g. 1: the first part of a long message goes, the next is refused). Default 0. */
  failSubmissionsAfterParts?: number;
  /** deliver_sm (receipts, inbound) sent and not yet answered, per session. Default 1000. */
  deliverWindow?: number;
  /** A deliver_sm answered with an error is sent again after this delay. Default 1000 ms. */
  redeliveryDelayMs?: number;
  /** ...at most this many times in all. Default 10. */
  maxDeliveryAttempts?: number;
  /** Reassembled submissions kept for `messages()` (oldest dropped first). Default 10,000. */
  keepMessages?: number;
  /** Prefix of the message ids it issues. Default: 4 random hex digits (two simulators never clash). */
  messageIdPrefix?: string;
  logger?: CarrierLogger;
}

export interface SimulatedMessage {
  /** Order of acceptance across all sessions (of its first part). */
  sequence: number;
  sessionId: number;
  systemId: string;
  from: string;
  to: string;
  /** Decoded and reassembled from the parts. */
  text: string;
  dataCoding: number;
  parts: number;
  /** In part order. */
  carrierMessageIds: string[];
  /** The platform message reference (TLV 0x1400) of its first part, null when absent. */
  reference: string | null;
  acceptedAt: Date;
}

export interface CarrierSimulatorStats {
  boundSessions: number;
  /** Every submit_sm received. */
  submitSm: number;
  acceptedParts: number;
  /** Accepted messages (single SMS, or first part of a concatenated one). */
  acceptedMessages: number;
  throttled: number;
  /** Refused submit_sm by command status name. */
  refused: Record<string, number>;
  receiptsSent: number;
  inboundSent: number;
  /** deliver_sm acknowledged with ESME_ROK. */
  deliveriesAcknowledged: number;
  /** deliver_sm answered with an error (to be delivered again). */
  deliveriesRefused: number;
  /** Receipts and inbound parts not yet acknowledged (scheduled, ready or in flight). */
  pendingDeliveries: number;
  distinctDestinations: number;
  /** Destinations that received more than one message: 0 when every recipient got exactly one. */
  destinationsWithSeveralMessages: number;
}

export interface InjectInboundOptions {
  /** Order in which the parts are sent: 1-based indexes (leaving one out simulates a lost part), or `reverse`. Default in order. */
  partOrder?: 'in-order' | 'reverse' | readonly number[];
  encoding?: SmsEncoding;
  /** Deliver to sessions bound with this system_id. Default: any session that can receive. */
  systemId?: string;
  /** Concatenation reference (0-255) of a message in several parts, to send its parts in several calls (with `partOrder`). Default: the next one. */
  reference?: number;
}

export interface InjectReceiptInput {
  carrierMessageId: string;
  stat: ReceiptStat;
  /** The handset number the receipt is about. Default +33600000000. */
  recipient?: string;
  systemId?: string;
  /** The `done date` the receipt reports (whole seconds). Default: now. */
  doneAt?: Date;
  /** The platform message reference (TLV 0x1400) to echo, as for a submission that carried one. Default: none. */
  reference?: string;
}

export interface CarrierSimulator {
  readonly host: string;
  readonly port: number;
  stats(): CarrierSimulatorStats;
  /** Accepted messages to that number (first parts counted once). */
  submissionsTo(destination: string): number;
  /** When the first message to `destination` was accepted (epoch ms), null if none was. */
  firstSubmissionAt(destination: string): number | null;
  /** Accepted messages per destination. */
  submissionCounts(): ReadonlyMap<string, number>;
  /** The most recent reassembled submissions, oldest first. */
  messages(): SimulatedMessage[];
  /** Sends an inbound SMS to bound clients; resolves when every part sent has been acknowledged. */
  injectInbound(from: string, to: string, text: string, options?: InjectInboundOptions): Promise<{ parts: number }>;
  /** Sends a receipt for any id (known or not); resolves once acknowledged. */
  injectReceipt(input: InjectReceiptInput): Promise<void>;
  /** Cuts every client connection (as a network failure would); the server keeps listening. */
  dropConnections(): void;
  /** Forgets counters, per-number attempts and kept messages. */
  reset(): void;
  stop(): Promise<void>;
}

/** Submissions to one number: attempts (refused ones included), messages accepted, and when the first was (epoch ms). */
interface Destination {
  attempts: number;
  accepted: number;
  firstAcceptedAt: number;
}

interface SessionState {
  id: number;
  session: smpp.Session;
  systemId: string;
  bound: boolean;
  canReceive: boolean;
  pendingResponses: number;
  /** deliver_sm sent on this session awaiting their response, by sequence number. */
  deliveriesInFlight: Map<number, Delivery>;
}

interface Delivery {
  kind: 'receipt' | 'inbound';
  systemId: string | null;
  preferredSession: number | null;
  /** Encoded once; renumbered by the session at each attempt. */
  pdu: EncodedPdu;
  attempts: number;
  dueAt: number;
  onAcknowledged?: () => void;
}

interface PartialSet {
  parts: Array<string | undefined>;
  ids: Array<string | undefined>;
  received: number;
  first: SimulatedMessage;
}

/** First in, first out, O(1) at both ends for the volumes of a benchmark. */
class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

export async function startCarrierSimulator(options: CarrierSimulatorOptions = {}): Promise<CarrierSimulator> {
  const host = options.host ?? '127.0.0.1';
  const receiptDelayMs = options.receiptDelayMs ?? 200;
  const mix = options.outcomeMix ?? DEFAULT_OUTCOME_MIX;
  const submitResponseDelayMs = options.submitResponseDelayMs ?? 0;
  const windowSize = options.windowSize ?? null;
  const failSubmissionsWith = options.failSubmissionsWith ?? null;
  const failSubmissionsAfterParts = options.failSubmissionsAfterParts ?? 0;
  const deliverWindow = options.deliverWindow ?? 1000;
  const redeliveryDelayMs = options.redeliveryDelayMs ?? 1000;
  const maxDeliveryAttempts = options.maxDeliveryAttempts ?? 10;
  const keepMessages = options.keepMessages ?? 10_000;
  const idPrefix = options.messageIdPrefix ?? randomBytes(2).toString('hex');
  const log = options.logger ?? consoleCarrierLogger('[carrier-simulator]');
  const throttle = options.maxSubmitsPerSecond
    ? new TokenBucket({ ratePerSecond: options.maxSubmitsPerSecond, reservedShare: 0, burstSeconds: 0.1 }, Date.now())
    : null;

  const sessions = new Map<number, SessionState>();
  let nextSessionId = 1;
  let nextMessageId = 1;
  let nextSequence = 1;
  let inboundReference = 0;
  let roundRobin = 0;
  /** What each number was sent: one entry (one lookup per submission) rather than a map per figure. */
  const destinations = new Map<string, Destination>();
  let distinctDestinations = 0;
  const partials = new Map<string, PartialSet>();
  let kept: SimulatedMessage[] = [];
  const scheduled = new Fifo<Delivery>(); // receipts in order of due time (constant delay)
  const ready = new Fifo<Delivery>();
  const retryTimers = new Set<NodeJS.Timeout>();
  let scheduleTimer: NodeJS.Timeout | null = null;
  let dispatchQueued = false;
  let stopped = false;
  const stats = {
    submitSm: 0,
    acceptedParts: 0,
    acceptedMessages: 0,
    throttled: 0,
    refused: {} as Record<string, number>,
    receiptsSent: 0,
    inboundSent: 0,
    deliveriesAcknowledged: 0,
    deliveriesRefused: 0,
  };
  let pendingDeliveries = 0;
  let severalMessages = 0;

  const server = smpp.createServer({}, (session) => {
    const state: SessionState = {
      id: nextSessionId++,
      session,
      systemId: '',
      bound: false,
      canReceive: false,
      pendingResponses: 0,
      deliveriesInFlight: new Map(),
    };
    sessions.set(state.id, state);
    session.socket.setNoDelay(true);
    session.on('pdu', (pdu: smpp.PDU) => receive(state, pdu));
    session.on('error', () => session.destroy());
    session.on('close', () => closed(state));
  });

  function receive(state: SessionState, pdu: smpp.PDU): void {
    if (pdu.isResponse()) return; // deliver_sm_resp and enquire_link_resp go to their callbacks
    const { session } = state;
    batchWritesThisTick(session.socket);
    switch (pdu.command) {
      case 'bind_transceiver':
      case 'bind_transmitter':
      case 'bind_receiver':
        bind(state, pdu);
        return;
      case 'submit_sm':
        submit(state, pdu);
        return;
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'unbind':
        session.send(pdu.response());
        state.bound = false;
        session.close();
        return;
      case 'unknown':
        session.send(pdu.response());
        return;
      case 'generic_nack':
      case 'alert_notification':
      case 'outbind':
        return;
      default:
        session.send(pdu.response({ command_status: ESME_RINVCMDID }));
    }
  }

  function bind(state: SessionState, pdu: smpp.PDU): void {
    const systemId = typeof pdu.system_id === 'string' ? pdu.system_id : '';
    const password = typeof pdu.password === 'string' ? pdu.password : '';
    if (state.bound) {
      state.session.send(pdu.response({ command_status: ESME_RALYBND }));
      return;
    }
    if (options.credentials && !options.credentials.some((credential) => credential.systemId === systemId && credential.password === password)) {
      state.session.send(pdu.response({ command_status: options.credentials.some((credential) => credential.systemId === systemId) ? ESME_RINVPASWD : ESME_RBINDFAIL }));
      state.session.close();
      return;
    }
    state.systemId = systemId;
    state.bound = true;
    state.canReceive = pdu.command !== 'bind_transmitter';
    state.session.send(pdu.response({ system_id: 'SIMULATOR' }));
    dispatchSoon();
  }

  function submit(state: SessionState, pdu: smpp.PDU): void {
    stats.submitSm++;
    const { session } = state;
    if (!state.bound) {
      session.send(submitSmError(pdu.sequence_number, ESME_RINVBNDSTS));
      return;
    }
    if (windowSize !== null && state.pendingResponses >= windowSize) {
      refuse(session, pdu, ESME_RMSGQFUL);
      return;
    }
    if (failSubmissionsWith !== null && stats.acceptedParts >= failSubmissionsAfterParts) {
      refuse(session, pdu, failSubmissionsWith);
      return;
    }
    const now = Date.now();
    if (throttle && !throttle.tryTake(true, now)) {
      stats.throttled++;
      refuse(session, pdu, ESME_RTHROTTLED);
      return;
    }
    const to = readAddress(pdu.dest_addr_ton, pdu.destination_addr);
    let destination = destinations.get(to);
    if (destination === undefined) {
      destination = { attempts: 0, accepted: 0, firstAcceptedAt: 0 };
      destinations.set(to, destination);
    }
    const outcome = decideOutcome(to, ++destination.attempts, mix);
    if (outcome.commandStatus !== ESME_ROK) {
      if (outcome.commandStatus === ESME_RTHROTTLED) stats.throttled++;
      respond(state, submitSmError(pdu.sequence_number, outcome.commandStatus));
      if (outcome.commandStatus !== ESME_RTHROTTLED) countRefusal(outcome.commandStatus);
      return;
    }
    const carrierMessageId = `${idPrefix}${(nextMessageId++).toString(16).padStart(8, '0')}`;
    const from = readAddress(pdu.source_addr_ton, pdu.source_addr);
    const content = messageContent(pdu);
    const concatenation = readConcatenation(content.udh);
    const dataCoding = typeof pdu.data_coding === 'number' ? pdu.data_coding : 0;
    const reference = readPlatformReference(pdu);
    stats.acceptedParts++;
    if (!concatenation || concatenation.index === 1) {
      stats.acceptedMessages++;
      const count = ++destination.accepted;
      if (count === 1) {
        destination.firstAcceptedAt = now;
        distinctDestinations++;
      }
      if (count === 2) severalMessages++;
    }
    record(state, { from, to, text: content.text, dataCoding, carrierMessageId, reference, concatenation, acceptedAt: new Date(now) });
    const source: SmppAddress = { ton: Number(pdu.source_addr_ton ?? 0), npi: Number(pdu.source_addr_npi ?? 0), address: String(pdu.source_addr ?? '') };
    outcome.receipts.forEach((stat, i) => {
      scheduleReceipt(state, { carrierMessageId, stat, recipient: to, source, submittedAt: new Date(now), text: receiptEcho(content.text, dataCoding), reference }, now + receiptDelayMs + i);
    });
    respond(state, submitSmResp(pdu.sequence_number, carrierMessageId));
  }

  function refuse(session: smpp.Session, pdu: smpp.PDU, status: number): void {
    if (status !== ESME_RTHROTTLED) countRefusal(status);
    session.send(submitSmError(pdu.sequence_number, status));
  }

  function countRefusal(status: number): void {
    const name = describeCommandStatus(status);
    stats.refused[name] = (stats.refused[name] ?? 0) + 1;
  }

  function respond(state: SessionState, answer: EncodedPdu): void {
    if (submitResponseDelayMs <= 0) {
      state.session.send(answer);
      return;
    }
    state.pendingResponses++;
    setTimeout(() => {
      state.pendingResponses--;
      batchWritesThisTick(state.session.socket);
      state.session.send(answer);
    }, submitResponseDelayMs);
  }

  function record(
    state: SessionState,
    part: {
      from: string;
      to: string;
      text: string;
      dataCoding: number;
      carrierMessageId: string;
      reference: string | null;
      concatenation: ReturnType<typeof readConcatenation>;
      acceptedAt: Date;
    },
  ): void {
    const base: SimulatedMessage = {
      sequence: 0,
      sessionId: state.id,
      systemId: state.systemId,
      from: part.from,
      to: part.to,
      text: part.text,
      dataCoding: part.dataCoding,
      parts: 1,
      carrierMessageIds: [part.carrierMessageId],
      reference: part.reference,
      acceptedAt: part.acceptedAt,
    };
    const concatenation = part.concatenation;
    if (!concatenation || concatenation.total === 1) {
      keep({ ...base, sequence: nextSequence++ });
      return;
    }
    const key = [state.systemId, part.from, part.to, concatenation.reference, concatenation.total].join('\u0000');
    let set = partials.get(key);
    if (!set) {
      set = { parts: new Array(concatenation.total), ids: new Array(concatenation.total), received: 0, first: { ...base, sequence: nextSequence++ } };
      partials.set(key, set);
    }
    const slot = concatenation.index - 1;
    if (set.parts[slot] === undefined) set.received++;
    set.parts[slot] = part.text;
    set.ids[slot] = part.carrierMessageId;
    if (set.received < concatenation.total) return;
    partials.delete(key);
    keep({ ...set.first, text: set.parts.join(''), parts: concatenation.total, carrierMessageIds: set.ids as string[] });
  }

  function keep(message: SimulatedMessage): void {
    kept.push(message);
    if (kept.length > keepMessages * 2) kept = kept.slice(-keepMessages);
  }

  function scheduleReceipt(
    state: SessionState,
    receipt: { carrierMessageId: string; stat: ReceiptStat; recipient: string; source: SmppAddress; submittedAt: Date; text: string; reference: string | null },
    dueAt: number,
  ): void {
    const pdu = receiptPdu(
      receiptAddress(receipt.recipient),
      receipt.source,
      receipt.carrierMessageId,
      receipt.stat,
      formatReceiptText({
        id: receipt.carrierMessageId,
        stat: receipt.stat,
        err: receipt.stat === 'DELIVRD' ? '000' : '001',
        submitDate: receipt.submittedAt,
        doneDate: new Date(dueAt),
        text: receipt.text,
      }),
      receipt.reference,
    );
    pendingDeliveries++;
    scheduled.push({ kind: 'receipt', systemId: state.systemId, preferredSession: state.id, pdu, attempts: 0, dueAt });
    armScheduleTimer();
  }

  function armScheduleTimer(): void {
    if (scheduleTimer || stopped) return;
    const head = scheduled.peek();
    if (!head) return;
    const wait = head.dueAt - Date.now();
    if (wait <= 0) {
      promoteDue();
      return;
    }
    scheduleTimer = setTimeout(() => {
      scheduleTimer = null;
      promoteDue();
    }, wait);
  }

  function promoteDue(): void {
    const now = Date.now();
    for (let head = scheduled.peek(); head && head.dueAt <= now; head = scheduled.peek()) ready.push(scheduled.shift() as Delivery);
    dispatchSoon();
    armScheduleTimer();
  }

  function dispatchSoon(): void {
    if (dispatchQueued || stopped) return;
    dispatchQueued = true;
    setImmediate(() => {
      dispatchQueued = false;
      dispatch();
    });
  }

  function receiverFor(delivery: Delivery): SessionState | null {
    const preferred = delivery.preferredSession === null ? undefined : sessions.get(delivery.preferredSession);
    if (preferred?.bound && preferred.canReceive && preferred.deliveriesInFlight.size < deliverWindow) return preferred;
    // Otherwise round robin over the sessions that can take it, as SMSCs spread deliveries over binds.
    const candidates = [...sessions.values()];
    for (let i = 0; i < candidates.length; i++) {
      const state = candidates[(roundRobin + i) % candidates.length] as SessionState;
      if (!state.bound || !state.canReceive || state.deliveriesInFlight.size >= deliverWindow) continue;
      if (delivery.systemId !== null && state.systemId !== delivery.systemId) continue;
      roundRobin = (roundRobin + i + 1) % candidates.length;
      return state;
    }
    return null;
  }

  /** Sends ready deliveries in order while some session can take them. */
  function dispatch(): void {
    for (let delivery = ready.peek(); delivery; delivery = ready.peek()) {
      const state = receiverFor(delivery);
      if (!state) break; // waits for a bind or for acknowledgements
      ready.shift();
      batchWritesThisTick(state.session.socket);
      send(state, delivery);
    }
  }

  function send(state: SessionState, delivery: Delivery): void {
    delivery.attempts++;
    const pdu = delivery.pdu;
    pdu.sequence_number = 0;
    const sent = state.session.send(pdu, (response) => {
      if (state.deliveriesInFlight.get(pdu.sequence_number) !== delivery) return;
      state.deliveriesInFlight.delete(pdu.sequence_number);
      if (response.command_status === ESME_ROK) {
        stats.deliveriesAcknowledged++;
        pendingDeliveries--;
        delivery.onAcknowledged?.();
      } else {
        stats.deliveriesRefused++;
        redeliverLater(delivery, `answered ${describeCommandStatus(response.command_status)}`);
      }
      dispatchSoon();
    });
    if (!sent) {
      // The socket is closing ('close' will follow): stop choosing this session, keep the delivery first in line.
      state.bound = false;
      ready.unshift(delivery);
      delivery.attempts--;
      return;
    }
    state.deliveriesInFlight.set(pdu.sequence_number, delivery);
    if (delivery.kind === 'receipt') stats.receiptsSent++;
    else stats.inboundSent++;
  }

  function redeliverLater(delivery: Delivery, why: string): void {
    if (delivery.attempts >= maxDeliveryAttempts) {
      pendingDeliveries--;
      log.warn(`${delivery.kind} deliver_sm ${why} ${delivery.attempts} times; given up`);
      return;
    }
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      ready.push(delivery);
      dispatchSoon();
    }, redeliveryDelayMs);
    retryTimers.add(timer);
  }

  function closed(state: SessionState): void {
    sessions.delete(state.id);
    state.bound = false;
    // Unacknowledged deliveries are kept, as an SMSC keeps receipts, and go out on the next bind.
    const unacknowledged = [...state.deliveriesInFlight.values()];
    state.deliveriesInFlight.clear();
    for (let i = unacknowledged.length - 1; i >= 0; i--) {
      const delivery = unacknowledged[i] as Delivery;
      delivery.preferredSession = null;
      ready.unshift(delivery);
    }
    dispatchSoon();
  }

  /** The beginning of the message that receipts echo: basic GSM characters only, as many carriers do. */
  function receiptEcho(text: string, dataCoding: number): string {
    if (dataCoding !== 0) return '';
    let echo = '';
    for (let i = 0; i < text.length && echo.length < 20; i++) echo += GSM_SEPTETS[text.charCodeAt(i)] === 1 ? text.charAt(i) : ' ';
    return echo;
  }

  /** A receipt from the handset's number to the sender, with the standard text and the SMPP 3.4 TLVs. */
  function receiptPdu(handset: SmppAddress, sender: SmppAddress, carrierMessageId: string, stat: ReceiptStat, text: string, reference: string | null = null): EncodedPdu {
    return deliverSm(
      {
        sourceTon: handset.ton,
        sourceNpi: handset.npi,
        source: handset.address,
        destinationTon: sender.ton,
        destinationNpi: sender.npi,
        destination: sender.address,
        esmClass: ESM_CLASS_DELIVERY_RECEIPT,
        priorityFlag: 0,
        registeredDelivery: 0,
        dataCoding: 0,
        shortMessage: encodeGsm7(text),
      },
      { receiptedMessageId: carrierMessageId, messageState: RECEIPT_STAT[stat], reference },
    );
  }

  function receiptAddress(number: string): SmppAddress {
    return /^\+\d+$/.test(number) ? { ton: 1, npi: 1, address: number.slice(1) } : { ton: 0, npi: 1, address: number };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 2775, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error: Error) => log.error('server error', error));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 2775);

  return {
    host,
    port,
    stats: () => ({
      ...stats,
      refused: { ...stats.refused },
      boundSessions: [...sessions.values()].filter((state) => state.bound).length,
      pendingDeliveries,
      distinctDestinations,
      destinationsWithSeveralMessages: severalMessages,
    }),
    submissionsTo: (number) => destinations.get(number)?.accepted ?? 0,
    firstSubmissionAt: (number) => {
      const destination = destinations.get(number);
      return destination !== undefined && destination.accepted > 0 ? destination.firstAcceptedAt : null;
    },
    submissionCounts: () => new Map([...destinations].flatMap(([number, destination]) => (destination.accepted > 0 ? [[number, destination.accepted] as const] : []))),
    messages: () => kept.slice(-keepMessages),
    injectInbound(from, to, text, inject = {}) {
      if (inject.reference !== undefined && !(Number.isInteger(inject.reference) && inject.reference >= 0 && inject.reference <= 0xff)) {
        return Promise.reject(new RangeError(`reference must be an integer from 0 to 255, not ${inject.reference}`));
      }
      const encoded = encodeMessage(text, inject.encoding, inject.reference ?? inboundReference++ & 0xff);
      const sender = sourceAddress(from);
      const recipient = receiptAddress(to);
      const total = encoded.parts.length;
      const order =
        inject.partOrder === 'reverse'
          ? encoded.parts.map((_, i) => total - i)
          : Array.isArray(inject.partOrder)
            ? [...inject.partOrder]
            : encoded.parts.map((_, i) => i + 1);
      if (order.length === 0 || new Set(order).size !== order.length || order.some((index) => !Number.isInteger(index) || index < 1 || index > total)) {
        return Promise.reject(new RangeError(`partOrder must list parts among 1..${total}, each at most once`));
      }
      return new Promise((resolve) => {
        let remaining = order.length;
        for (const index of order) {
          const part = encoded.parts[index - 1];
          if (!part) continue;
          pendingDeliveries++;
          ready.push({
            kind: 'inbound',
            systemId: inject.systemId ?? null,
            preferredSession: null,
            attempts: 0,
            dueAt: Date.now(),
            pdu: deliverSm({
              sourceTon: sender.ton,
              sourceNpi: sender.npi,
              source: sender.address,
              destinationTon: recipient.ton,
              destinationNpi: recipient.npi,
              destination: recipient.address,
              esmClass: part.esmClass,
              priorityFlag: 0,
              registeredDelivery: 0,
              dataCoding: encoded.dataCoding,
              shortMessage: part.shortMessage,
            }),
            onAcknowledged: () => {
              if (--remaining === 0) resolve({ parts: total });
            },
          });
        }
        dispatchSoon();
      });
    },
    injectReceipt(input) {
      return new Promise<void>((resolve) => {
        const now = new Date();
        pendingDeliveries++;
        ready.push({
          kind: 'receipt',
          systemId: input.systemId ?? null,
          preferredSession: null,
          attempts: 0,
          dueAt: now.getTime(),
          pdu: receiptPdu(
            receiptAddress(input.recipient ?? '+33600000000'),
            { ton: 0, npi: 0, address: '' },
            input.carrierMessageId,
            input.stat,
            formatReceiptText({ id: input.carrierMessageId, stat: input.stat, submitDate: now, doneDate: input.doneAt ?? now }),
            input.reference ?? null,
          ),
          onAcknowledged: resolve,
        });
        dispatchSoon();
      });
    },
    dropConnections() {
      for (const state of sessions.values()) state.session.destroy();
    },
    reset() {
      destinations.clear();
      distinctDestinations = 0;
      partials.clear();
      kept = [];
      severalMessages = 0;
      Object.assign(stats, { submitSm: 0, acceptedParts: 0, acceptedMessages: 0, throttled: 0, refused: {}, receiptsSent: 0, inboundSent: 0, deliveriesAcknowledged: 0, deliveriesRefused: 0 });
    },
    async stop() {
      stopped = true;
      if (scheduleTimer) clearTimeout(scheduleTimer);
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
      scheduled.clear();
      ready.clear();
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const state of sessions.values()) state.session.destroy();
      await closing;
    },
  };
}
