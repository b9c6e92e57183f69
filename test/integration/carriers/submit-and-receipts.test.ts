import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CarrierSubmitError, type SubmitAccepted } from '../../../src/gateways/carriers/carrier.js';
import { silentCarrierLogger } from '../../../src/gateways/carriers/logger.js';
import type { SmppCarrierGateway } from '../../../src/gateways/carriers/smpp-carrier.js';
import { startCarrierSimulator, type CarrierSimulator } from '../../../src/simulator/carrier-simulator.js';
import { carrierConnection, eventually, sms, startTestGateway, type CarrierEventLog } from '../../support/carriers.js';

let simulator: CarrierSimulator;
let gateway: SmppCarrierGateway;
let events: CarrierEventLog;

beforeAll(async () => {
  simulator = await startCarrierSimulator({ port: 0, receiptDelayMs: 20, redeliveryDelayMs: 100, logger: silentCarrierLogger });
  ({ gateway, events } = startTestGateway([carrierConnection('sim', simulator.port, { binds: 2 })]));
  expect(await gateway.waitUntilReady(5000)).toBe(true);
});

afterAll(async () => {
  await gateway?.stop();
  await simulator?.stop();
});

function receivedBy(number: string) {
  return simulator.messages().filter((message) => message.to === number);
}

describe('concatenated messages over SMPP', () => {
  it('a long GSM message with extension characters arrives as UDH parts that reassemble to the text', async () => {
    const text = 'Soldes {jusqu’à} -50% sur [tout] ~ 10€ offerts | code ^PROMO^ \\o/ '.replace('’', "'").repeat(6);
    const accepted = await gateway.submit(sms('+33611110001', { text }));
    expect(accepted).toMatchObject({ encoding: 'GSM7', segments: 3, connection: 'sim' });
    expect(accepted.carrierMessageIds).toHaveLength(3);
    const [received] = await eventually(() => receivedBy('+33611110001').length === 1 && receivedBy('+33611110001'), 'the simulator to reassemble it');
    expect(received).toMatchObject({ text, parts: 3, dataCoding: 0, from: 'ACME', carrierMessageIds: accepted.carrierMessageIds });
  });

  it('a UCS-2 message with emoji arrives as UDH parts (data_coding 8) that reassemble to the text', async () => {
    const text = `Merci pour votre commande 🎉🎉 ${'😀'.repeat(50)} Приятного дня!`;
    const accepted = await gateway.submit(sms('+33611120001', { text, from: '+33700000000' }));
    expect(accepted).toMatchObject({ encoding: 'UCS2', segments: 3 });
    const [received] = await eventually(() => receivedBy('+33611120001').length === 1 && receivedBy('+33611120001'), 'the simulator to reassemble it');
    expect(received).toMatchObject({ text, parts: 3, dataCoding: 8, from: '+33700000000' });
  });

  it('a short message is one SMS without UDH', async () => {
    const accepted = await gateway.submit(sms('+33611130001', { text: 'Votre code : 482913' }));
    expect(accepted.carrierMessageIds).toHaveLength(1);
    const [received] = await eventually(() => receivedBy('+33611130001').length === 1 && receivedBy('+33611130001'), 'the message at the simulator');
    expect(received).toMatchObject({ text: 'Votre code : 482913', parts: 1 });
  });

  it('refuses, before sending anything, what cannot be encoded or addressed', async () => {
    const tooLong = gateway.submit(sms('+33611140001', { text: 'x'.repeat(1531) }));
    await expect(tooLong).rejects.toMatchObject({ reason: 'INVALID_MESSAGE', permanent: true, message: expect.stringMatching(/11 parts/) });
    await expect(gateway.submit(sms('0611140001'))).rejects.toMatchObject({ reason: 'INVALID_MESSAGE', message: expect.stringMatching(/E.164/) });
    expect(simulator.submissionsTo('+33611140001')).toBe(0);
  });
});

describe('simulator number patterns give their outcome', () => {
  async function finalReceipt(accepted: SubmitAccepted) {
    const id = accepted.carrierMessageIds[0] ?? '';
    return eventually(() => events.receiptsFor(id)[0], `a receipt for ${id}`);
  }

  it.each([
    ['+33612340001', 'DELIVERED', 'DELIVRD', null],
    ['+33612340002', 'NOT_ISSUED', 'UNDELIV', '001'],
    ['+33612340003', 'EXPIRED', 'EXPIRED', '001'],
  ])('%s ends %s', async (number, status, carrierStatus, errorCode) => {
    const accepted = await gateway.submit(sms(number));
    expect(await finalReceipt(accepted)).toMatchObject({ status, final: true, carrierStatus, errorCode, recipient: number, connection: 'sim', doneAt: expect.any(Date) });
  });

  it('0004 gets no receipt at all', async () => {
    const silent = await gateway.submit(sms('+33612350004'));
    const witness = await gateway.submit(sms('+33612350001'));
    // Receipts go out in submission order: once the later message's receipt is in, none is coming for 0004.
    await finalReceipt(witness);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.receiptsFor(silent.carrierMessageIds[0] ?? '')).toEqual([]);
  });

  it('0005 is refused for good, with the carrier status', async () => {
    const error = await gateway.submit(sms('+33612360005')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CarrierSubmitError);
    expect(error).toMatchObject({ reason: 'REJECTED', permanent: true, commandStatus: 0x0b, outcomeUnknown: false, message: expect.stringMatching(/ESME_RINVDSTADR/) });
    expect(simulator.submissionsTo('+33612360005')).toBe(0);
  });

  it.each([
    ['+33612370006', 'ESME_RTHROTTLED'],
    ['+33612370007', 'ESME_RMSGQFUL'],
  ])('%s is refused once (%s), then sent again by the gateway and delivered, once', async (number) => {
    const before = gateway.stats().throttleAnswers;
    const accepted = await gateway.submit(sms(number));
    expect(gateway.stats().throttleAnswers).toBe(before + 1);
    expect(simulator.submissionsTo(number)).toBe(1);
    expect(await finalReceipt(accepted)).toMatchObject({ status: 'DELIVERED' });
  });

  it('0008 gets the same final receipt twice (the duplicate is passed on, for the dispatch code to ignore)', async () => {
    const accepted = await gateway.submit(sms('+33612380008'));
    const id = accepted.carrierMessageIds[0] ?? '';
    const receipts = await eventually(() => events.receiptsFor(id).length === 2 && events.receiptsFor(id), 'two receipts');
    expect(receipts.map((receipt) => receipt.status)).toEqual(['DELIVERED', 'DELIVERED']);
  });

  it('0009 gets the final receipt, then a late intermediate one', async () => {
    const accepted = await gateway.submit(sms('+33612390009'));
    const id = accepted.carrierMessageIds[0] ?? '';
    const receipts = await eventually(() => events.receiptsFor(id).length === 2 && events.receiptsFor(id), 'two receipts');
    expect(receipts.map((receipt) => [receipt.status, receipt.final])).toEqual([
      ['DELIVERED', true],
      ['ENROUTE', false],
    ]);
  });

  it('a long message gets one receipt per part, each naming its part id', async () => {
    const accepted = await gateway.submit(sms('+33612400001', { text: 'z'.repeat(400) }));
    const receipts = await eventually(
      () => accepted.carrierMessageIds.every((id) => events.receiptsFor(id).length === 1) && accepted.carrierMessageIds.map((id) => events.receiptsFor(id)[0]),
      'a receipt per part',
    );
    expect(receipts.map((receipt) => receipt?.status)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
  });
});

describe('what comes back from the carrier', () => {
  it('a receipt for an id nobody submitted is handed over like any other, not thrown', async () => {
    await simulator.injectReceipt({ carrierMessageId: 'not-ours-123', stat: 'DELIVRD', recipient: '+33699999999' });
    expect(events.receiptsFor('not-ours-123')).toEqual([expect.objectContaining({ status: 'DELIVERED', recipient: '+33699999999' })]);
    expect(gateway.connectionStates()).toEqual([expect.objectContaining({ state: 'up', boundBinds: 2 })]);
    await expect(gateway.submit(sms('+33612410001'))).resolves.toMatchObject({ connection: 'sim' });
  });

  it('receipts arrive in batches (arrays), several per handler call', async () => {
    const batchesBefore = events.batches;
    const accepted = await Promise.all(Array.from({ length: 50 }, (_, i) => gateway.submit(sms(`+336124${String(i).padStart(3, '0')}11`))));
    await eventually(() => accepted.every((a) => events.receiptsFor(a.carrierMessageIds[0] ?? '').length === 1), '50 receipts');
    expect(accepted.flatMap((a) => events.receiptsFor(a.carrierMessageIds[0] ?? ''))).toHaveLength(50);
    expect(events.batches - batchesBefore).toBeLessThan(25);
  });

  it('when the handler fails, the carrier is asked to deliver again and nothing is lost', async () => {
    events.failNext = 1;
    const accepted = await gateway.submit(sms('+33612420001'));
    const receipt = await eventually(() => events.receiptsFor(accepted.carrierMessageIds[0] ?? '')[0], 'the receipt, delivered again');
    expect(receipt.status).toBe('DELIVERED');
    expect(events.failNext).toBe(0);
    expect(simulator.stats().deliveriesRefused).toBeGreaterThanOrEqual(1);
  });
});
