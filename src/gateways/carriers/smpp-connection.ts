/**
 * One configured carrier (a CARRIERS entry): its binds, and whether it is usable. A connection
 * is up while at least one of its binds is bound; messages go to its least busy bound bind.
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
    if (bound === 0) return { up: false, load: Number.POSITIVE_INFINITY };
    return { up: true, load: this.outstandingSegments / (bound * this.settings.maxSegmentsPerSecond) };
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
