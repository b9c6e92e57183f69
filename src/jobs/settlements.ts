import { prisma } from '../db/client.js';
import { settleQueued } from '../domain/credit/ledger.js';

/**
 * How often a hold's queued charges are settled while its campaign sends. A record queues the
 * price of what it handed over (`queueSettlement`, in its own transaction); settling it is a
 * transaction of six statements that locks the hold and the account row and writes two ledger
 * entries. Settled after every record, a campaign sending 4,000 messages a second paid that
 * eight times a second and wrote sixteen ledger entries; settled once a second, twice. Nothing
 * is lost meanwhile: a hold is never released with charges still queued (`releaseReservation`
 * applies them first, so a sendMessage hold closed right after its record is settled at once),
 * and the dispatchers' maintenance settles whatever a stopped process left queued.
 */
export const SETTLE_EVERY_MS = 1000;

const due = new Set<string>();
let timer: NodeJS.Timeout | null = null;
let settling: Promise<void> = Promise.resolve();

/** Settles the queued charges of these holds within `SETTLE_EVERY_MS`, together with any others due. */
export function settleSoon(reservationIds: Iterable<string>): void {
  for (const id of reservationIds) due.add(id);
  if (due.size === 0 || timer !== null) return;
  timer = setTimeout(() => void settleDueNow(), SETTLE_EVERY_MS);
  timer.unref();
}

/** Settles what is due now (a process stopping calls it before it closes the database). */
export async function settleDueNow(): Promise<void> {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  const ids = [...due];
  due.clear();
  // One settlement round at a time: a round still running is waited for, not overlapped.
  settling = settling.then(async () => {
    // Hold by hold: one that fails (it stays queued for the dispatchers' sweep) does not keep the others waiting.
    for (const id of ids) {
      await settleQueued(prisma, [id]).catch((error: unknown) => console.error(`[credit] could not settle the charges queued on hold ${id}:`, (error as Error).message));
    }
  });
  await settling;
}
