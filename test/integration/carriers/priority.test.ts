import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentCarrierLogger } from '../../../src/gateways/carriers/logger.js';
import type { SmppCarrierGateway } from '../../../src/gateways/carriers/smpp-carrier.js';
import { startCarrierSimulator, type CarrierSimulator } from '../../../src/simulator/carrier-simulator.js';
import { carrierConnection, pause, sms, startTestGateway } from '../../support/carriers.js';

let simulator: CarrierSimulator;
let gateway: SmppCarrierGateway;

beforeAll(async () => {
  simulator = await startCarrierSimulator({ port: 0, receiptDelayMs: 0, logger: silentCarrierLogger });
  ({ gateway } = startTestGateway([carrierConnection('sim', simulator.port, { windowSize: 5, maxSegmentsPerSecond: 100, transactionalShare: 0.2 })]));
  expect(await gateway.waitUntilReady(5000)).toBe(true);
});

afterAll(async () => {
  await gateway?.stop();
  await simulator?.stop();
});

describe('the transactional lane', () => {
  it('a transactional message overtakes a backlog of bulk messages on the same bind', async () => {
    // 150 bulk segments at 100 segments/s: 1.5 s of backlog.
    const bulk = Array.from({ length: 150 }, (_, i) => gateway.submit(sms(`+3364${String(i).padStart(5, '0')}99`, { text: `Bulk #${i}` })));
    await pause(200);
    const submittedAt = Date.now();
    const code = await gateway.submit(sms('+33640000077', { text: 'Your code: 123456', priority: 'transactional' }));
    const latency = Date.now() - submittedAt;
    await Promise.all(bulk);

    expect(latency).toBeLessThan(300); // against 1.5 s for the bulk backlog
    const order = [...simulator.messages()].sort((a, b) => a.sequence - b.sequence).map((message) => message.text);
    const position = order.indexOf('Your code: 123456');
    expect(position).toBeGreaterThan(0);
    expect(order.length - position - 1).toBeGreaterThan(100); // most of the bulk went after it
    expect(code.carrierMessageIds).toHaveLength(1);
  });

  it('several long transactional messages all go before the bulk queued ahead of them', async () => {
    simulator.reset();
    const bulk = Array.from({ length: 60 }, (_, i) => gateway.submit(sms(`+3365${String(i).padStart(5, '0')}99`, { text: `Bulk #${i}` })));
    await pause(50);
    const urgent = Array.from({ length: 5 }, (_, i) => gateway.submit(sms(`+3366${String(i).padStart(5, '0')}99`, { text: `Alert ${i} `.repeat(30), priority: 'transactional' })));
    await Promise.all([...bulk, ...urgent]);
    const order = [...simulator.messages()].sort((a, b) => a.sequence - b.sequence).map((message) => message.text);
    const lastAlert = Math.max(...order.map((text, i) => (text.startsWith('Alert') ? i : -1)));
    expect(order.slice(lastAlert + 1).length).toBeGreaterThan(40);
  });
});
