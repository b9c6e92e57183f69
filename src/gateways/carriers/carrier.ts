/**
 * The carrier gateway: how messages leave the platform and how delivery receipts and replies
 * come back (SPEC section 6). Dispatch code talks to this interface only; `SmppCarrierGateway`
 * (SMPP 3.4, several connections with routes) is the implementation, and the built-in carrier
 * simulator (`src/simulator`) is an SMPP server it can reach on loopback.
 *
 * Contract, in short:
 * - `submit` resolves once the carrier has acknowledged every part (one carrier message id per
 *   part), or rejects with a `CarrierSubmitError` whose `reason` says whether retrying makes sense
 *   and whether anything may have reached the carrier.
 * - Throttling answers (ESME_RTHROTTLED, ESME_RMSGQFUL) are handled inside: the bind slows down and
 *   retries the same part ahead of everything queued after it; they surface only when a part has
 *   been refused `maxThrottleRetries` times in a row.
 * - Receipts and inbound messages reach one handler, in batches (arrays), so that a batch can be
 *   applied with one SQL statement. The carrier's deliver_sm is acknowledged only after the
 *   handler's promise resolves; if it rejects, the carrier is told to retry later (ESME_RX_T_APPN),
 *   so a crash between receipt and commit loses nothing.
 */
import type { SmsEncoding } from '../../domain/messaging/encoding.js';

export type MessagePriority = 'transactional' | 'bulk';

export interface OutboundSms {
  /** Our message id: carried in results and errors. */
  id: string;
  /**
   * Sent to the carrier with every part (vendor TLV 0x1400) and echoed in its receipts
   * (`DeliveryReceipt.reference`), so that a receipt proves a submission we failed to record.
   * The dispatcher passes the message id.
   */
  reference?: string | null;
  /** Alphanumeric sender id (3-11 characters), or a number (`+33...` or a short code). */
  from: string;
  /** E.164, `+` and digits. */
  to: string;
  text: string;
  /** Defaults to the text's own encoding (GSM-7 when every character is in GSM 03.38). */
  encoding?: SmsEncoding;
  /** Transactional messages overtake bulk ones on every bind, on a reserved share of its window and rate. */
  priority: MessagePriority;
  /** Ask the carrier for a final delivery receipt (registered_delivery = 1). */
  requestReceipt: boolean;
  /** ISO 3166 alpha-2 of `to` when the caller already knows it; otherwise derived when a route needs it. */
  country?: string | null;
}

export interface SubmitAccepted {
  messageId: string;
  /** One per part, in part order: receipts refer to these. */
  carrierMessageIds: string[];
  /** Name of the connection (CARRIERS entry) that took the message. */
  connection: string;
  encoding: SmsEncoding;
  segments: number;
  /** That connection's receipts carry the message reference (`receiptsCarryReference`). */
  receiptsCarryReference?: boolean;
}

/**
 * Why a submission failed.
 * - INVALID_MESSAGE: cannot be encoded as asked (too long, GSM-7 asked for a non-GSM text, bad
 *   address). Nothing was sent. Permanent.
 * - NO_ROUTE: no configured route matches the destination. Nothing was sent. Permanent.
 * - REJECTED: the carrier refused a part for good (`commandStatus` says why, e.g.
 *   ESME_RINVDSTADR). Permanent. Earlier parts may have been accepted (`acceptedCarrierMessageIds`).
 * - THROTTLED / QUEUE_FULL: the carrier kept answering ESME_RTHROTTLED / ESME_RMSGQFUL for the
 *   same part. Temporary.
 * - CARRIER_ERROR: a transient carrier status (ESME_RSYSERR, ESME_RSUBMITFAIL...). Temporary.
 * - BIND_DOWN: no connection able to take the message came up within `routeWaitMs`. Nothing was
 *   sent. Temporary.
 * - CONNECTION_LOST: the connection dropped while parts of this message were in flight or after
 *   some were accepted: the carrier may or may not have them (`outcomeUnknown`). Parts that had
 *   not left yet were not sent.
 * - STOPPING: the gateway is stopping. Nothing was sent. Temporary.
 */
export type SubmitFailureReason =
  | 'INVALID_MESSAGE'
  | 'NO_ROUTE'
  | 'REJECTED'
  | 'THROTTLED'
  | 'QUEUE_FULL'
  | 'CARRIER_ERROR'
  | 'BIND_DOWN'
  | 'CONNECTION_LOST'
  | 'STOPPING';

const PERMANENT_REASONS: ReadonlySet<SubmitFailureReason> = new Set(['INVALID_MESSAGE', 'NO_ROUTE', 'REJECTED']);

export class CarrierSubmitError extends Error {
  override readonly name = 'CarrierSubmitError';
  /** True when sending the same message again cannot succeed. */
  readonly permanent: boolean;

  constructor(
    readonly messageId: string,
    readonly reason: SubmitFailureReason,
    message: string,
    readonly details: {
      connection?: string | null;
      /** SMPP command_status of the refusing response, when the carrier answered. */
      commandStatus?: number | null;
      /** Parts the carrier acknowledged before the failure (in part order, gaps omitted). */
      acceptedCarrierMessageIds?: string[];
      /** Parts that were in flight when the connection dropped: the carrier may have them. */
      unconfirmedParts?: number;
    } = {},
  ) {
    super(message);
    this.permanent = PERMANENT_REASONS.has(reason);
  }

  get connection(): string | null {
    return this.details.connection ?? null;
  }

  get commandStatus(): number | null {
    return this.details.commandStatus ?? null;
  }

  get acceptedCarrierMessageIds(): string[] {
    return this.details.acceptedCarrierMessageIds ?? [];
  }

  /** Something may have reached the carrier: resending could deliver the message twice. */
  get outcomeUnknown(): boolean {
    return (this.details.unconfirmedParts ?? 0) > 0 || this.acceptedCarrierMessageIds.length > 0;
  }
}

/**
 * Platform-level outcome of a receipt. DELIVERED, NOT_ISSUED and EXPIRED are final (SPEC
 * section 5); the others are intermediate states some carriers report, which never end a
 * message's life (the 48 h expiry does).
 */
export type ReceiptStatus = 'DELIVERED' | 'NOT_ISSUED' | 'EXPIRED' | 'ENROUTE' | 'ACCEPTED' | 'UNKNOWN';

export interface DeliveryReceipt {
  connection: string;
  /** The id returned by submit_sm_resp for the part this receipt is about. */
  carrierMessageId: string;
  status: ReceiptStatus;
  final: boolean;
  /** The carrier's own word (`DELIVRD`, `UNDELIV`, ...), kept for support and reports. */
  carrierStatus: string;
  /** `err:` of the receipt text (carrier-specific network error code), null when absent or zero. */
  errorCode: string | null;
  submittedAt: Date | null;
  /** `done date:` of the receipt (read as UTC), null when absent. */
  doneAt: Date | null;
  receivedAt: Date;
  /** The receipt's source address: the handset number the message went to (E.164 when international). */
  recipient: string;
  /** The platform reference the submission carried (`OutboundSms.reference`), when the carrier echoes it. */
  reference: string | null;
}

/** A deliver_sm flagged as a receipt whose text names no message id: logged by the caller, acknowledged. */
export interface UnreadableReceipt {
  connection: string;
  text: string;
  problem: string;
  receivedAt: Date;
}

export interface InboundSms {
  connection: string;
  /** The handset (E.164 when the carrier gives an international number). */
  from: string;
  /** Our number or short code it was sent to. */
  to: string;
  /** The whole text (a message of several parts: reassembled from them, whatever order they came in). */
  text: string;
  parts: number;
  /** False when some parts never came within INBOUND_PARTS_TIMEOUT_SECONDS: `text` joins those that did. */
  complete: boolean;
  receivedAt: Date;
}

/**
 * One part of an inbound message sent in several (UDH or SAR TLVs). The gateway hands parts over
 * as they come, and acknowledges each once the handler has stored it: reassembly is the handler's,
 * in the database, so that it survives a worker's restart and parts that reach different worker
 * processes meet (domain/conversations/inbound-parts.ts).
 */
export interface InboundPart {
  connection: string;
  from: string;
  to: string;
  /** Chosen by the sender (8 or 16 bits), the same in every part of one message. */
  reference: number;
  /** 1-based. */
  index: number;
  total: number;
  text: string;
  receivedAt: Date;
}

export interface CarrierEventBatch {
  receipts: DeliveryReceipt[];
  /** Messages that came in one part. */
  inbound: InboundSms[];
  inboundParts: InboundPart[];
  unreadableReceipts: UnreadableReceipt[];
}

/**
 * Applies a batch (one transaction is the intent). Resolve when it is durable: only then are
 * the carrier's deliver_sm acknowledged. Reject to have the carrier deliver them again later.
 */
export type CarrierEventHandler = (batch: CarrierEventBatch) => Promise<void> | void;

export type ConnectionState = 'up' | 'down';

export interface ConnectionStatus {
  connection: string;
  state: ConnectionState;
  boundBinds: number;
  binds: number;
  /** Segments queued or in flight on this connection. */
  outstandingSegments: number;
  /** Bound but answering submissions with temporary errors lately: other connections are preferred. */
  failing: boolean;
  /** Its failing time up, tried again with one message at a time until a submission is accepted. */
  probing: boolean;
  lastError: string | null;
}

export interface ConnectionStateChange {
  connection: string;
  state: ConnectionState;
  boundBinds: number;
  reason: string | null;
  at: Date;
}

export interface CarrierGatewayStats {
  submitted: number;
  accepted: number;
  failed: number;
  throttleAnswers: number;
  /** Messages waiting for a connection to come up. */
  waitingForRoute: number;
  receipts: number;
  inbound: number;
  connections: Array<ConnectionStatus & { bindRates: number[] }>;
}

export interface CarrierGateway {
  submit(message: OutboundSms): Promise<SubmitAccepted>;
  /** The one consumer of receipts and inbound messages (the dispatch code); null detaches it. */
  setEventHandler(handler: CarrierEventHandler | null): void;
  /** Returns a function that removes the listener. */
  onConnectionStateChange(listener: (change: ConnectionStateChange) => void): () => void;
  connectionStates(): ConnectionStatus[];
  /**
   * Whether a message to this destination would have to wait for a connection now: it has
   * routes, and every connection they name is down (a message without any route is refused by
   * `submit` instead).
   */
  routesDown(destination: string, country: string | null): boolean;
  /** Resolves true as soon as every bind of every connection is bound, false if that has not happened after `timeoutMs`. */
  waitUntilReady(timeoutMs: number): Promise<boolean>;
  stats(): CarrierGatewayStats;
  /** Stops taking messages, waits for in-flight submissions and pending receipts, unbinds. */
  stop(): Promise<void>;
}
