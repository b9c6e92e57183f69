/**
 * `cancelCampaign` (SPEC section 7): a scheduled or sending campaign stops. Its status changes
 * first (under the row lock that each materialisation chunk takes, so no chunk is written
 * after it, and the dispatchers skip messages of cancelled campaigns from then on); then the
 * messages still waiting and not in a dispatcher's hands become CANCELLED, a batch per
 * statement, each change pushed to `messageStatusChanged` subscribers. Cancelled messages are
 * never charged. The hold is released at once when nothing is in flight; otherwise the
 * dispatcher settles the in-flight messages when it records them and releases the rest, and the
 * campaign life cycle finishes any batch left by a crash.
 */
import { config } from '../../config.js';
import { pool, prisma } from '../../db/client.js';
import type { Campaign } from '../../generated/prisma/client.js';
import { publishEvent } from '../../events/bus.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { NotFoundError } from '../errors.js';
import { CampaignStateError } from './campaign-errors.js';
import { campaignProgressOf, progressEvent } from './campaign-progress.js';
import { publishStatusChanges, type ChangedMessage } from '../../jobs/carrier-events.js';
import { releaseFinishedCampaignHold } from './materialize-campaign.js';

/** Messages cancelled per statement: bounded so that no statement holds a million row locks. */
const CANCEL_BATCH = 20_000;

export async function cancelCampaign(actor: Actor, campaignId: string): Promise<Campaign> {
  requirePermission(actor, 'campaigns:write');
  const cancelled = await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ status: Campaign['status'] }[]>`
      SELECT status::text AS status FROM campaign WHERE id = ${campaignId}::uuid AND account_id = ${actor.accountId}::uuid FOR NO KEY UPDATE`;
    const status = rows[0]?.status;
    if (!status) throw new NotFoundError('Campaign');
    if (status !== 'SCHEDULED' && status !== 'SENDING') throw new CampaignStateError(status, 'cancelled', ['SCHEDULED', 'SENDING']);
    // Materialisation ends here: no more rows will be written (the dispatcher may then release the hold).
    return tx.campaign.update({
      where: { id: campaignId },
      data: { status: 'CANCELLED', cancelledAt: new Date(), materializedAt: new Date() },
    });
  });
  await cancelWaitingMessages(campaignId, { staleClaims: false });
  await releaseFinishedCampaignHold(campaignId);
  const progress = (await campaignProgressOf([campaignId])).get(campaignId);
  if (progress) publishEvent('campaignProgress', progress.accountId, progressEvent(progress));
  return cancelled;
}

/**
 * A message whose lease ran out is in doubt (its dispatcher died, perhaps after handing it over):
 * a receipt may still prove it was sent, and the dispatcher decides after the reconciliation
 * delay. A cancelled campaign's in-doubt message is cancelled only after that same delay.
 */
function staleClaimSeconds(): number {
  return config.dispatch.reconcileSeconds;
}

/**
 * Marks CANCELLED the messages of a cancelled campaign that wait and that no dispatcher holds
 * (with `staleClaims`, also those of a dispatcher gone for good). Returns how many. Safe to run again.
 */
export async function cancelWaitingMessages(campaignId: string, options: { staleClaims: boolean }): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await pool.query<ChangedMessage>(
      // With its attempts: one that was claimed may have reached the carrier (in doubt), and a
      // receipt proving it can still come (see recordSubmissionsFromReceipts in carrier-events.ts).
      `UPDATE message m SET status = 'CANCELLED', final_at = now(), attempts = q.attempts
         FROM (SELECT q.message_id, q.attempts FROM dispatch_queue q
                WHERE q.campaign_id = $1 AND q.campaign_id IS NOT NULL
                  AND (q.claimed_until IS NULL OR ($3 AND q.claimed_until < now() - make_interval(secs => $4)))
                LIMIT $2 FOR UPDATE SKIP LOCKED) q
        WHERE m.id = q.message_id AND m.status = 'ON_HOLD' AND EXISTS (SELECT 1 FROM campaign c WHERE c.id = $1 AND c.status = 'CANCELLED')
       RETURNING m.id::text, m.account_id::text, m.status::text, m.kind::text, m.campaign_id::text`,
      [campaignId, CANCEL_BATCH, options.staleClaims, staleClaimSeconds()],
    );
    // Pushed live like any status change (a few bytes per message, batched per campaign).
    publishStatusChanges(rows);
    total += rows.length;
    if (rows.length < CANCEL_BATCH) return total;
  }
}
