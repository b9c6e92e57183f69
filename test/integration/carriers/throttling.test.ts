import { afterEach, describe, expect, it } from 'vitest';
import { silentCarrierLogger } from '../../../src/gateways/carriers/logger.js';
import type { SmppCarrierGateway } from '../../../src/gateways/carriers/smpp-carrier.js';
import { startCarrierSimulator, type CarrierSimulator } from '../../../src/simulator/carrier-simulator.js';
import { carrierConnection, sms, startTestGateway } from '../../support/carriers.js';

let simulator: CarrierSimulator | null = null;
let gateway: SmppCarrierGateway | null = null;

afterEach(async () => {
  await gateway?.stop();
  await simulator?.stop();
  gateway = simulator = null;
});

/** Distinct numbers clear of the simulator's test patterns (they end in 99). */
const numberOf = (i: number) => `+3362${String(i).padStart(5, '0')}99`;
const indexIn = (text: string) => Number(/#(\d+)/.exec(text)?.[1]);

/** For each bind (simulator session), the message indexes in the order the simulator accepted them. */
function acceptedOrderPerBind(carrier: CarrierSimulator): number[][] {
  const perSession = new Map<number, number[]>();
  for (const message of [...carrier.messages()].sort((a, b) => a.sequence - b.sequence)) {
    const list = perSession.get(message.sessionId) ?? [];
    list.push(indexIn(message.text));
    perSession.set(message.sessionId, list);
  }
  return [...perSession.values()];
}

async function submitThrottled(windowSize: number, count: number) {
  simulator = await startCarrierSimulator({ port: 0, maxSubmitsPerSecond: 250, receiptDelayMs: 0, keepMessages: count, logger: silentCarrierLogger });
  const started = startTestGateway([carrierConnection('sim', simulator.port, { binds: 2, windowSize, maxSegmentsPerSecond: 2000, maxThrottleRetries: 10_000, throttleRecoveryMs: 500 })]);
  gateway = started.gateway;
  expect(await gateway.waitUntilReady(5000)).toBe(true);
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => started.gateway.submit(sms(numberOf(i), { text: `Offer #${i}` }))));
  return { results, carrier: simulator, stats: started.gateway.stats() };
}

describe('throttling answers slow the bind down without reordering or losing messages', () => {
  it('500 messages through a simulator capped at 250/s, window 1: all arrive once, in order on each bind', async () => {
    const { results, carrier, stats } = await submitThrottled(1, 500);
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(carrier.stats().throttled).toBeGreaterThan(0);
    expect(stats.throttleAnswers).toBe(carrier.stats().throttled);
    for (let i = 0; i < 500; i++) expect(carrier.submissionsTo(numberOf(i)), numberOf(i)).toBe(1);
    expect(carrier.stats()).toMatchObject({ acceptedMessages: 500, destinationsWithSeveralMessages: 0 });
    const perBind = acceptedOrderPerBind(carrier);
    expect(perBind).toHaveLength(2);
    for (const order of perBind) expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('with a window of 10, a refused message is overtaken only by messages already in flight with it', async () => {
    const windowSize = 10;
    const { results, carrier } = await submitThrottled(windowSize, 500);
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(carrier.stats().throttled).toBeGreaterThan(0);
    expect(carrier.stats()).toMatchObject({ acceptedMessages: 500, destinationsWithSeveralMessages: 0 });
    for (const order of acceptedOrderPerBind(carrier)) {
      order.forEach((index, position) => {
        const laterAcceptedEarlier = order.slice(0, position).filter((earlier) => earlier > index).length;
        expect(laterAcceptedEarlier, `message #${index}`).toBeLessThan(windowSize);
      });
    }
  });

  it('a carrier whose window is narrower than ours answers ESME_RMSGQFUL; every message still arrives once', async () => {
    simulator = await startCarrierSimulator({ port: 0, windowSize: 5, submitResponseDelayMs: 20, receiptDelayMs: 0, logger: silentCarrierLogger });
    const started = startTestGateway([carrierConnection('sim', simulator.port, { windowSize: 20, maxThrottleRetries: 10_000 })]);
    gateway = started.gateway;
    expect(await gateway.waitUntilReady(5000)).toBe(true);
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => started.gateway.submit(sms(numberOf(1000 + i)))));
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(simulator.stats().refused).toMatchObject({ 'ESME_RMSGQFUL (0x00000014)': expect.any(Number) });
    expect(started.gateway.stats().throttleAnswers).toBeGreaterThan(0);
    expect(simulator.stats()).toMatchObject({ acceptedMessages: 100, destinationsWithSeveralMessages: 0 });
  });

  it('a part refused more often than maxThrottleRetries fails as THROTTLED, temporary, nothing sent', async () => {
    simulator = await startCarrierSimulator({ port: 0, logger: silentCarrierLogger });
    const started = startTestGateway([carrierConnection('sim', simulator.port, { maxThrottleRetries: 0 })]);
    gateway = started.gateway;
    await gateway.waitUntilReady(5000);
    await expect(gateway.submit(sms('+33613370006'))).rejects.toMatchObject({ reason: 'THROTTLED', permanent: false, outcomeUnknown: false, commandStatus: 0x58 });
    expect(simulator.submissionsTo('+33613370006')).toBe(0);
  });
});
