import { pool } from '../db/client.js';
import { campaignMessagesWait, foldCampaignTallies } from '../domain/campaigns/campaign-progress.js';
import { cancelWaitingMessages } from '../domain/campaigns/cancel-campaign.js';
import { releaseFinishedCampaignHold } from '../domain/campaigns/materialize-campaign.js';
import { enqueue } from './boss.js';
import { CampaignProgressPublisher } from './campaign-progress.js';
import { inDoubtDecidableInThisProcess } from './carrier-events.js';

/**
 * Moves campaigns along their life cycle (SPEC section 7), in every worker process, every
 * CAMPAIGN_LIFECYCLE_INTERVAL_MS. Each step is one conditional statement, so workers running it
 * at the same time each move a campaign once:
 * - SCHEDULED -> SENDING when its time comes (its messages already wait with that send time);
 * - SENDING -> COMPLETED once every message row is written and none is ON_HOLD; what the hold
 *   still holds is released;
 * - a cancelled campaign whose hold is still open gets its remaining waiting messages cancelled
 *   (those of a dispatcher gone for good included) and its hold released when nothing is in flight;
 * - a campaign whose materialisation has not moved for STALLED_AFTER_SECONDS gets its job queued
 *   again (one job per campaign at most: a live one is left alone).
 * It also runs the campaignProgress publisher at its own pace.
 */
const STALLED_AFTER_SECONDS = 120;
const STALLED_CHECK_EVERY_MS = 30_000;

export class CampaignLifecycle {
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> = Promise.resolve();
  private nextLifecycleAt = 0;
  private nextProgressAt = 0;
  private nextStalledCheckAt = 0;
  private readonly progress: CampaignProgressPublisher;

  constructor(
    private readonly lifecycleIntervalMs: number,
    private readonly progressIntervalMs: number,
  ) {
    this.progress = new CampaignProgressPublisher(progressIntervalMs);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.round = this.tick().finally(() => this.schedule(Math.min(this.lifecycleIntervalMs, this.progressIntervalMs)));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    if (now >= this.nextLifecycleAt) {
      this.nextLifecycleAt = now + this.lifecycleIntervalMs;
      try {
        await this.progress.publishNow(await advanceCampaigns(now >= this.nextStalledCheckAt));
        if (now >= this.nextStalledCheckAt) this.nextStalledCheckAt = now + STALLED_CHECK_EVERY_MS;
      } catch (error) {
        console.error('[campaigns] life cycle round failed; retrying:', (error as Error).message);
      }
    }
    if (now >= this.nextProgressAt) {
      this.nextProgressAt = now + this.progressIntervalMs;
      try {
        await this.progress.round();
      } catch (error) {
        console.error('[campaigns] progress round failed; retrying:', (error as Error).message);
      }
    }
  }
}

/** One round of the life cycle; returns the campaigns whose status changed. */
export async function advanceCampaigns(checkStalled = true): Promise<string[]> {
  const changed: string[] = [];
  const started = await pool.query<{ id: string }>(
    `UPDATE campaign SET status = 'SENDING', updated_at = now() WHERE status = 'SCHEDULED' AND scheduled_at <= now() RETURNING id::text`,
  );
  changed.push(...started.rows.map((row) => row.id));

  const finished = await pool.query<{ id: string }>(
    `SELECT c.id::text FROM campaign c
      WHERE c.status = 'SENDING' AND c.materialized_at IS NOT NULL AND NOT ${campaignMessagesWait('c.id')}`,
  );
  for (const { id } of finished.rows) {
    // The hold first (its queued charges settled, the rest given back), then the status: a
    // campaign is never COMPLETED with charges still to settle, and one whose release failed
    // stays SENDING, tried again next round. Nothing can be charged in between: every message
    // is written and none waits.
    await releaseFinishedCampaignHold(id);
    const completed = await pool.query(
      `UPDATE campaign SET status = 'COMPLETED', completed_at = now(), updated_at = now() WHERE id = $1 AND status = 'SENDING'`,
      [id],
    );
    if (completed.rowCount === 1) changed.push(id);
  }

  const cancelled = await pool.query<{ id: string }>(
    `SELECT c.id::text FROM campaign c JOIN credit_reservation r ON r.id = c.reservation_id WHERE c.status = 'CANCELLED' AND r.state = 'OPEN'`,
  );
  // Messages in doubt (claimed by a dispatcher that died) are cancelled only where a receipt
  // proving one was sent would have come by now: else it would be shown CANCELLED, uncharged,
  // though delivered.
  const decidable = inDoubtDecidableInThisProcess();
  for (const { id } of cancelled.rows) {
    await cancelWaitingMessages(id, { staleClaims: decidable });
    if (await releaseFinishedCampaignHold(id)) changed.push(id);
  }

  // Progress counters stay a few rows per campaign however many batches moved its messages.
  await foldCampaignTallies();

  if (checkStalled) {
    const stalled = await pool.query<{ id: string }>(
      `SELECT id::text FROM campaign
        WHERE status IN ('SCHEDULED', 'SENDING') AND materialized_at IS NULL AND updated_at < now() - make_interval(secs => $1)`,
      [STALLED_AFTER_SECONDS],
    );
    for (const { id } of stalled.rows) {
      const jobId = await enqueue('materialize-campaign', { campaignId: id }, { singletonKey: id });
      if (jobId) console.warn(`[campaigns] ${id}: materialisation had stalled; queued again`);
    }
  }
  return changed;
}
