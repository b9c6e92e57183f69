import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentCarrierLogger } from '../../../src/gateways/carriers/logger.js';
import type { SmppCarrierGateway } from '../../../src/gateways/carriers/smpp-carrier.js';
import { startCarrierSimulator, type CarrierSimulator } from '../../../src/simulator/carrier-simulator.js';
import { carrierConnection, startTestGateway, type CarrierEventLog } from '../../support/carriers.js';

let simulator: CarrierSimulator;
let gateway: SmppCarrierGateway;
let events: CarrierEventLog;

beforeAll(async () => {
  simulator = await startCarrierSimulator({ port: 0, redeliveryDelayMs: 100, logger: silentCarrierLogger });
  ({ gateway, events } = startTestGateway([carrierConnection('sim', simulator.port, { binds: 2 })]));
  expect(await gateway.waitUntilReady(5000)).toBe(true);
});

afterAll(async () => {
  await gateway?.stop();
  await simulator?.stop();
});

const REPLY = 'Bonjour, je ne suis pas disponible jeudi. Pourriez-vous me proposer un autre créneau la semaine prochaine, de préférence le matin ? Merci beaucoup et bonne journée à toute l’équipe. '.replace('’', "'").repeat(2);

function inboundFrom(from: string) {
  return events.inbound.filter((message) => message.from === from);
}

function partsFrom(from: string) {
  return events.inboundParts.filter((part) => part.from === from);
}

/** The parts as the handler got them, joined in index order (reassembly itself is the handler's: see inbound-reassembly.test.ts). */
function joined(from: string): string {
  return [...partsFrom(from)].sort((a, b) => a.index - b.index).map((part) => part.text).join('');
}

describe('inbound messages', () => {
  it.each([
    ['in order', 'in-order' as const, '+33650000001'],
    ['reversed', 'reverse' as const, '+33650000002'],
    ['shuffled', [2, 3, 1], '+33650000003'],
  ])('a 3-part reply arriving %s, over both binds: each part is handed over with its place in the set, once, acknowledged after the handler', async (_case, partOrder, from) => {
    // injectInbound resolves once the carrier has every part acknowledged: by then the handler had them all.
    const { parts } = await simulator.injectInbound(from, '+33700000000', REPLY, { partOrder });
    expect(parts).toBe(3);
    const handed = partsFrom(from);
    // Over two binds, the parts may reach the handler in another order than they were sent in.
    expect(handed.map((part) => part.index).sort()).toEqual([1, 2, 3]);
    expect(new Set(handed.map((part) => part.reference)).size).toBe(1);
    for (const part of handed) expect(part).toMatchObject({ connection: 'sim', from, to: '+33700000000', total: 3, receivedAt: expect.any(Date) });
    expect(joined(from)).toBe(REPLY);
    expect(inboundFrom(from)).toEqual([]);
  });

  it('a UCS-2 reply with emoji, parts reversed', async () => {
    const text = `Merci 🙏 ${'😀'.repeat(60)} à jeudi`;
    await simulator.injectInbound('+33650000004', '36111', text, { partOrder: 'reverse' });
    expect(partsFrom('+33650000004').map((part) => [part.index, part.total, part.to]).sort()).toEqual([
      [1, 3, '36111'],
      [2, 3, '36111'],
      [3, 3, '36111'],
    ]);
    expect(joined('+33650000004')).toBe(text);
  });

  it('a one-part STOP is handed over whole', async () => {
    await simulator.injectInbound('+33650000005', '36111', 'STOP');
    expect(inboundFrom('+33650000005')).toMatchObject([{ text: 'STOP', parts: 1, complete: true }]);
    expect(partsFrom('+33650000005')).toEqual([]);
  });

  it('a part the handler failed on is delivered again by the carrier, and handed over again', async () => {
    events.failNext = 1;
    const before = events.batches;
    await simulator.injectInbound('+33650000007', '+33700000000', REPLY, { partOrder: [2] });
    // The first batch failed (ESME_RX_T_APPN), the simulator delivered the part again.
    expect(partsFrom('+33650000007').map((part) => part.index)).toEqual([2]);
    expect(events.batches).toBeGreaterThan(before);
  });
});
