/**
 * The bare ceiling of the SMPP link on this machine: how many messages per second a plain
 * client gets through to the carrier simulator running in its own process, as fast as its
 * submit windows allow (no database, no rate cap). The dispatch benchmark compares itself to
 * this figure (`measureBareSmppCeiling` is exported for it, to measure it in the same run).
 *
 * Printed, in the same run against the same simulator process:
 * - bare client: `smpp` sessions, each keeping `window` submit_sm outstanding (encoded as the gateway
 *   encodes them), receipts acknowledged at once, nothing else;
 * - carrier gateway: `SmppCarrierGateway` with the same binds and window and no rate cap, so the
 *   cost of queues, token buckets and receipt batching shows as the ratio between the two.
 *
 *   npm run bench:smpp -- [--messages 100000] [--binds 2] [--window 250]   (defaults: the simulator connection's)
 */
import { parseArgs } from 'node:util';
import smpp from 'smpp';
import { carrierConnectionSchema, simulatorCarrier } from '../src/gateways/carriers/carrier-settings.js';
import { submitSm } from '../src/gateways/carriers/encoded-pdu.js';
import { silentCarrierLogger } from '../src/gateways/carriers/logger.js';
import { encodeGsm7 } from '../src/gateways/carriers/pdu-encoding.js';
import { SmppCarrierGateway } from '../src/gateways/carriers/smpp-carrier.js';
import { batchWritesThisTick } from '../src/gateways/carriers/socket-batching.js';
import { spawnCarrierSimulator } from '../src/simulator/child-process.js';

export interface CeilingResult {
  messages: number;
  /** From the first submit_sm to the last submit_sm_resp. */
  submitSeconds: number;
  submitsPerSecond: number;
  /** From the first submit_sm to the last delivery receipt. */
  receiptSeconds: number;
  refused: number;
}

/**
 * Distinct French mobile numbers whose last four digits stay clear of the simulator's test
 * patterns (0001-0009), so every one of them takes the outcome mix.
 */
export function benchNumber(i: number): string {
  return `+336${String(Math.floor(i / 9000)).padStart(4, '0')}${(i % 9000) + 1000}`;
}

/** A plain SMPP client: `binds` transceiver sessions, `window` outstanding submit_sm each. */
export async function measureBareSmppCeiling(options: { host: string; port: number; messages: number; binds: number; window: number }): Promise<CeilingResult> {
  const sessions = await Promise.all(
    Array.from({ length: options.binds }, async () => {
      const session = smpp.connect({ host: options.host, port: options.port });
      await new Promise<void>((resolve, reject) => {
        session.on('error', reject);
        session.on('connect', () => {
          session.send(new smpp.PDU('bind_transceiver', { system_id: 'bench', password: 'bench', interface_version: 0x34 }), (response) =>
            response.command_status === 0 ? resolve() : reject(new Error(`bind refused: ${response.command_status}`)),
          );
        });
      });
      return session;
    }),
  );
  const shortMessage = encodeGsm7('Your order 12345 has shipped. Track it at https://example.com/t/abc');
  let next = 0;
  let answered = 0;
  let refused = 0;
  let receipts = 0;
  const started = performance.now();
  let submitsDone = 0;
  const finished = new Promise<number>((resolveReceipts) => {
    let resolveSubmits: (() => void) | null = null;
    const submitsFinished = new Promise<void>((resolve) => (resolveSubmits = resolve));
    void submitsFinished.then(() => (submitsDone = performance.now()));
    for (const session of sessions) {
      session.on('pdu', (pdu: smpp.PDU) => {
        // Answers and new submissions triggered by one read leave in one write.
        batchWritesThisTick(session.socket);
        if (pdu.command !== 'deliver_sm') return;
        session.send(pdu.response());
        if (++receipts === options.messages - refused) resolveReceipts(performance.now());
      });
      const sendOne = (): void => {
        if (next >= options.messages) return;
        const i = next++;
        const pdu = submitSm({
          sourceTon: 5,
          sourceNpi: 0,
          source: 'BENCH',
          destinationTon: 1,
          destinationNpi: 1,
          destination: benchNumber(i).slice(1),
          esmClass: 0,
          priorityFlag: 0,
          registeredDelivery: 1,
          dataCoding: 0,
          shortMessage,
        });
        session.send(pdu, (response) => {
          if (response.command_status !== 0) refused++;
          if (++answered === options.messages) resolveSubmits?.();
          sendOne();
        });
      };
      batchWritesThisTick(session.socket);
      for (let w = 0; w < options.window; w++) sendOne();
    }
  });
  const receiptsDone = await finished;
  for (const session of sessions) session.destroy();
  const submitSeconds = (submitsDone - started) / 1000;
  return {
    messages: options.messages,
    submitSeconds,
    submitsPerSecond: options.messages / submitSeconds,
    receiptSeconds: (receiptsDone - started) / 1000,
    refused,
  };
}

/** The platform's gateway on the same link, with the rate cap out of the way. */
async function measureGateway(options: { host: string; port: number; messages: number; binds: number; window: number }): Promise<CeilingResult> {
  const gateway = new SmppCarrierGateway(
    [
      carrierConnectionSchema.parse({
        name: 'bench',
        host: options.host,
        port: options.port,
        systemId: 'bench',
        binds: options.binds,
        windowSize: options.window,
        maxSegmentsPerSecond: 1_000_000,
        // The whole window for bulk, as the bare client has: the transactional reserve would otherwise narrow it.
        transactionalShare: 0,
      }),
    ],
    { logger: silentCarrierLogger },
  ).start();
  let receipts = 0;
  let resolveReceipts: (at: number) => void = () => {};
  const receiptsDone = new Promise<number>((resolve) => (resolveReceipts = resolve));
  let expectedReceipts = options.messages;
  gateway.setEventHandler((batch) => {
    receipts += batch.receipts.length;
    if (receipts >= expectedReceipts) resolveReceipts(performance.now());
  });
  if (!(await gateway.waitUntilReady(10_000))) throw new Error('the gateway could not bind to the simulator');
  const started = performance.now();
  let refused = 0;
  let next = 0;
  // Keep a bounded number of submissions in the gateway, as the dispatch jobs do.
  const inGateway = Math.max(1000, options.binds * options.window * 4);
  await Promise.all(
    Array.from({ length: inGateway }, async () => {
      while (next < options.messages) {
        const i = next++;
        try {
          await gateway.submit({ id: String(i), from: 'BENCH', to: benchNumber(i), text: 'Your order 12345 has shipped. Track it at https://example.com/t/abc', priority: 'bulk', requestReceipt: true });
        } catch {
          refused++;
          expectedReceipts--;
        }
      }
    }),
  );
  const submitsDone = performance.now();
  if (receipts >= expectedReceipts) resolveReceipts(performance.now());
  const receiptsAt = await receiptsDone;
  await gateway.stop();
  const submitSeconds = (submitsDone - started) / 1000;
  return { messages: options.messages, submitSeconds, submitsPerSecond: options.messages / submitSeconds, receiptSeconds: (receiptsAt - started) / 1000, refused };
}

function print(label: string, result: CeilingResult): void {
  console.info(
    `${label.padEnd(16)} ${Math.round(result.submitsPerSecond).toLocaleString('en-US').padStart(8)} messages/s submitted` +
      ` (${result.messages.toLocaleString('en-US')} in ${result.submitSeconds.toFixed(2)} s; all receipts after ${result.receiptSeconds.toFixed(2)} s; refused ${result.refused})`,
  );
}

async function main(): Promise<void> {
  // The connection the platform uses by default (CARRIERS unset): the same binds and window.
  const defaults = simulatorCarrier('127.0.0.1', 2775);
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '100000' },
      binds: { type: 'string', default: String(defaults.binds) },
      window: { type: 'string', default: String(defaults.windowSize) },
    },
  });
  const messages = Number(values.messages);
  const binds = Number(values.binds);
  const window = Number(values.window);
  console.info(`SMPP ceiling: ${messages.toLocaleString('en-US')} single-part messages, ${binds} bind(s), window ${window}, simulator in its own process (receipts after 0 ms)`);
  const simulator = await spawnCarrierSimulator({ CARRIER_SIMULATOR_RECEIPT_DELAY_MS: '0' });
  try {
    // A short warm-up so that both measurements run on optimised code in both processes.
    await measureBareSmppCeiling({ host: simulator.host, port: simulator.port, messages: Math.min(20_000, messages), binds, window });
    await simulator.reset();
    const bare = await measureBareSmppCeiling({ host: simulator.host, port: simulator.port, messages, binds, window });
    print('bare client', bare);
    const afterBare = await simulator.stats();
    await simulator.reset();
    const gateway = await measureGateway({ host: simulator.host, port: simulator.port, messages, binds, window });
    print('carrier gateway', gateway);
    const afterGateway = await simulator.stats();
    console.info(`gateway / bare:  ${((gateway.submitsPerSecond / bare.submitsPerSecond) * 100).toFixed(0)} %`);
    console.info(`simulator counted ${afterBare.acceptedMessages.toLocaleString('en-US')} then ${afterGateway.acceptedMessages.toLocaleString('en-US')} accepted messages, ${afterBare.destinationsWithSeveralMessages + afterGateway.destinationsWithSeveralMessages} number(s) twice`);
  } finally {
    await simulator.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
