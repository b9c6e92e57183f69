import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundPart } from '../../src/gateways/carriers/carrier.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startPlatformProcess, type PlatformProcess } from '../support/process.js';
import { killProcessTree } from './dispatch-support.js';

/**
 * Long replies are reassembled in the database (domain/conversations/inbound-parts.ts): each part
 * is stored before the carrier's deliver_sm is acknowledged, so a reply survives the worker that
 * received its first parts, and parts received by different worker processes meet.
 */
let platform: TestPlatform;
let secondWorker: PlatformProcess | null = null;

const TIMEOUT_SECONDS = 2;

beforeAll(async () => {
  platform = await startTestPlatform({ INBOUND_PARTS_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS) });
});

afterAll(async () => {
  if (secondWorker?.child.pid) await killProcessTree(secondWorker.child.pid);
  await platform?.stop();
});

/** GSM-7, in 3 parts of 153 characters at most. */
const REPLY = "Bonjour, je ne suis pas disponible jeudi. Pourriez-vous me proposer un autre créneau la semaine prochaine, de préférence le matin ? Merci beaucoup et bonne journée à toute l'équipe. ".repeat(2);

interface StoredReply {
  text: string;
  parts: number;
  complete: boolean;
}

const repliesFrom = (from: string) =>
  platform.sql<StoredReply>(`SELECT text, parts, complete FROM inbound_message WHERE from_number = $1 ORDER BY id`, [from]);
const partsKept = async (from: string) => (await platform.sql<{ n: number }>(`SELECT count(*)::int AS n FROM inbound_part WHERE from_number = $1`, [from]))[0]!.n;

/** Sender numbers unique to each test. */
let nextSender = 0;
const sender = () => `+3365${String(Date.now() % 100_000).padStart(5, '0')}${String(nextSender++).padStart(2, '0')}`;

describe('reassembly of long replies', () => {
  it('a reply whose parts reach two worker processes, one of them killed after storing its part, is stored once and whole', { timeout: 90_000 }, async () => {
    const simulator = platform.simulator!;
    secondWorker = await startPlatformProcess({
      DATABASE_URL: platform.database.url,
      ROLE: 'worker',
      // The same connection as this file's platform (same name), with a system_id of its own so
      // that the simulator can deliver to this process alone.
      CARRIERS: JSON.stringify([{ name: 'simulator', host: simulator.host, port: simulator.port, systemId: 'worker-two', password: 'secret', binds: 1 }]),
    });
    const from = sender();
    const reference = 201;
    // Part 2 reaches the second worker, which stores it, then acknowledges it (resolving the injection)...
    expect(await simulator.injectInbound(from, '+33700000000', REPLY, { partOrder: [2], reference, systemId: 'worker-two' })).toEqual({ parts: 3 });
    expect(await partsKept(from)).toBe(1);
    // ...and dies.
    await killProcessTree(secondWorker.child.pid!);
    secondWorker = null;
    expect(await repliesFrom(from)).toEqual([]);

    // Parts 3 and 1 reach this process' worker: the set is complete in the database.
    await simulator.injectInbound(from, '+33700000000', REPLY, { partOrder: [3, 1], reference, systemId: 'platform' });
    expect(await repliesFrom(from)).toEqual([{ text: REPLY, parts: 3, complete: true }]);
    expect(await partsKept(from)).toBe(0);
  });

  it('a reply whose last part never comes is stored after INBOUND_PARTS_TIMEOUT_SECONDS with the parts that came, in order, flagged incomplete', async () => {
    const from = sender();
    await platform.simulator!.injectInbound(from, '+33700000000', REPLY, { partOrder: [3, 1] });
    expect(await repliesFrom(from)).toEqual([]);
    expect(await partsKept(from)).toBe(2);
    await expect.poll(() => repliesFrom(from), { timeout: (TIMEOUT_SECONDS + 5) * 1000, interval: 100 }).toHaveLength(1);
    const [reply] = await repliesFrom(from);
    expect(reply).toMatchObject({ parts: 3, complete: false });
    // Part 1 (153 characters of GSM-7) then part 3.
    expect(reply!.text.startsWith(REPLY.slice(0, 153))).toBe(true);
    expect(reply!.text.slice(153)).toBe(REPLY.slice(306));
    expect(await partsKept(from)).toBe(0);
  });

  describe('storing parts (receiveInboundMessages)', () => {
    const part = (from: string, index: number, text: string, reference = 7): InboundPart => ({
      connection: 'simulator',
      from,
      to: '+33700000000',
      reference,
      index,
      total: 3,
      text,
      receivedAt: new Date(),
    });

    it('a part delivered twice (in one batch, then again) counts once', async () => {
      const { receiveInboundMessages } = await import('../../src/domain/conversations/inbound.js');
      const from = sender();
      await receiveInboundMessages([], [part(from, 1, 'Un, '), part(from, 1, 'Un, ')]);
      await receiveInboundMessages([], [part(from, 1, 'Un, ')]);
      expect(await partsKept(from)).toBe(1);
      await receiveInboundMessages([], [part(from, 3, 'trois.'), part(from, 2, 'deux, ')]);
      expect(await repliesFrom(from)).toEqual([{ text: 'Un, deux, trois.', parts: 3, complete: true }]);
    });

    it('two transactions storing the last two parts of a set at once store its reply once, whole (a lock per set)', async () => {
      const { receiveInboundMessages } = await import('../../src/domain/conversations/inbound.js');
      const senders = Array.from({ length: 12 }, () => sender());
      await receiveInboundMessages([], senders.map((from) => part(from, 1, 'Un, ')));
      await Promise.all(senders.flatMap((from) => [receiveInboundMessages([], [part(from, 2, 'deux, ')]), receiveInboundMessages([], [part(from, 3, 'trois.')])]));
      for (const from of senders) expect(await repliesFrom(from)).toEqual([{ text: 'Un, deux, trois.', parts: 3, complete: true }]);
      for (const from of senders) expect(await partsKept(from)).toBe(0);
    });

    it('an emoji split across two parts (half of its surrogate pair in each) is whole once the parts are joined', async () => {
      const { receiveInboundMessages } = await import('../../src/domain/conversations/inbound.js');
      const from = sender();
      const [high, low] = ['\uD83D', '\uDE00'];
      await receiveInboundMessages([], [part(from, 1, `Merci ${high}`)]);
      await receiveInboundMessages([], [part(from, 3, ' !'), part(from, 2, `${low} à jeudi`)]);
      expect((await repliesFrom(from)).map((reply) => reply.text)).toEqual(['Merci 😀 à jeudi !']);
    });

    it('sets differ by reference: two replies from one number at once stay apart', async () => {
      const { receiveInboundMessages } = await import('../../src/domain/conversations/inbound.js');
      const from = sender();
      await receiveInboundMessages([], [part(from, 1, 'A1 ', 1), part(from, 1, 'B1 ', 2), part(from, 2, 'A2 ', 1), part(from, 3, 'B3', 2)]);
      await receiveInboundMessages([], [part(from, 3, 'A3', 1), part(from, 2, 'B2 ', 2)]);
      expect((await repliesFrom(from)).map((reply) => reply.text).sort()).toEqual(['A1 A2 A3', 'B1 B2 B3']);
    });
  });
});
