/**
 * One `submit` call on its way through the gateway: its encoded parts, what the carrier has
 * answered for each, and the promise to settle. A message settles once: resolved when every
 * part is accepted, rejected with the first failure once none of its parts is still in flight
 * (so the error lists every part the carrier did accept).
 */
import { CarrierSubmitError, type MessagePriority, type OutboundSms, type SubmitAccepted, type SubmitFailureReason } from './carrier.js';
import type { EncodedMessage, SmppAddress } from './pdu-encoding.js';

export interface QueuedPart {
  message: PendingMessage;
  /** 0-based part index. */
  index: number;
  /** Position in its bind's queue: a part refused by throttling goes back ahead of every later one. */
  order: number;
  /** Throttling answers in a row for this part. */
  refusals: number;
}

interface Failure {
  reason: SubmitFailureReason;
  text: string;
  commandStatus: number | null;
}

export class PendingMessage {
  readonly carrierMessageIds: Array<string | undefined>;
  connection: string | null = null;
  accepted = 0;
  inFlight = 0;
  /** Parts that left at least once (answered or not). */
  sent = 0;
  /** Parts in flight when their connection dropped. */
  unconfirmed = 0;
  settled = false;
  private failure: Failure | null = null;

  constructor(
    readonly sms: OutboundSms,
    readonly encoded: EncodedMessage,
    readonly source: SmppAddress,
    readonly destination: SmppAddress,
    /** Candidate connections by priority (see `routeTiers`). */
    readonly tiers: string[][],
    private readonly onSettled: (message: PendingMessage, outcome: SubmitAccepted | CarrierSubmitError) => void,
  ) {
    this.carrierMessageIds = new Array<string | undefined>(encoded.parts.length);
  }

  get lane(): MessagePriority {
    return this.sms.priority;
  }

  get segments(): number {
    return this.encoded.parts.length;
  }

  /** No more parts of it should leave: it failed, or is settled. */
  get abandoned(): boolean {
    return this.failure !== null || this.settled;
  }

  partSent(firstTime: boolean): void {
    this.inFlight++;
    if (firstTime) this.sent++;
  }

  partAccepted(index: number, carrierMessageId: string): void {
    this.inFlight--;
    if (this.carrierMessageIds[index] === undefined) this.accepted++;
    this.carrierMessageIds[index] = carrierMessageId;
    this.settleIfDone();
  }

  /** Throttled: the part goes back to the queue. */
  partRefused(): void {
    this.inFlight--;
  }

  partLost(): void {
    this.inFlight--;
    this.unconfirmed++;
  }

  partRejected(reason: SubmitFailureReason, text: string, commandStatus: number | null): void {
    this.inFlight--;
    this.fail(reason, text, commandStatus);
  }

  fail(reason: SubmitFailureReason, text: string, commandStatus: number | null = null): void {
    this.failure ??= { reason, text, commandStatus };
    this.settleIfDone();
  }

  private settleIfDone(): void {
    if (this.settled) return;
    if (this.failure) {
      if (this.inFlight > 0) return;
      this.settled = true;
      const { reason, text, commandStatus } = this.failure;
      this.onSettled(
        this,
        new CarrierSubmitError(this.sms.id, reason, text, {
          connection: this.connection,
          commandStatus,
          acceptedCarrierMessageIds: this.carrierMessageIds.filter((id): id is string => id !== undefined),
          unconfirmedParts: this.unconfirmed,
        }),
      );
      return;
    }
    if (this.accepted < this.carrierMessageIds.length) return;
    this.settled = true;
    this.onSettled(this, {
      messageId: this.sms.id,
      carrierMessageIds: this.carrierMessageIds as string[],
      connection: this.connection ?? '',
      encoding: this.encoded.encoding,
      segments: this.segments,
    });
  }
}
