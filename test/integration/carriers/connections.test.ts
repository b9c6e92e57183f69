import smpp from 'smpp';
import { afterEach, describe, expect, it } from 'vitest';
import type { CarrierSubmitError, ConnectionStateChange } from '../../../src/gateways/carriers/carrier.js';
import { silentCarrierLogger } from '../../../src/gateways/carriers/logger.js';
import { encodeGsm7 } from '../../../src/gateways/carriers/pdu-encoding.js';
import { startCarrierSimulator, type CarrierSimulator } from '../../../src/simulator/carrier-simulator.js';
import { freePort } from '../../../src/simulator/child-process.js';
import { carrierConnection, eventually, pause, sms, startTestGateway } from '../../support/carriers.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulatorOn(port = 0, options: Parameters<typeof startCarrierSimulator>[0] = {}): Promise<CarrierSimulator> {
  const simulator = await startCarrierSimulator({ port, receiptDelayMs: 10, logger: silentCarrierLogger, ...options });
  cleanups.push(() => simulator.stop());
  return simulator;
}

function gatewayFor(...args: Parameters<typeof startTestGateway>): ReturnType<typeof startTestGateway> & { changes: ConnectionStateChange[] } {
  const started = startTestGateway(...args);
  const changes: ConnectionStateChange[] = [];
  started.gateway.onConnectionStateChange((change) => changes.push(change));
  cleanups.push(() => started.gateway.stop());
  return { ...started, changes };
}

const numberOf = (i: number) => `+3363${String(i).padStart(5, '0')}99`;

describe('a dropped connection', () => {
  it('reconnects and resumes: queued messages go out after the reconnection, only in-flight ones are uncertain', async () => {
    const simulator = await simulatorOn();
    const { gateway, changes } = gatewayFor([carrierConnection('sim', simulator.port, { binds: 2, windowSize: 5, maxSegmentsPerSecond: 200 })]);
    expect(await gateway.waitUntilReady(5000)).toBe(true);
    const submissions = Array.from({ length: 200 }, (_, i) => gateway.submit(sms(numberOf(i))));
    await pause(300); // about 60 sent, the rest queued
    const beforeDrop = simulator.stats().acceptedMessages;
    simulator.dropConnections();
    const results = await Promise.allSettled(submissions);

    const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as CarrierSubmitError] : []));
    for (const error of lost) expect(error).toMatchObject({ reason: 'CONNECTION_LOST', outcomeUnknown: true, permanent: false });
    expect(lost.length).toBeLessThanOrEqual(2 * 5); // at most a window per bind was in flight
    expect(beforeDrop).toBeLessThan(150);
    expect(simulator.stats().acceptedMessages).toBeGreaterThanOrEqual(190); // the queue went out after reconnecting
    results.forEach((result, i) => {
      // Each accepted message reached the carrier exactly once; the uncertain ones at most once.
      if (result.status === 'fulfilled') expect(simulator.submissionsTo(numberOf(i))).toBe(1);
      else expect(simulator.submissionsTo(numberOf(i))).toBeLessThanOrEqual(1);
    });
    expect(changes.map((change) => change.state)).toEqual(['up', 'down', 'up']);
    expect(changes[1]?.reason).toMatch(/closed|ECONNRESET|EPIPE/);
    await expect(gateway.submit(sms('+33630000001'))).resolves.toMatchObject({ connection: 'sim' });
  });

  it('messages wait for a connection that is coming up, and fail as BIND_DOWN (nothing sent) if it does not in time', async () => {
    const port = await freePort();
    const { gateway } = gatewayFor([carrierConnection('late', port, { reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 50 })], { routeWaitMs: 300 });
    await expect(gateway.submit(sms('+33631000001'))).rejects.toMatchObject({ reason: 'BIND_DOWN', permanent: false, outcomeUnknown: false });

    const waiting = gateway.submit(sms('+33631000011'));
    await pause(100);
    const simulator = await simulatorOn(port);
    await expect(waiting).resolves.toMatchObject({ connection: 'late' });
    expect(simulator.submissionsTo('+33631000011')).toBe(1);
  });
});

describe('failover between routes', () => {
  it('goes to the backup route when the primary carrier stops, and back when it returns', async () => {
    const primary = await simulatorOn();
    const backup = await simulatorOn();
    const { gateway } = gatewayFor(
      [
        carrierConnection('primary', primary.port, { routes: [{ prefix: '+33', priority: 1 }] }),
        carrierConnection('backup', backup.port, { routes: [{ prefix: '+', priority: 2 }] }),
      ],
      { routeWaitMs: 2000 },
    );
    expect(await gateway.waitUntilReady(5000)).toBe(true);

    const first = await Promise.all(Array.from({ length: 10 }, (_, i) => gateway.submit(sms(numberOf(i)))));
    expect(new Set(first.map((accepted) => accepted.connection))).toEqual(new Set(['primary']));

    const primaryPort = primary.port;
    await primary.stop();
    await eventually(() => gateway.connectionStates().find((state) => state.connection === 'primary')?.state === 'down', 'the primary to be down');
    const during = await Promise.all(Array.from({ length: 10 }, (_, i) => gateway.submit(sms(numberOf(100 + i)))));
    expect(new Set(during.map((accepted) => accepted.connection))).toEqual(new Set(['backup']));
    expect(backup.stats().acceptedMessages).toBe(10);

    const restarted = await simulatorOn(primaryPort);
    await eventually(() => gateway.connectionStates().find((state) => state.connection === 'primary')?.state === 'up', 'the primary to be back', 10_000);
    await expect(gateway.submit(sms(numberOf(200)))).resolves.toMatchObject({ connection: 'primary' });
    expect(restarted.submissionsTo(numberOf(200))).toBe(1);
  });

  it('a number no route covers fails as NO_ROUTE', async () => {
    const simulator = await simulatorOn();
    const { gateway } = gatewayFor([carrierConnection('france', simulator.port, { routes: [{ country: 'FR', priority: 1 }] })]);
    await gateway.waitUntilReady(5000);
    await expect(gateway.submit(sms('+33612345678'))).resolves.toMatchObject({ connection: 'france' });
    await expect(gateway.submit(sms('+447700900123'))).rejects.toMatchObject({ reason: 'NO_ROUTE', permanent: true });
  });
});

describe('load balancing', () => {
  it('spreads messages over the binds of a connection', async () => {
    const simulator = await simulatorOn();
    const { gateway } = gatewayFor([carrierConnection('sim', simulator.port, { binds: 3, windowSize: 2, maxSegmentsPerSecond: 500 })]);
    expect(await gateway.waitUntilReady(5000)).toBe(true);
    await Promise.all(Array.from({ length: 90 }, (_, i) => gateway.submit(sms(numberOf(300 + i)))));
    const perSession = new Map<number, number>();
    for (const message of simulator.messages()) perSession.set(message.sessionId, (perSession.get(message.sessionId) ?? 0) + 1);
    expect([...perSession.values()].sort()).toEqual([30, 30, 30]);
  });
});

describe('link supervision', () => {
  it('sends enquire_link, and reconnects when the carrier stops answering; an unreadable receipt is surfaced, acknowledged', async () => {
    // A carrier that binds, then answers nothing but the bind, and sends one malformed receipt.
    const sessions: smpp.Session[] = [];
    const enquireLinks: number[] = [];
    const receiptAnswers: number[] = [];
    const server = smpp.createServer({}, (session) => {
      sessions.push(session);
      session.on('error', () => session.destroy());
      session.on('pdu', (pdu: smpp.PDU) => {
        if (pdu.command === 'enquire_link') enquireLinks.push(sessions.indexOf(session));
        if (pdu.command !== 'bind_transceiver') return;
        session.send(pdu.response({ system_id: 'MUTE' }));
        session.send(new smpp.PDU('deliver_sm', { esm_class: 0x04, data_coding: 0, short_message: encodeGsm7('this is not a receipt') }), (response) =>
          receiptAnswers.push(response.command_status),
        );
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const session of sessions) session.destroy();
          server.close(() => resolve());
        }),
    );
    const { gateway, events, changes } = gatewayFor([carrierConnection('mute', port, { enquireLinkSeconds: 0.1, responseTimeoutSeconds: 0.4 })]);

    await eventually(() => sessions.length >= 2, 'a second session after the dead link', 5000);
    expect(enquireLinks).toContain(0);
    expect(changes.slice(0, 2).map((change) => change.state)).toEqual(['up', 'down']);
    expect(changes[1]?.reason).toMatch(/no answer to enquire_link/);
    expect(events.unreadable[0]).toMatchObject({ connection: 'mute', text: 'this is not a receipt', problem: expect.stringMatching(/no receipted_message_id/) });
    expect(receiptAnswers[0]).toBe(0);
    expect(gateway.stats().receipts).toBe(0);
  });
});

describe('graceful stop', () => {
  it('lets in-flight submissions finish, fails queued ones as STOPPING (never sent), then unbinds', async () => {
    const simulator = await simulatorOn(0, { submitResponseDelayMs: 150 });
    const { gateway } = startTestGateway([carrierConnection('sim', simulator.port, { windowSize: 10, transactionalShare: 0 })]);
    expect(await gateway.waitUntilReady(5000)).toBe(true);
    const submissions = Array.from({ length: 30 }, (_, i) => gateway.submit(sms(numberOf(500 + i))));
    await pause(30); // 10 in flight, 20 queued
    const stopping = gateway.stop();
    const results = await Promise.allSettled(submissions);
    await stopping;

    const accepted = results.filter((result) => result.status === 'fulfilled');
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as CarrierSubmitError] : []));
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(20);
    for (const error of refused) expect(error).toMatchObject({ reason: 'STOPPING', outcomeUnknown: false });
    expect(simulator.stats().acceptedMessages).toBe(10);
    await eventually(() => simulator.stats().boundSessions === 0, 'the unbind');
    await expect(gateway.submit(sms('+33632000001'))).rejects.toMatchObject({ reason: 'STOPPING' });
  });
});
