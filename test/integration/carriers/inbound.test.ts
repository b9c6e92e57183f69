import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentCarrierLogger } from '../../../src/gateways/carriers/logger.js';
import type { SmppCarrierGateway } from '../../../src/gateways/carriers/smpp-carrier.js';
import { startCarrierSimulator, type CarrierSimulator } from '../../../src/simulator/carrier-simulator.js';
import { carrierConnection, eventually, startTestGateway, type CarrierEventLog } from '../../support/carriers.js';

let simulator: CarrierSimulator;
let gateway: SmppCarrierGateway;
let events: CarrierEventLog;

beforeAll(async () => {
  simulator = await startCarrierSimulator({ port: 0, redeliveryDelayMs: 100, logger: silentCarrierLogger });
  ({ gateway, events } = startTestGateway([carrierConnection('sim', simulator.port, { binds: 2 })], { inboundPartsTimeoutMs: 400 }));
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

describe('inbound messages', () => {
  it.each([
    ['in order', 'in-order' as const, '+33650000001'],
    ['reversed', 'reverse' as const, '+33650000002'],
    ['shuffled', [2, 3, 1], '+33650000003'],
  ])('a 3-part reply arriving %s, over both binds, is handed over once, reassembled', async (_case, partOrder, from) => {
    const { parts } = await simulator.injectInbound(from, '+33700000000', REPLY, { partOrder });
    expect(parts).toBe(3);
    const [message] = await eventually(() => inboundFrom(from).length > 0 && inboundFrom(from), 'the reassembled reply');
    expect(message).toMatchObject({ connection: 'sim', from, to: '+33700000000', text: REPLY, parts: 3, complete: true, receivedAt: expect.any(Date) });
    expect(inboundFrom(from)).toHaveLength(1);
  });

  it('a UCS-2 reply with emoji, parts reversed', async () => {
    const text = `Merci 🙏 ${'😀'.repeat(60)} à jeudi`;
    await simulator.injectInbound('+33650000004', '36111', text, { partOrder: 'reverse' });
    const [message] = await eventually(() => inboundFrom('+33650000004').length > 0 && inboundFrom('+33650000004'), 'the reply');
    expect(message).toMatchObject({ text, to: '36111', parts: 3, complete: true });
  });

  it('a one-part STOP', async () => {
    await simulator.injectInbound('+33650000005', '36111', 'STOP');
    const [message] = await eventually(() => inboundFrom('+33650000005').length > 0 && inboundFrom('+33650000005'), 'the reply');
    expect(message).toMatchObject({ text: 'STOP', parts: 1, complete: true });
  });

  it('a reply whose last part never comes is handed over incomplete after the timeout', async () => {
    await simulator.injectInbound('+33650000006', '+33700000000', REPLY, { partOrder: [3, 1] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(inboundFrom('+33650000006')).toEqual([]);
    const [message] = await eventually(() => inboundFrom('+33650000006').length > 0 && inboundFrom('+33650000006'), 'the incomplete reply', 3000);
    expect(message).toMatchObject({ parts: 3, complete: false });
    expect(REPLY.startsWith(message?.text.slice(0, 100) ?? '-')).toBe(true);
    expect(message?.text.length).toBeLessThan(REPLY.length);
  });

  it('when the handler fails on a reassembled reply, the carrier delivers the last part again and the reply is not lost', async () => {
    events.failNext = 1;
    await simulator.injectInbound('+33650000007', '+33700000000', REPLY, { partOrder: 'reverse' });
    const [message] = await eventually(() => inboundFrom('+33650000007').length > 0 && inboundFrom('+33650000007'), 'the reply after redelivery');
    expect(message).toMatchObject({ text: REPLY, complete: true });
    expect(inboundFrom('+33650000007')).toHaveLength(1);
  });
});
