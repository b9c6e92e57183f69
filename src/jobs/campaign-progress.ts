import { pool } from '../db/client.js';
import { campaignProgressOf, progressChanged, progressEvent, type CampaignProgress } from '../domain/campaigns/campaign-progress.js';
import { publishEvent } from '../events/bus.js';

/**
 * Publishes `campaignProgress` from worker processes; API processes receive it through the
 * event bus and filter it per account. Each round (every `intervalMs`, i.e. at most
 * CAMPAIGN_PROGRESS_EVENTS_PER_SECOND per campaign) counts the messages of the campaigns that
 * can still change (scheduled, sending, or finished with messages awaiting a receipt) with one
 * GROUP BY per campaign, and publishes those whose counts changed.
 *
 * A campaign whose counts stay the same is looked at less and less often (up to every
 * MAX_BACKOFF_MS), and one whose count takes long is looked at no more often than 4 times its
 * duration, so a million-message campaign waiting for its last receipts costs next to nothing.
 * One worker publishes at a time (a transaction-level advisory lock per round); the others skip
 * the round. The last event of a campaign has `final: true`.
 */
const MAX_BACKOFF_MS = 30_000;
/** Key of the advisory lock of the publishing worker (any constant unique to this use). */
const PUBLISHER_LOCK = 0x63616d70; // "camp"

interface Tracked {
  last: CampaignProgress | undefined;
  nextAt: number;
  backoffMs: number;
}

export class CampaignProgressPublisher {
  readonly #tracked = new Map<string, Tracked>();

  constructor(private readonly intervalMs: number) {}

  /** Publishes at once (life-cycle changes: started, completed, cancelled), throttle aside. */
  async publishNow(campaignIds: readonly string[]): Promise<void> {
    if (campaignIds.length === 0) return;
    const readings = await campaignProgressOf(campaignIds);
    for (const reading of readings.values()) this.#publish(reading, this.#entry(reading.campaignId), Date.now(), 0);
  }

  async round(): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows: lock } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [PUBLISHER_LOCK]);
      if (!lock[0]?.locked) {
        await client.query('COMMIT');
        return;
      }
      const { rows } = await client.query<{ id: string }>(
        `SELECT c.id::text FROM campaign c
          WHERE c.status IN ('SCHEDULED', 'SENDING')
             OR (c.status IN ('COMPLETED', 'CANCELLED') AND coalesce(c.completed_at, c.cancelled_at) > now() - interval '49 hours'
                 AND (SELECT coalesce(sum(t.count), 0) FROM campaign_tally t WHERE t.campaign_id = c.id AND t.status IN ('ON_HOLD', 'TRANSMITTED')) > 0)`,
      );
      const now = Date.now();
      for (const { id } of rows) this.#entry(id);
      // Campaigns no longer listed are read once more, for their final event.
      const due = [...this.#tracked].filter(([, entry]) => entry.nextAt <= now).map(([id]) => id);
      if (due.length > 0) {
        const started = performance.now();
        const readings = await campaignProgressOf(due, client);
        const took = performance.now() - started;
        for (const id of due) {
          const reading = readings.get(id);
          if (reading === undefined) this.#tracked.delete(id); // deleted draft
          else this.#publish(reading, this.#entry(id), now, took / due.length);
        }
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  #entry(id: string): Tracked {
    let entry = this.#tracked.get(id);
    if (entry === undefined) {
      entry = { last: undefined, nextAt: 0, backoffMs: this.intervalMs };
      this.#tracked.set(id, entry);
    }
    return entry;
  }

  #publish(reading: CampaignProgress, entry: Tracked, now: number, costMs: number): void {
    const changed = progressChanged(entry.last, reading);
    if (changed) publishEvent('campaignProgress', reading.accountId, progressEvent(reading));
    entry.last = reading;
    entry.backoffMs = changed ? this.intervalMs : Math.min(entry.backoffMs * 2, MAX_BACKOFF_MS);
    entry.nextAt = now + Math.max(entry.backoffMs, 4 * costMs);
    if (reading.final) this.#tracked.delete(reading.campaignId);
  }
}
