/**
 * Where a campaign stands: its messages counted by status (the deltas of campaign_tally, which
 * triggers on message append and `foldCampaignTallies` folds), and what was charged so far
 * (what its hold settled).
 */
import type pg from 'pg';
import { pool } from '../../db/client.js';
import type { CampaignStatus } from '../../generated/prisma/enums.js';
import type { EventPayloads } from '../../events/channels.js';
import { formatEuros, parseEuros, type Micros } from '../messaging/prices.js';

/**
 * SQL: whether messages of the campaign `campaignId` (an SQL expression) still wait to be handed
 * over: the ON_HOLD count of its tally, kept by the same triggers, in the same transactions, as
 * dispatch_queue. Asking dispatch_queue instead walked the entries of every message already sent
 * (a seq scan, or the campaign index from its start): 68 ms a call during a million-message campaign.
 */
export function campaignMessagesWait(campaignId: string): string {
  return `coalesce((SELECT sum(t.count) FROM campaign_tally t WHERE t.campaign_id = ${campaignId} AND t.status = 'ON_HOLD'), 0) > 0`;
}

export interface CampaignProgress {
  campaignId: string;
  accountId: string;
  status: CampaignStatus;
  onHold: number;
  transmitted: number;
  delivered: number;
  notIssued: number;
  expired: number;
  blacklisted: number;
  cancelled: number;
  total: number;
  charged: Micros;
  /**
   * Completed or cancelled, every message has its final status and the hold is closed (its
   * charges settled, the rest given back): nothing will change any more.
   */
  final: boolean;
}

const COUNTER_OF_STATUS = {
  ON_HOLD: 'onHold',
  TRANSMITTED: 'transmitted',
  DELIVERED: 'delivered',
  NOT_ISSUED: 'notIssued',
  EXPIRED: 'expired',
  BLACKLISTED: 'blacklisted',
  CANCELLED: 'cancelled',
} as const;

type Counter = (typeof COUNTER_OF_STATUS)[keyof typeof COUNTER_OF_STATUS];

/** Progress of each campaign found (unknown ids are left out). */
export async function campaignProgressOf(campaignIds: readonly string[], db: pg.Pool | pg.PoolClient = pool): Promise<Map<string, CampaignProgress>> {
  const progress = new Map<string, CampaignProgress>();
  if (campaignIds.length === 0) return progress;
  const { rows } = await db.query<{ id: string; account_id: string; status: CampaignStatus; charged: string; hold_open: boolean; counts: Record<string, number> }>(
    `SELECT c.id::text, c.account_id::text, c.status::text, COALESCE(r.amount_settled, 0)::text AS charged, coalesce(r.state = 'OPEN', false) AS hold_open,
            COALESCE((SELECT json_object_agg(t.status, t.n)
                        FROM (SELECT status::text AS status, sum(count)::int AS n FROM campaign_tally WHERE campaign_id = c.id GROUP BY status) t), '{}') AS counts
       FROM campaign c LEFT JOIN credit_reservation r ON r.id = c.reservation_id
      WHERE c.id = ANY($1::uuid[])`,
    [[...campaignIds]],
  );
  for (const row of rows) {
    const counters: Record<Counter, number> = { onHold: 0, transmitted: 0, delivered: 0, notIssued: 0, expired: 0, blacklisted: 0, cancelled: 0 };
    let total = 0;
    for (const [status, count] of Object.entries(row.counts)) {
      const counter = COUNTER_OF_STATUS[status as keyof typeof COUNTER_OF_STATUS];
      if (counter) counters[counter] += count;
      total += count;
    }
    progress.set(row.id, {
      campaignId: row.id,
      accountId: row.account_id,
      status: row.status,
      ...counters,
      total,
      charged: parseEuros(row.charged),
      // Charges queued by the records are settled within a second, and all of them when the hold
      // is released: until then `charged` may still grow.
      final: (row.status === 'COMPLETED' || row.status === 'CANCELLED') && counters.onHold === 0 && counters.transmitted === 0 && !row.hold_open,
    });
  }
  return progress;
}

/** True when two readings differ in anything a subscriber sees. */
export function progressChanged(before: CampaignProgress | undefined, after: CampaignProgress): boolean {
  if (before === undefined) return true;
  return (
    before.status !== after.status ||
    before.total !== after.total ||
    before.charged !== after.charged ||
    before.final !== after.final ||
    (Object.values(COUNTER_OF_STATUS) as Counter[]).some((counter) => before[counter] !== after[counter])
  );
}

/** The live event of a reading (money as a decimal string, like every amount on the bus). */
export function progressEvent(progress: CampaignProgress): EventPayloads['campaignProgress'] {
  return { ...progress, charged: formatEuros(progress.charged, { trim: true, minDecimals: 0 }) };
}

/**
 * Folds the tally deltas of campaigns that piled up more than `threshold` of them into one row
 * per status (the sums stay the same: deltas written meanwhile are not seen, so not deleted).
 */
export async function foldCampaignTallies(threshold = 200, db: pg.Pool | pg.PoolClient = pool): Promise<number> {
  const { rowCount } = await db.query(
    `WITH heavy AS (SELECT campaign_id FROM campaign_tally GROUP BY campaign_id HAVING count(*) > $1 LIMIT 50),
          gone AS (DELETE FROM campaign_tally t USING heavy h WHERE t.campaign_id = h.campaign_id RETURNING t.campaign_id, t.status, t.count)
     INSERT INTO campaign_tally (campaign_id, status, count)
     SELECT campaign_id, status, sum(count) FROM gone GROUP BY campaign_id, status HAVING sum(count) <> 0`,
    [threshold],
  );
  return rowCount ?? 0;
}
