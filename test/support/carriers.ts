import { expect } from 'vitest';
import type { CarrierEventBatch, DeliveryReceipt, InboundPart, InboundSms, OutboundSms, UnreadableReceipt } from '../../src/gateways/carriers/carrier.js';
import { carrierConnectionSchema, type CarrierConnectionSettings } from '../../src/gateways/carriers/carrier-settings.js';
import { silentCarrierLogger } from '../../src/gateways/carriers/logger.js';
import { SmppCarrierGateway, type SmppCarrierGatewayOptions } from '../../src/gateways/carriers/smpp-carrier.js';

/** A CARRIERS entry pointing at a simulator, with timings short enough for tests. */
export function carrierConnection(name: string, port: number, overrides: Partial<CarrierConnectionSettings> = {}): CarrierConnectionSettings {
  return carrierConnectionSchema.parse({
    name,
    host: '127.0.0.1',
    port,
    systemId: 'test',
    password: 'test',
    binds: 1,
    windowSize: 20,
    maxSegmentsPerSecond: 2000,
    responseTimeoutSeconds: 2,
    reconnectInitialDelayMs: 50,
    reconnectMaxDelayMs: 400,
    throttlePauseMs: 20,
    ...overrides,
  });
}

/** Receipts and inbound messages as the gateway hands them over, with the batches seen. */
export class CarrierEventLog {
  readonly receipts: DeliveryReceipt[] = [];
  readonly inbound: InboundSms[] = [];
  readonly inboundParts: InboundPart[] = [];
  readonly unreadable: UnreadableReceipt[] = [];
  batches = 0;
  /** Set to make the next batches fail (the gateway must have them delivered again). */
  failNext = 0;

  readonly handler = (batch: CarrierEventBatch): void => {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('database unavailable (test)');
    }
    this.batches++;
    this.receipts.push(...batch.receipts);
    this.inbound.push(...batch.inbound);
    this.inboundParts.push(...batch.inboundParts);
    this.unreadable.push(...batch.unreadableReceipts);
  };

  receiptsFor(carrierMessageId: string): DeliveryReceipt[] {
    return this.receipts.filter((receipt) => receipt.carrierMessageId === carrierMessageId);
  }
}

export function startTestGateway(connections: CarrierConnectionSettings[], options: SmppCarrierGatewayOptions = {}): { gateway: SmppCarrierGateway; events: CarrierEventLog } {
  const gateway = new SmppCarrierGateway(connections, { logger: silentCarrierLogger, eventFlushMs: 5, ...options }).start();
  const events = new CarrierEventLog();
  gateway.setEventHandler(events.handler);
  return { gateway, events };
}

let nextId = 1;

export function sms(to: string, overrides: Partial<OutboundSms> = {}): OutboundSms {
  return { id: `msg-${nextId++}`, from: 'ACME', to, text: 'Hello from the tests', priority: 'bulk', requestReceipt: true, ...overrides };
}

/** Polls until `check` returns something other than undefined/false, or fails with `what`. */
export async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) expect.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
