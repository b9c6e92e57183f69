/**
 * Writes the message rows of a sent campaign, chunk by chunk, in number order (contacts and
 * pasted numbers merged). Each chunk is one transaction that also moves the resume point
 * (`materialized_until`) and the running cost (`materialized_cost`), under the campaign's row
 * lock: a crash, a retry or a second copy of the job carries on after the last committed chunk,
 * and the unique (campaign, recipient) index makes a repeated row impossible anyway. Rows are
 * inserted plainly (the chunks never overlap; `ON CONFLICT DO NOTHING` costs a quarter more per
 * row); should a chunk meet a row that exists all the same, it is written again, skipping those.
 *
 * Every chunk is planned with the same functions as the preview, so each message carries the
 * exact text, segments and price that were reserved. Contacts can change between the send and
 * the chunk that writes them: when a chunk would cost more than the hold still covers, the hold
 * is extended; if the balance cannot cover that, the uncovered messages are written NOT_ISSUED
 * (error INSUFFICIENT_CREDIT) and never sent nor charged, so the balance never goes negative and
 * nothing is charged without a hold. Marketing to a blacklisted number is written BLACKLISTED.
 *
 * After each chunk the dispatchers are woken, so sending starts with the first chunk. At the end
 * `materialized_at` is set; the hold is released by whoever sees nothing left ON_HOLD last (this
 * job, the dispatcher or the campaign life cycle).
 */
import { config } from '../../config.js';
import { isUniqueViolation, pool, prisma } from '../../db/client.js';
import { inPgTransaction, type RawSql } from '../../db/raw-sql.js';
import { mayBypassForeignKeyChecks } from '../../db/replication-role.js';
import { publishEvent } from '../../events/bus.js';
import { extendReservation, PLATFORM, releaseReservation, reserveCredit } from '../credit/ledger.js';
import { InsufficientCreditError } from '../errors.js';
import { formatEuros, parseEuros, type Micros } from '../messaging/prices.js';
import { loadSendingProfile } from '../messaging/sending-profile.js';
import { CampaignMessagePlanner, type PlannedMessage, type RecipientValues } from './campaign-messages.js';
import { fieldNamesByPosition, messageTypeOf, requestedTime } from './campaign-preview.js';
import { campaignMessagesWait } from './campaign-progress.js';
import {
  blacklistedAmong,
  chooseChunkStrategy,
  contactValuesAmong,
  parsePastedNumbers,
  selectedContactsAfter,
  type RecipientSelection,
  type SqlRunner,
} from './campaign-recipients.js';
import { mergeChunk } from './chunks.js';
import { NumberClassifier } from './number-classifier.js';

export interface MaterializationResult {
  chunks: number;
  /** Rows written by this run. */
  written: number;
  finished: boolean;
}

interface LockedCampaign {
  status: string;
  account_id: string;
  name: string;
  reservation_id: string | null;
  materialized_until: string | null;
  materialized_at: Date | null;
  materialized_cost: string;
}

export const INSUFFICIENT_CREDIT_ERROR = 'INSUFFICIENT_CREDIT';
/** A strict campaign's marketing whose window closed before its row was written (see OUTSIDE_SENDING_WINDOW in the dispatcher). */
export const OUTSIDE_WINDOW_ERROR = 'OUTSIDE_SENDING_WINDOW';

/** A message of a chunk: as planned, or refused for strict timing (never held, never charged). */
type ChunkMessage = Omit<PlannedMessage, 'outcome'> & { outcome: PlannedMessage['outcome'] | 'OUTSIDE_WINDOW' };
const FIRST_CHUNK_SIZE = 1000;
/** Messages planned, or inserted by one statement, between two turns of the event loop. */
const SLICE_SIZE = 2500;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function materializeCampaign(campaignId: string, chunkSize = config.campaigns.chunkSize): Promise<MaterializationResult> {
  const campaign = await prisma.campaign.findUnique({ where: { id: campaignId } });
  const result: MaterializationResult = { chunks: 0, written: 0, finished: false };
  if (!campaign || campaign.materializedAt !== null || (campaign.status !== 'SENDING' && campaign.status !== 'SCHEDULED')) return result;

  const profile = await loadSendingProfile(campaign.accountId);
  const fieldNames = await fieldNamesByPosition(campaign.accountId);
  const type = messageTypeOf(campaign);
  const marketing = type === 'MARKETING';
  const strictTiming = marketing && campaign.strictTiming;
  const sender = campaign.sender;
  const selection: RecipientSelection = { accountId: campaign.accountId, listIds: campaign.listIds, tags: campaign.tags, contactIds: campaign.contactIds };
  const pasted = parsePastedNumbers(campaign.numbers, campaign.defaultCountry ?? profile.country).valid;
  const strategy = await chooseChunkStrategy(poolSql, selection, chunkSize);
  // Without the per-row checks of account_id and campaign_id (a quarter of the insert's cost) when
  // the role may: the chunk locks both rows itself (see insertMessages).
  const skipChecks = await mayBypassForeignKeyChecks(pool, ['message']);
  const classifier = new NumberClassifier();
  const plannerAt = (now: Date) =>
    new CampaignMessagePlanner({
      text: campaign.text,
      type,
      smartEncoding: campaign.smartEncoding,
      twoWay: campaign.twoWay,
      fieldNames,
      priceList: profile.priceList,
      rules: profile.sendingRules,
      requestedAt: requestedTime(campaign.scheduledAt, now),
    });
  const withValues = plannerAt(new Date()).placeholders.length > 0;

  // Set once a chunk met a message row already written (which the resume point rules out).
  let skipExisting = false;
  for (;;) {
    // The first chunks small, then doubling up to `chunkSize`: the first messages go out after a
    // chunk of a thousand is written, not ten thousand.
    const size = Math.min(chunkSize, FIRST_CHUNK_SIZE * 2 ** result.chunks);
    // On a pg client rather than through Prisma (see db/raw-sql.ts): a chunk's statements carry
    // arrays of thousands of values each.
    const chunk = await inPgTransaction(
      pool,
      async (tx) => {
        const sql: SqlRunner = <Row>(text: string, values: unknown[]) => tx.$queryRawUnsafe<Row[]>(text, ...values);
        const locked = (
          await tx.$queryRaw<LockedCampaign[]>`
            SELECT status::text, account_id::text, name, reservation_id::text, materialized_until,
                   materialized_at AT TIME ZONE 'UTC' AS materialized_at, materialized_cost::text
              FROM campaign WHERE id = ${campaignId}::uuid FOR NO KEY UPDATE`
        )[0];
        // Cancelled meanwhile, or finished by another copy of this job.
        if (!locked || locked.materialized_at !== null || (locked.status !== 'SENDING' && locked.status !== 'SCHEDULED')) return null;

        const after = locked.materialized_until;
        const contacts = await selectedContactsAfter(sql, selection, strategy, after, size, { withValues, withBlacklist: marketing });
        const { candidates, end } = mergeChunk(contacts, pasted, after, size, contacts.length === size);
        const pastedNumbers = candidates.flatMap((candidate) => (candidate.pasted ? [candidate.number] : []));
        const pastedBlacklisted = marketing ? await blacklistedAmong(sql, locked.account_id, pastedNumbers) : new Set<string>();
        const pastedValues = withValues ? await contactValuesAmong(sql, locked.account_id, pastedNumbers) : new Map<string, RecipientValues>();

        const now = new Date();
        const planner = plannerAt(now);
        const planned: ChunkMessage[] = [];
        for (let index = 0; index < candidates.length; index++) {
          // The worker's other work (the transactional lane first) gets its turn between slices.
          if (index > 0 && index % SLICE_SIZE === 0) await nextTurn();
          const candidate = candidates[index]!;
          const numberClass = candidate.contact ? classifier.classify(candidate.number) : { country: candidate.pasted.country, type: candidate.pasted.type };
          if (numberClass === null) continue;
          const values: RecipientValues | null = candidate.contact ?? pastedValues.get(candidate.number) ?? null;
          const blacklisted = candidate.contact ? candidate.contact.blacklisted : pastedBlacklisted.has(candidate.number);
          const plan = planner.plan(candidate.number, numberClass.country, numberClass.type, values, blacklisted);
          if (plan.outcome === 'INVALID') continue;
          // Strict timing: what would wait for its window now (the window closed since the send) is refused, not held.
          planned.push(strictTiming && plan.outcome === 'SEND' && plan.held ? { ...plan, outcome: 'OUTSIDE_WINDOW' } : plan);
        }

        const covered = await coverChunk(tx, campaignId, locked, planned);
        const written = await insertMessages(tx, campaignId, locked.account_id, type, sender, covered.reservationId, planned, covered.affordable, {
          skipForeignKeyChecks: skipChecks,
          skipExisting,
          strictTiming,
        });
        const finished = end === null;
        const last = candidates.at(-1)?.number ?? after;
        await tx.$executeRaw`
          UPDATE campaign SET materialized_until = ${end ?? last}::text, materialized_cost = materialized_cost + ${formatEuros(written.cost)}::numeric,
                 materialized_at = ${finished ? now : null}::timestamptz, updated_at = now()
           WHERE id = ${campaignId}::uuid`;
        return { written: written.rows, onHold: written.onHold, finished };
      },
      { timeoutMs: 60_000 },
    ).catch((error: unknown) => {
      if (skipExisting || !isUniqueViolation(error, 'message_campaign_id_recipient_key')) throw error;
      console.warn(`[campaigns] ${campaignId}: a chunk met message rows already written; writing it again without them`);
      skipExisting = true;
      return 'again' as const;
    });
    if (chunk === 'again') continue;
    if (chunk === null) return result;
    result.chunks++;
    result.written += chunk.written;
    // The dispatchers (any process) claim the new messages now rather than at their next poll.
    if (chunk.onHold > 0) publishEvent('dispatchRequested', 'platform', { accountId: 'platform' });
    if (chunk.finished) break;
  }
  result.finished = true;
  await releaseFinishedCampaignHold(campaignId);
  return result;
}

/**
 * Makes sure the hold covers the chunk's messages: extends it when the chunk costs more than
 * what is left, and when the balance cannot cover the difference, says how many messages (in
 * order) are covered. A hold closed too early (it should not be) is replaced by a new one.
 */
async function coverChunk(
  tx: RawSql,
  campaignId: string,
  campaign: LockedCampaign,
  planned: readonly ChunkMessage[],
): Promise<{ reservationId: string | null; affordable: number }> {
  const cost = costOf(planned);
  if (cost === 0) return { reservationId: campaign.reservation_id, affordable: planned.length };
  const details = { reason: `Campaign "${campaign.name}": recipients added since it was sent`, referenceType: 'Campaign', referenceId: campaignId, author: PLATFORM };

  // Read without a lock (settlements, which lock the hold, are not held up by a chunk): only an
  // extension changes what is held, and extensions happen under the campaign's row lock.
  const hold = campaign.reservation_id
    ? (
        await tx.$queryRaw<{ held: string; state: string }[]>`
          SELECT amount_held::text AS held, state::text FROM credit_reservation WHERE id = ${campaign.reservation_id}::uuid`
      )[0]
    : undefined;
  if (hold && hold.state === 'OPEN') {
    const left = parseEuros(hold.held) - parseEuros(campaign.materialized_cost);
    if (cost <= left) return { reservationId: campaign.reservation_id, affordable: planned.length };
    try {
      await extendReservation(tx, campaign.reservation_id!, cost - left, details);
      return { reservationId: campaign.reservation_id, affordable: planned.length };
    } catch (error) {
      if (!(error instanceof InsufficientCreditError)) throw error;
      console.warn(`[campaigns] ${campaignId}: the balance does not cover recipients added since the send; the uncovered ones are not sent`);
      // Hold what the balance still covers, whole messages only; if it moved meanwhile, only what is held.
      const budget = Math.max(0, left) + parseEuros(error.available);
      const affordable = affordableCount(planned, budget);
      const extra = costOf(planned.slice(0, affordable)) - Math.max(0, left);
      if (extra > 0) {
        try {
          await extendReservation(tx, campaign.reservation_id!, extra, details);
        } catch (again) {
          if (!(again instanceof InsufficientCreditError)) throw again;
          return { reservationId: campaign.reservation_id, affordable: affordableCount(planned, Math.max(0, left)) };
        }
      }
      return { reservationId: campaign.reservation_id, affordable };
    }
  }
  // No hold (everything was free at send time) or one released before the end.
  if (hold) console.warn(`[campaigns] ${campaignId}: its hold was closed before every message was written; taking a new one`);
  try {
    const reservation = await reserveCredit(tx, campaign.account_id, cost, details);
    await tx.$executeRaw`UPDATE campaign SET reservation_id = ${reservation.id}::uuid, materialized_cost = 0 WHERE id = ${campaignId}::uuid`;
    campaign.materialized_cost = '0';
    return { reservationId: reservation.id, affordable: planned.length };
  } catch (error) {
    if (!(error instanceof InsufficientCreditError)) throw error;
    return { reservationId: campaign.reservation_id, affordable: affordableCount(planned, 0) };
  }
}

function costOf(planned: readonly ChunkMessage[]): Micros {
  return planned.reduce((sum, message) => sum + (message.outcome === 'SEND' ? message.price : 0), 0);
}

/** How many of the messages, in order, fit in `budget` (blacklisted ones cost nothing). */
function affordableCount(planned: readonly ChunkMessage[], budget: Micros): number {
  let spent = 0;
  for (let i = 0; i < planned.length; i++) {
    const message = planned[i]!;
    if (message.outcome !== 'SEND') continue;
    if (spent + message.price > budget) return i;
    spent += message.price;
  }
  return planned.length;
}

async function insertMessages(
  tx: RawSql,
  campaignId: string,
  accountId: string,
  type: 'MARKETING' | 'TRANSACTIONAL',
  sender: string,
  reservationId: string | null,
  planned: readonly ChunkMessage[],
  affordable: number,
  options: { skipForeignKeyChecks: boolean; skipExisting: boolean; strictTiming: boolean },
): Promise<{ rows: number; onHold: number; cost: Micros }> {
  const { skipForeignKeyChecks } = options;
  if (planned.length === 0) return { rows: 0, onHold: 0, cost: 0 };
  // NOT_ISSUED: beyond what the balance covers (INSUFFICIENT_CREDIT); OUTSIDE_WINDOW: written as
  // NOT_ISSUED too, with its own error code (one array for both: nothing more to send per row).
  const statuses = planned.map((message, index) =>
    message.outcome === 'BLACKLISTED' ? 'BLACKLISTED' : message.outcome === 'OUTSIDE_WINDOW' ? 'OUTSIDE_WINDOW' : index < affordable ? 'ON_HOLD' : 'NOT_ISSUED',
  );
  if (skipForeignKeyChecks) {
    // What the per-row checks of account_id and campaign_id would lock, locked once: the campaign
    // is locked by this chunk's transaction already, the account here.
    await tx.$queryRaw`SELECT 1 FROM account WHERE id = ${accountId}::uuid FOR KEY SHARE`;
    await tx.$executeRawUnsafe('SET LOCAL session_replication_role = replica');
  }
  // In slices, each its own statement (a statement's parameters are serialised in one go, on the
  // worker's event loop: tens of milliseconds for 10,000 rows), and each counted by PostgreSQL:
  // one row back rather than one per message.
  const written = { rows: 0, onHold: 0, cost: 0 };
  for (let start = 0; start < planned.length; start += SLICE_SIZE) {
    if (start > 0) await nextTurn();
    const slice = planned.slice(start, start + SLICE_SIZE);
    const inserted = await tx.$queryRawUnsafe<{ written: number; on_hold: number; cost: string }[]>(
      `WITH inserted AS (
       INSERT INTO message (account_id, campaign_id, kind, priority, strict_timing, sender, recipient, country, text, segments, price, reservation_id,
                            status, send_after, final_at, error_code)
       SELECT $1::uuid, $2::uuid, $3::"MessageKind", 1, $13::boolean, $4, r.recipient, r.country, r.text, r.segments, r.price::numeric, $5::uuid,
              (CASE WHEN r.status = 'OUTSIDE_WINDOW' THEN 'NOT_ISSUED' ELSE r.status END)::"MessageStatus", r.send_after,
              CASE WHEN r.status <> 'ON_HOLD' THEN now() END,
              CASE r.status WHEN 'NOT_ISSUED' THEN '${INSUFFICIENT_CREDIT_ERROR}' WHEN 'OUTSIDE_WINDOW' THEN '${OUTSIDE_WINDOW_ERROR}' END
         FROM unnest($6::text[], $7::text[], $8::text[], $9::int[], $10::text[], $11::text[], $12::timestamptz[])
              AS r(recipient, country, text, segments, price, status, send_after)
       ${options.skipExisting ? 'ON CONFLICT (campaign_id, recipient) DO NOTHING' : ''}
       RETURNING status, price)
       SELECT count(*)::int AS written, (count(*) FILTER (WHERE status = 'ON_HOLD'))::int AS on_hold,
              coalesce(sum(price) FILTER (WHERE status = 'ON_HOLD'), 0)::text AS cost
         FROM inserted`,
      accountId,
      campaignId,
      type,
      sender,
      reservationId,
      slice.map((message) => message.recipient),
      slice.map((message) => message.country),
      slice.map((message) => message.text),
      slice.map((message) => message.segments),
      slice.map((message) => formatEuros(message.price)),
      statuses.slice(start, start + SLICE_SIZE),
      // As ISO text, cast by the statement: no Date object per message to serialise.
      slice.map((message) => message.sendAfter.toISOString()),
      options.strictTiming,
    );
    const counted = inserted[0]!;
    written.rows += counted.written;
    written.onHold += counted.on_hold;
    written.cost += parseEuros(counted.cost);
  }
  if (skipForeignKeyChecks) await tx.$executeRawUnsafe('SET LOCAL session_replication_role = origin');
  return written;
}

const poolSql: SqlRunner = async <Row>(text: string, values: unknown[]) => (await pool.query(text, values)).rows as Row[];

/**
 * Gives back what the campaign's hold still holds once every message is written and none waits
 * any more (each in-flight one was settled when recorded). Safe to call any time, from anywhere:
 * it does nothing while a message is ON_HOLD or rows are still to be written.
 */
export async function releaseFinishedCampaignHold(campaignId: string): Promise<boolean> {
  const { rows } = await pool.query<{ reservation_id: string }>(
    `SELECT c.reservation_id::text FROM campaign c JOIN credit_reservation r ON r.id = c.reservation_id
      WHERE c.id = $1 AND r.state = 'OPEN' AND c.materialized_at IS NOT NULL
        AND NOT ${campaignMessagesWait('c.id')}`,
    [campaignId],
  );
  const reservationId = rows[0]?.reservation_id;
  if (!reservationId) return false;
  await releaseReservation(prisma, reservationId, { reason: 'Campaign finished: unused hold returned', author: PLATFORM });
  return true;
}
