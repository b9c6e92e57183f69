/**
 * One configured carrier (a CARRIERS entry): its binds, and whether it is usable. A connection
 * is up while at least one of its binds is bound; messages go to its least busy bound bind. It is
 * failing after `failingAfterErrors` temporary errors in a row, for `failingForSeconds` after the
 * latest (an accepted submission ends it): the router then prefers healthy connections. Its time
 * up, it is tried again with one message at a time (a probe) until a submission is accepted:
 * what comes meanwhile goes to healthy connections, so a carrier still broken costs one attempt
 * of one message per spell, not one of every message routed to it before its next errors.
 */
import type smpp from 'smpp';
import type { ConnectionState, ConnectionStatus } from './carrier.js';
import type { CarrierConnectionSettings } from './carrier-settings.js';
import type { CarrierLogger } from './logger.js';
import type { PendingMessage } from './pending-message.js';
import { chooseBind, type ConnectionLoad } from './router.js';
import { SmppBind } from './smpp-bind.js';

export interface ConnectionEvents {
  stateChanged(connection: SmppConnection, reason: string | null): void;
  deliverSm(connection: SmppConnection, pdu: smpp.PDU, acknowledge: (commandStatus: number) => void): void;
  orphaned(messages: PendingMessage[]): void;
  throttleAnswer(connection: SmppConnection): void;
}

export class SmppConnection {
  readonly binds: SmppBind[];
  state: ConnectionState = 'down';
  /** Temporary errors since the last accepted submission, and when the latest came. */
  private errorsInARow = 0;
  private lastErrorAt = 0;

  constructor(
    readonly settings: CarrierConnectionSettings,
    private readonly events: ConnectionEvents,
    log: CarrierLogger,
  ) {
    this.binds = Array.from(
      { length: settings.binds },
      (_, i) =>
        new SmppBind(
          settings.name,
          i + 1,
          settings,
          {
            stateChanged: (_bind, reason) => this.refreshState(reason),
            deliverSm: (_bind, pdu, acknowledge) => events.deliverSm(this, pdu, acknowledge),
            orphaned: (messages) => events.orphaned(messages),
            throttleAnswer: () => events.throttleAnswer(this),
            submitAnswered: (_bind, accepted) => this.submitAnswered(accepted, log),
          },
          log,
        ),
    );
  }

  get name(): string {
    return this.settings.name;
  }

  get boundBinds(): number {
    return this.binds.filter((bind) => bind.bound).length;
  }

  get outstandingSegments(): number {
    return this.binds.reduce((sum, bind) => sum + bind.outstandingSegments, 0);
  }

  start(): void {
    for (const bind of this.binds) bind.start();
  }

  /** Seconds of work already waiting here, for the router to balance on. */
  load(): ConnectionLoad {
    const bound = this.boundBinds;
    if (bound === 0) return { up: false, failing: false, load: Number.POSITIVE_INFINITY };
    const outstanding = this.outstandingSegments;
    // Probing: others are preferred while its probe is out.
    const failing = this.failing || (this.recovering && outstanding > 0);
    return { up: true, failing, load: outstanding / (bound * this.settings.maxSegmentsPerSecond) };
  }

  /** Failing until lately, and no submission accepted since: tried again one message at a time. */
  private get recovering(): boolean {
    return this.errorsInARow >= this.settings.failingAfterErrors;
  }

  get failing(): boolean {
    return this.errorsInARow >= this.settings.failingAfterErrors && Date.now() - this.lastErrorAt < this.settings.failingForSeconds * 1000;
  }

  private submitAnswered(accepted: boolean, log: CarrierLogger): void {
    if (accepted) {
      if (this.errorsInARow >= this.settings.failingAfterErrors) log.info(`${this.name}: accepting submissions again`);
      this.errorsInARow = 0;
      return;
    }
    const wasFailing = this.failing;
    this.errorsInARow++;
    this.lastErrorAt = Date.now();
    // Becoming failing: the first time, or again after its time was up and it was tried again.
    if (!wasFailing && this.failing) {
      log.warn(`${this.name}: ${this.errorsInARow} temporary errors in a row; other connections are preferred for ${this.settings.failingForSeconds} s`);
      // What waits here and has not started goes to a healthy connection if there is one (the
      // router sends it back here otherwise).
      for (const bind of this.binds) bind.handBackQueued();
    }
  }

  /** Queues the message on the least busy bound bind; false when none is bound. */
  enqueue(message: PendingMessage): boolean {
    const index = chooseBind(this.binds.map((bind) => ({ bound: bind.bound, outstandingSegments: bind.outstandingSegments })));
    const bind = this.binds[index];
    if (!bind) return false;
    message.connection = this.name;
    bind.enqueue(message);
    return true;
  }

  status(): ConnectionStatus {
    return {
      connection: this.name,
      state: this.state,
      boundBinds: this.boundBinds,
      binds: this.binds.length,
      outstandingSegments: this.outstandingSegments,
      failing: this.failing,
      probing: this.recovering && !this.failing,
      lastError: this.binds.map((bind) => bind.lastError).find((error) => error !== null) ?? null,
    };
  }

  async drain(timeoutMs: number): Promise<void> {
    await Promise.all(this.binds.map((bind) => bind.drain(timeoutMs)));
    this.refreshState('stopping');
  }

  async close(): Promise<void> {
    await Promise.all(this.binds.map((bind) => bind.close()));
    this.refreshState('stopped');
  }

  private refreshState(reason: string | null): void {
    const state: ConnectionState = this.boundBinds > 0 ? 'up' : 'down';
    if (state === this.state) return;
    this.state = state;
    this.events.stateChanged(this, reason);
  }
}
