import { config } from '../config.js';
import { pool, prisma, priorityPool } from '../db/client.js';
import { withIndexPlans } from '../db/index-plans.js';
import { settleQueued } from '../domain/credit/ledger.js';
import { DEFAULT_SENDING_RULES } from '../domain/messaging/default-sending-rules.js';
import { nextSendingTime, type SendingRules } from '../domain/messaging/sending-windows.js';
import { pubSub } from '../events/bus.js';
import { CarrierSubmitError, type CarrierGateway } from '../gateways/carriers/carrier.js';
import {
  applyUnmatchedReceipts,
  chargeHandedOver,
  closeAbandonedMessageHolds,
  closeFinishedReservations,
  publishStatusChanges,
  reconcileInDoubtMessages,
  registerLocalRecorder,
  type ChangedMessage,
} from './carrier-events.js';
import { settleDueNow, settleSoon } from './settlements.js';

/**
 * Hands queued messages to the carrier, as a pipeline: it keeps up to `maxInFlight` bulk
 * messages (and, on a budget of their own, `transactionalInFlight` transactional ones) in the
 * carrier gateway, claims the next batch while earlier ones are in flight, and records outcomes
 * as they come, in batches (every `recordFlushMs` or `batchSize` outcomes, one record
 * transaction at a time, which takes everything waiting, up to a bound, when the database fell
 * behind), so the carrier link never idles while the database works.
 *
 * Claiming: due messages of the dispatch queue (dispatch_queue: one row per ON_HOLD message,
 * kept by triggers on message), each lane by its own loop so that a transactional message never
 * waits behind a bulk claim, with `FOR UPDATE SKIP LOCKED` (any number of workers share the
 * queue), under a lease (`leaseSeconds`, renewed while the
 * dispatcher still holds them: on each queue row, and on the claim's row of dispatch_lease, which
 * lists its messages so that leases that ran out are found without an index on the queue's lease
 * column; see the migration `..._dispatch_lease`). The claim skips messages of CANCELLED campaigns, and ends
 * marketing messages whose recipient is on the account's blacklist as BLACKLISTED (never sent,
 * never charged). A new message wakes every dispatcher through the event bus; with nothing to
 * do they poll every `idlePollMs`. While no carrier connection is up nothing is claimed: the
 * dispatcher waits for a bind to come back, and messages the gateway could not place in time
 * (BIND_DOWN) or gave back while stopping go back to the queue without using an attempt.
 *
 * Exactly once across a crash. Every submit_sm carries our message id (a vendor TLV the carrier
 * echoes in its receipts, see carrier-events.ts). A worker killed between the socket write and
 * the record leaves its messages ON_HOLD with a lease that runs out: such a message is IN DOUBT.
 * It is not claimed again before `reconcileSeconds` after its lease ended, nor before this
 * dispatcher's carrier link has been up for `reconcileSeconds` (a carrier delivers the receipts
 * it kept for a dead session only once a session is bound again, so a worker that restarts
 * after a long outage must give them that time before it decides); meanwhile a receipt
 * naming it proves the submission and records it (TRANSMITTED, charged, then the receipt's
 * status), so it is never sent twice. One without such evidence after the delay was never sent
 * (or its carrier keeps no receipt) and is sent. A connection lost with parts in flight leaves
 * the message in doubt the same way.
 *
 * Residual risk: a carrier that accepted a submission but never sends a receipt for it (the
 * simulator's 0004 numbers; a real carrier that drops receipts, sends them later than the delay,
 * or does not echo the reference) leaves no evidence, so a message in doubt to such a number is
 * sent a second time after the delay. Also claimed messages still queued in the gateway when the worker died had not left,
 * but cannot be told apart from those that had: they wait the delay too. See the README.
 */
export interface DispatcherOptions {
  maxInFlight?: number;
  transactionalInFlight?: number;
  batchSize?: number;
  recordFlushMs?: number;
  leaseSeconds?: number;
  reconcileSeconds?: number;
  maxAttempts?: number;
  idlePollMs?: number;
  /** When marketing may go out, by recipient country: the rules every account has (sending-profile.ts) unless given. */
  sendingRules?: SendingRules;
}

/** What the dispatcher keeps of a message it sends, until its outcome is recorded (the record reads the rest). */
interface ClaimedMessage {
  id: string;
  sender: string;
  recipient: string;
  country: string | null;
  text: string;
  /** MARKETING goes out within its recipient country's sending window only (checked again when claimed). */
  kind: string;
  /** Marketing sent with strict timing: refused rather than held when its window has closed. */
  strict: boolean;
  priority: number;
  attempts: number;
  status: string;
  /** Its place in the queue order (null: blacklisted, or taken up in doubt: not where the bulk cursor stands). */
  queued_after: number | null;
}

/** A message the claim ended BLACKLISTED: what its status event and its hold need. */
interface BlacklistedMessage extends ClaimedMessage {
  account_id: string;
  reservation_id: string | null;
  campaign_id: string | null;
}

/** A row of the claim: the hold and campaign columns are only filled for blacklisted messages, the lease only for the others. */
type ClaimRow = ClaimedMessage & { [Column in 'account_id' | 'reservation_id' | 'campaign_id' | 'lease_id']: string | null };

type Lane = 'transactional' | 'bulk';

type Outcome =
  /**
   * Handed over: every part, or some before a failure (the carrier has them: charged). Final by
   * receipt or expiry; `incomplete` when a later part was refused (it can never arrive whole: NOT_ISSUED at once).
   */
  | { message: ClaimedMessage; kind: 'accepted'; connection: string; parts: string[]; byReference?: boolean; incomplete?: { code: string | null; reason: string } }
  | { message: ClaimedMessage; kind: 'refused'; code: string | null; reason: string }
  /** A temporary failure: again after a back-off, one attempt used. */
  | { message: ClaimedMessage; kind: 'retry' }
  /** Nothing left: no carrier connection, or the gateway stopping. Back to the queue, no attempt used. */
  | { message: ClaimedMessage; kind: 'released' }
  /** Not submitted: marketing outside its sending window, every route down, or the carrier throttling. Back to the queue until `until`, no attempt used. */
  | { message: ClaimedMessage; kind: 'held'; until: Date }
  /** Parts were in flight when the connection dropped: maybe at the carrier. In doubt until evidence or the delay. */
  | { message: ClaimedMessage; kind: 'in-doubt' };

export interface DispatcherStats {
  claimed: number;
  blacklisted: number;
  /** Marketing claimed after its sending window closed, given back until it opens. */
  heldForWindow: number;
  /** Queued marketing of a country whose window closed, set aside until it opens without being claimed (see `deferMarketingUntil`). */
  deferredForWindow: number;
  /** The same, sent with strict timing: refused. */
  refusedForWindow: number;
  /** Messages claimed while every route of theirs was down (another connection up), given back for a while. */
  heldForRoute: number;
  recorded: number;
  recordBatches: number;
  inFlight: { transactional: number; bulk: number };
  held: number;
}

/** Messages one record handed over, by account, kind, campaign and hold; `price` and `priced`: those with a price. */
interface TransmittedGroup {
  account_id: string;
  kind: string;
  campaign_id: string | null;
  reservation_id: string | null;
  /** Their ids, comma-separated. */
  ids: string;
  price: string;
  priced: number;
}

const RECORD_CATCH_UP = 8;
const CURSOR_RESET_MS = 5000;
/** Bounds of how long a message whose every route is down is given back for (see `routeHoldMs`). */
const ROUTE_HOLD_MIN_MS = 5000;
const ROUTE_HOLD_MAX_MS = 5 * 60_000;
/** Messages set aside for a dead route that a dispatcher remembers to release when a connection comes up (beyond: their hold ends them). */
const MAX_REMEMBERED_ROUTE_HOLDS = 100_000;
/** How long a message the carrier kept throttling waits before it is claimed again (no attempt used). */
const THROTTLED_HOLD_MS = 1000;
/** How often each dispatcher looks for sendMessage holds left open (see `closeAbandonedMessageHolds`). */
const HOLD_SWEEP_MS = 30_000;

export class Dispatcher {
  private readonly settings: Required<DispatcherOptions>;
  private running = false;
  /** Since when a carrier connection has been up without interruption (null: none is up). */
  private linkUpSince: number | null = null;
  private claimLoops: Promise<void>[] = [];
  private readonly inFlight = { transactional: 0, bulk: 0 };
  /** Claimed and not recorded yet, with when our lease ends (by our clock, approximately), its dispatch_lease row and who waits for the record. */
  private readonly held = new Map<string, { leaseUntil: number; lease: string; waiters?: (() => void)[] }>();
  /** Our dispatch_lease rows that must outlive the record of their other messages: some of theirs could not be recorded. */
  private readonly keptLeases = new Set<string>();
  private unregisterRecorder: (() => void) | null = null;
  /** Lanes whose last claim found fewer messages than asked: not claimed again before a wake-up or a poll. */
  private queueEmpty = { transactional: false, bulk: false };
  /**
   * Where the last bulk claim stopped in the queue order, with when the cursor was set. The next
   * claim starts after it rather than at the head of the queue index, where the entries of the
   * messages just claimed lie dead until vacuum (walking them made each claim slower than the
   * last in a big campaign). Reset when a claim comes short, and every CURSOR_RESET_MS, so that
   * messages given back behind it are found.
   */
  private bulkCursor: { priority: number; sendAfter: number; id: string; since: number } | null = null;
  /** Each lane's claim loop, asleep (its waiter) or woken while busy (wakeRequested). */
  private readonly lanes: Record<Lane, { waiter: (() => void) | null; wakeRequested: boolean; requests: number }> = {
    transactional: { waiter: null, wakeRequested: false, requests: 0 },
    bulk: { waiter: null, wakeRequested: false, requests: 0 },
  };
  private outcomes: Outcome[] = [];
  private oldestOutcomeAt = 0;
  private recordTimer: NodeJS.Timeout | null = null;
  private recording: Promise<void> | null = null;
  private drainedWaiters: (() => void)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribers: (() => void)[] = [];
  private readonly counters = { claimed: 0, blacklisted: 0, heldForWindow: 0, deferredForWindow: 0, refusedForWindow: 0, heldForRoute: 0, recorded: 0, recordBatches: 0 };
  /** Window closings whose queued marketing this dispatcher has set aside in bulk (`country@opening`). */
  private readonly deferredWindows = new Set<string>();
  /** Deferrals running, waited for by `stop`. */
  private readonly deferrals = new Set<Promise<void>>();
  /** Since when some carrier connection has been down (null: all up); kept with `linkUpSince` on every link change. */
  private connectionDownSince: number | null = null;
  /** Messages set aside because every route of theirs was down, released when a connection comes up. */
  private readonly heldForRoute = new Set<string>();

  constructor(
    private readonly gateway: CarrierGateway,
    options: DispatcherOptions = {},
  ) {
    this.settings = { ...config.dispatch, sendingRules: DEFAULT_SENDING_RULES, ...definedOnly(options) };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const requests = pubSub.subscribe('dispatchRequested', 'platform');
    this.unsubscribers.push(() => void requests.return?.());
    void (async () => {
      for await (const _request of requests) this.requestClaim();
    })();
    this.unsubscribers.push(
      this.gateway.onConnectionStateChange((change) => {
        this.noteLinkState();
        if (change.state === 'up') {
          this.requestClaim();
          this.releaseHeldForRoute().catch((error: unknown) => console.error('[dispatch] could not release messages held for a route:', (error as Error).message));
        }
      }),
    );
    this.noteLinkState();
    const leaseMs = this.settings.leaseSeconds * 1000;
    this.every(Math.max(200, leaseMs / 3), () => this.renewLeases());
    this.every(Math.max(200, Math.min(5000, (this.settings.reconcileSeconds * 1000) / 4)), () => this.maintain());
    this.every(HOLD_SWEEP_MS, () => closeAbandonedMessageHolds().then(() => undefined));
    this.unregisterRecorder = registerLocalRecorder(this);
    // Two loops, so that a transactional message never waits for a bulk claim to finish.
    this.claimLoops = [this.runClaims('transactional'), this.runClaims('bulk')];
  }

  private noteLinkState(): void {
    const states = this.gateway.connectionStates();
    if (!states.some((connection) => connection.boundBinds > 0)) this.linkUpSince = null;
    else this.linkUpSince ??= Date.now();
    if (states.every((connection) => connection.boundBinds > 0)) this.connectionDownSince = null;
    else this.connectionDownSince ??= Date.now();
  }

  /** In-doubt messages are decided only after the carrier has had time to deliver the receipts it kept. */
  inDoubtDecidable(): boolean {
    return this.linkUpSince !== null && Date.now() - this.linkUpSince >= this.settings.reconcileSeconds * 1000;
  }

  /**
   * Resolves once these messages, if this dispatcher holds them, have their outcome recorded (a
   * receipt faster than the record waits for it in memory rather than in `unmatched_receipt`).
   */
  whenRecorded(messageIds: readonly string[]): Promise<void> {
    const pending = messageIds.filter((id) => this.held.has(id));
    if (pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let remaining = pending.length;
      const done = () => {
        if (--remaining === 0) resolve();
      };
      for (const id of pending) (this.held.get(id)!.waiters ??= []).push(done);
    });
  }

  /** Whether this dispatcher holds the message (claimed, outcome not recorded yet). */
  holds(messageId: string): boolean {
    return this.held.has(messageId);
  }

  /**
   * Stops claiming, stops the gateway (what is in flight is answered, what has not left is given
   * back), records every outcome, then resolves. Messages whose outcome cannot be recorded stay in
   * doubt, as after a crash.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.wake('transactional');
    this.wake('bulk');
    await Promise.all(this.claimLoops);
    await this.gateway.stop();
    await this.drained();
    while (this.outcomes.length > 0 || this.recording) {
      if (this.recording) await this.recording;
      else this.startRecording();
    }
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await Promise.all(this.deferrals);
    await settleDueNow();
    this.unregisterRecorder?.();
    // Receipts still waiting for a record that will not come go the slow way.
    for (const held of this.held.values()) for (const resolve of held.waiters ?? []) resolve();
  }

  stats(): DispatcherStats {
    return { ...this.counters, inFlight: { ...this.inFlight }, held: this.held.size };
  }

  /** New messages may be due: claim now rather than at the next poll. */
  requestClaim(): void {
    for (const lane of ['transactional', 'bulk'] as const) {
      this.queueEmpty[lane] = false;
      // A claim in flight may have started before the new messages were committed: it must not
      // mark the lane empty when it returns (which lost wake-ups: a message waited for a poll).
      this.lanes[lane].requests++;
      this.wake(lane);
    }
  }

  // ---- Claiming ----

  private async runClaims(lane: Lane): Promise<void> {
    while (this.running) {
      if (!this.carrierAvailable()) {
        await this.sleep(lane, this.settings.idlePollMs);
        continue;
      }
      const limit = this.claimLimits()[lane];
      if (limit === 0) {
        await this.sleep(lane, this.settings.idlePollMs);
        continue;
      }
      const requests = this.lanes[lane].requests;
      let claimed: ClaimRow[];
      let fromCursor: boolean;
      try {
        ({ rows: claimed, fromCursor } = await this.claim(lane, limit));
      } catch (error) {
        console.error(`[dispatch] ${lane} claim failed; retrying:`, (error as Error).message);
        await this.sleep(lane, this.settings.idlePollMs);
        continue;
      }
      const blacklisted: BlacklistedMessage[] = [];
      const windows = new SendingWindowCheck(this.settings.sendingRules, new Date());
      const routeHold = this.routeHoldMs();
      let ofLane = 0;
      for (const message of claimed) {
        if (message.status === 'BLACKLISTED') {
          blacklisted.push(message as BlacklistedMessage);
          continue;
        }
        if ((message.priority === 0) === (lane === 'transactional')) ofLane++;
        const opens = windows.closedUntil(message);
        if (opens !== null) this.outsideWindow(message, opens);
        else if (routeHold !== null && this.gateway.routesDown(message.recipient, message.country)) {
          // The transactional lane never waits long (its messages are codes and alerts).
          this.holdUntil(message, new Date(Date.now() + (message.priority === 0 ? ROUTE_HOLD_MIN_MS : routeHold)), 'route');
        } else this.submit(message);
      }
      this.counters.claimed += claimed.length - blacklisted.length;
      if (ofLane < limit && fromCursor) {
        // Short after the cursor: messages given back or rescheduled may wait behind it. From
        // the head of the queue at once, before calling the lane empty.
        this.bulkCursor = null;
      } else if (this.lanes[lane].requests === requests) {
        this.queueEmpty[lane] = ofLane < limit;
      }
      if (blacklisted.length > 0) await this.endBlacklisted(blacklisted);
    }
  }

  private carrierAvailable(): boolean {
    return this.gateway.connectionStates().some((connection) => connection.state === 'up');
  }

  /** How many messages of each lane to claim now (0: not now). */
  private claimLimits(): { transactional: number; bulk: number } {
    const { batchSize, maxInFlight, transactionalInFlight } = this.settings;
    const transactional = this.queueEmpty.transactional ? 0 : Math.min(batchSize, transactionalInFlight - this.inFlight.transactional);
    const bulkFree = maxInFlight - this.inFlight.bulk;
    // Outcomes waiting for the database: when it falls behind, claiming more only grows them.
    const unrecorded = this.held.size - this.inFlight.transactional - this.inFlight.bulk;
    const worthClaiming = bulkFree >= Math.min(batchSize, Math.ceil(maxInFlight / 4));
    const bulk = this.queueEmpty.bulk || !worthClaiming || unrecorded > RECORD_CATCH_UP * batchSize ? 0 : Math.min(batchSize, bulkFree);
    return { transactional: Math.max(0, transactional), bulk };
  }

  /**
   * One statement per claim of a lane (each lane has its own loop). A message is due when queued, its time has come, and it is not
   * held: never claimed or given back (claimed_until null), or in doubt for longer than the
   * reconciliation delay (its lease ended that long ago without a recorded outcome: the leases
   * that ran out, in dispatch_lease, list them; oldest first, ahead of the rest). Each claim
   * writes one lease row listing what it took, ending when their queue rows' leases do.
   */
  private async claim(lane: Lane, limit: number): Promise<{ rows: ClaimRow[]; fromCursor: boolean }> {
    if (this.bulkCursor && Date.now() - this.bulkCursor.since > CURSOR_RESET_MS) this.bulkCursor = null;
    const cursor = lane === 'bulk' ? this.bulkCursor : null;
    const limits = { transactional: lane === 'transactional' ? limit : 0, bulk: lane === 'bulk' ? limit : 0 };
    const live = `(q.campaign_id IS NULL OR NOT EXISTS (SELECT 1 FROM campaign c WHERE c.id = q.campaign_id AND c.status = 'CANCELLED'))`;
    // Times are compared with LOCALTIMESTAMP (the columns have no time zone; the session's is
    // UTC), computed once, rather than with now(), which converted every row it passed.
    const fresh = (lane: string) => `
      SELECT q.message_id, q.ctid AS queue_row FROM dispatch_queue q
       WHERE q.claimed_until IS NULL AND ${lane} AND q.send_after <= localtimestamp AND ${live}
       ORDER BY q.priority, q.send_after, q.message_id`;
    // Queue times travel as epoch milliseconds (exact both ways: the column keeps milliseconds).
    const bulkLane = cursor
      ? `q.priority > 0 AND (q.priority, q.send_after, q.message_id) > ($6::smallint, timestamp 'epoch' + $7::bigint * interval '1 millisecond', $8::bigint)`
      : 'q.priority > 0';
    // The bulk claim walks the queue in order: planned with index lookups whatever the statistics
    // (three round trips). The transactional one reads a few rows of a small lane: one round trip,
    // on a connection of its own.
    const run = (text: string, values: unknown[]) =>
      lane === 'bulk'
        ? withIndexPlans((sql) => sql.$queryRawUnsafe<ClaimRow[]>(text, ...values))
        : priorityPool.query<ClaimRow>(text, values).then((result) => result.rows);
    const rows = await run(
      `WITH doubt AS (
              SELECT q.message_id, q.ctid AS queue_row FROM dispatch_queue q
               WHERE $5::boolean
                 AND q.message_id IN (SELECT i.id FROM dispatch_lease l CROSS JOIN unnest(l.message_ids) AS i(id)
                                       WHERE l.claimed_until < localtimestamp - make_interval(secs => $3::int))
                 AND q.claimed_until IS NOT NULL AND q.claimed_until < localtimestamp - make_interval(secs => $3::int) AND ${live}
               ORDER BY q.claimed_until LIMIT $1::int + $2::int FOR UPDATE SKIP LOCKED),
            transactional AS (${fresh('q.priority = 0')} LIMIT $1 FOR UPDATE SKIP LOCKED),
            bulk AS (${fresh(bulkLane)} LIMIT $2 FOR UPDATE SKIP LOCKED),
            -- What a submit_sm needs is read here, once: the update below returns it.
            picked AS (
              SELECT m.id, m.sender, m.recipient, m.country, m.text, m.kind, m.strict_timing, m.priority, m.status, p.queue_row, p.in_doubt, m.kind = 'MARKETING' AND EXISTS (
                       SELECT 1 FROM blacklist_entry b WHERE b.account_id = m.account_id AND b.number = m.recipient) AS blacklisted
                FROM (SELECT message_id, queue_row, true AS in_doubt FROM doubt
                      UNION ALL SELECT message_id, queue_row, false FROM transactional UNION ALL SELECT message_id, queue_row, false FROM bulk) p
                JOIN message m ON m.id = p.message_id),
            -- The queue rows are locked above, so their ctid (the locked version's) is still theirs:
            -- each row is reached by its ctid rather than by a second walk of the key's index.
            -- Invariant: a queue row that another transaction changes while this statement runs
            -- is not claimable afterwards (a lease, a later send_after, or gone). Were it still
            -- claimable, its new version (committed after this statement's snapshot) would not be
            -- found by its ctid: the row would miss this claim (not claimed, not returned).
            claimed AS (
              UPDATE dispatch_queue q SET claimed_until = localtimestamp + make_interval(secs => $4::int), attempts = q.attempts + 1
                FROM picked p WHERE q.ctid = p.queue_row AND q.message_id = p.id AND NOT p.blacklisted
              RETURNING q.message_id, p.sender, p.recipient, p.country, p.text, p.kind, p.strict_timing, p.priority, p.status, q.attempts,
                        CASE WHEN p.in_doubt THEN NULL ELSE q.send_after END AS send_after),
            -- The same end as the queue rows' (localtimestamp is the statement's).
            lease AS (
              INSERT INTO dispatch_lease (claimed_until, message_ids)
              SELECT localtimestamp + make_interval(secs => $4::int), array_agg(message_id) FROM claimed HAVING count(*) > 0
              RETURNING id),
            blacklisted AS (
              UPDATE message m SET status = 'BLACKLISTED', final_at = now()
                FROM picked p WHERE m.id = p.id AND p.blacklisted AND m.status = 'ON_HOLD'
              RETURNING m.id, m.account_id, m.kind, m.sender, m.recipient, m.country, m.text, m.priority, m.reservation_id, m.campaign_id)
       -- A message sent needs no more than what goes into its submit_sm (its record reads the rest).
       SELECT c.message_id::text AS id, NULL::text AS account_id, c.kind::text, c.strict_timing AS strict, c.sender, c.recipient, c.country, c.text, c.priority,
              NULL::text AS reservation_id, NULL::text AS campaign_id, c.attempts::int AS attempts,
              (extract(epoch FROM c.send_after) * 1000)::float8 AS queued_after, c.status::text AS status,
              (SELECT id::text FROM lease) AS lease_id
         FROM claimed c
       UNION ALL
       SELECT b.id::text, b.account_id::text, b.kind::text, false, b.sender, b.recipient, b.country, b.text, b.priority,
              b.reservation_id::text, b.campaign_id::text, 0, NULL::float8, 'BLACKLISTED', NULL
         FROM blacklisted b`,
      [
        limits.transactional,
        limits.bulk,
        this.settings.reconcileSeconds,
        this.settings.leaseSeconds,
        // Messages in doubt (either lane, rare) are taken up by the bulk loop.
        lane === 'bulk' && this.inDoubtDecidable(),
        ...(cursor ? [cursor.priority, cursor.sendAfter, cursor.id] : []),
      ],
    );
    let last: ClaimRow | null = null;
    for (const message of rows) {
      if (message.priority === 0 || message.queued_after === null) continue;
      if (last === null || compareQueueOrder(message, last) > 0) last = message;
    }
    if (last) this.bulkCursor = { priority: last.priority, sendAfter: last.queued_after as number, id: last.id, since: cursor?.since ?? Date.now() };
    const leaseUntil = Date.now() + this.settings.leaseSeconds * 1000;
    for (const message of rows) if (message.lease_id !== null) this.held.set(message.id, { leaseUntil, lease: message.lease_id });
    // Oldest first within each lane, transactional first, as the queue order says.
    return { rows: rows.sort((a, b) => a.priority - b.priority || compareIds(a.id, b.id)), fromCursor: cursor !== null };
  }

  private async endBlacklisted(messages: BlacklistedMessage[]): Promise<void> {
    this.counters.blacklisted += messages.length;
    publishStatusChanges(messages.map(({ id, account_id, status, kind, campaign_id }) => ({ id, account_id, status, kind, campaign_id })));
    await this.closeReservations(messages).catch((error: unknown) => console.error('[dispatch] could not close finished holds:', (error as Error).message));
  }

  // ---- Submitting ----

  private submit(message: ClaimedMessage): void {
    const lane: Lane = message.priority === 0 ? 'transactional' : 'bulk';
    this.inFlight[lane]++;
    this.gateway
      .submit({
        id: message.id,
        reference: message.id,
        from: message.sender,
        to: message.recipient,
        text: message.text,
        priority: lane,
        requestReceipt: true,
        country: message.country,
      })
      .then(
        (accepted): Outcome => ({
          message,
          kind: 'accepted',
          connection: accepted.connection,
          parts: accepted.carrierMessageIds,
          // Its receipt will name it: the carrier id goes on the message row, no carrier_part row.
          byReference: accepted.receiptsCarryReference === true && accepted.carrierMessageIds.length === 1,
        }),
        (error: unknown) => this.outcomeOfFailure(message, error),
      )
      .then((outcome) => this.collect(lane, outcome));
  }

  private outcomeOfFailure(message: ClaimedMessage, error: unknown): Outcome {
    if (!(error instanceof CarrierSubmitError)) {
      console.error(`[dispatch] message ${message.id}: unexpected submit failure; retrying later:`, error);
      return { message, kind: 'retry' };
    }
    if (error.acceptedCarrierMessageIds.length > 0) {
      // Some parts left. When others were in flight as the connection dropped, their receipts
      // decide; when none was (one refused, or the rest never left), the message cannot arrive whole.
      const inDoubt = (error.details.unconfirmedParts ?? 0) > 0;
      const incomplete = inDoubt ? undefined : { code: statusCodeOf(error), reason: error.reason };
      return { message, kind: 'accepted', connection: error.connection ?? '', parts: error.acceptedCarrierMessageIds, incomplete };
    }
    if (error.outcomeUnknown) return { message, kind: 'in-doubt' };
    if (error.reason === 'BIND_DOWN' || error.reason === 'STOPPING') return { message, kind: 'released' };
    // Throttled past the bind's patience (ESME_RTHROTTLED that many times in a row): the carrier
    // asked the link to slow down, it did not refuse the message. Back to the queue for a moment,
    // no attempt used, so that a long throttling spell delays messages but never ends one
    // NOT_ISSUED (SPEC section 6). ESME_RMSGQFUL can be one recipient's full queue: retried with
    // back-off, using attempts, below.
    if (error.reason === 'THROTTLED') return { message, kind: 'held', until: new Date(Date.now() + THROTTLED_HOLD_MS) };
    if (error.permanent || message.attempts >= this.settings.maxAttempts) {
      return { message, kind: 'refused', code: statusCodeOf(error), reason: error.reason };
    }
    return { message, kind: 'retry' };
  }

  /**
   * Not submitted now, given back to the queue until `until` without using an attempt: marketing
   * whose sending window closed while it waited (a campaign longer than the window, an outage
   * across its end), until the window opens; a message whose every route is down (another
   * connection being up), for a while, so that it does not take the place of messages that can
   * go (it would wait in the gateway, then come back to the head of the queue).
   */
  private holdUntil(message: ClaimedMessage, until: Date, why: 'window' | 'route'): void {
    if (why === 'window') {
      this.counters.heldForWindow++;
    } else {
      this.counters.heldForRoute++;
      if (this.heldForRoute.size < MAX_REMEMBERED_ROUTE_HOLDS) this.heldForRoute.add(message.id);
    }
    this.queueOutcome({ message, kind: 'held', until });
  }

  /**
   * The first marketing message found after its country's window closed: the others queued for
   * that country are set aside until the window opens in a few set-based statements (once per
   * closing and dispatcher), rather than each claimed just to be given back.
   */
  private deferWindowClosing(country: string | null, opens: Date): void {
    const key = `${country}@${opens.getTime()}`;
    if (this.deferredWindows.has(key)) return;
    if (this.deferredWindows.size > 1000) this.deferredWindows.clear();
    this.deferredWindows.add(key);
    const deferral = deferMarketingUntil(country, opens, () => this.running)
      .then((moved) => void (this.counters.deferredForWindow += moved))
      .catch((error: unknown) => {
        // Not fatal: those messages are held one by one as they are claimed.
        this.deferredWindows.delete(key);
        console.error(`[dispatch] could not set aside the marketing queued for ${country ?? 'unknown countries'}:`, (error as Error).message);
      })
      .finally(() => this.deferrals.delete(deferral));
    this.deferrals.add(deferral);
  }

  /**
   * Marketing claimed after its sending window closed (a campaign longer than the window, an
   * outage across its end): held until the window opens, with the rest of its country's queued
   * marketing; or, sent with strict timing, refused rather than sent later (SPEC section 4), its
   * hold released like any message that ends unsent.
   */
  private outsideWindow(message: ClaimedMessage, opens: Date): void {
    if (message.strict) {
      this.counters.refusedForWindow++;
      this.queueOutcome({ message, kind: 'refused', code: 'OUTSIDE_SENDING_WINDOW', reason: 'OUTSIDE_SENDING_WINDOW' });
      return;
    }
    this.holdUntil(message, opens, 'window');
    this.deferWindowClosing(message.country, opens);
  }

  /**
   * A connection came up: the messages this dispatcher set aside for a dead route are due again
   * now rather than when their hold ends (up to minutes), and the next claims take them; those
   * whose route is still down are set aside again.
   */
  private async releaseHeldForRoute(): Promise<void> {
    if (this.heldForRoute.size === 0) return;
    const ids = [...this.heldForRoute];
    this.heldForRoute.clear();
    // Not those set aside longer since (until a sending window opens): still not due. Rows another
    // statement holds (a claim, a deferral) are left to it rather than waited for.
    await pool.query(
      `UPDATE dispatch_queue q SET send_after = localtimestamp
        WHERE q.message_id IN (SELECT message_id FROM dispatch_queue
                                WHERE message_id = ANY($1::bigint[]) AND claimed_until IS NULL
                                  AND send_after > localtimestamp AND send_after <= localtimestamp + make_interval(secs => $2::int)
                                FOR UPDATE SKIP LOCKED)`,
      [ids, ROUTE_HOLD_MAX_MS / 1000],
    );
    this.requestClaim();
  }

  /**
   * How long a message whose every route is down waits before it is claimed again: as long as a
   * connection has been down, from 5 s to 5 minutes (a short outage costs little delay, a long
   * one few claims). null while every connection is up.
   */
  private routeHoldMs(): number | null {
    if (this.connectionDownSince === null) return null;
    return Math.min(ROUTE_HOLD_MAX_MS, Math.max(ROUTE_HOLD_MIN_MS, Date.now() - this.connectionDownSince));
  }

  private collect(lane: Lane, outcome: Outcome): void {
    this.inFlight[lane]--;
    this.queueOutcome(outcome);
    if (this.inFlight.transactional + this.inFlight.bulk === 0) for (const resolve of this.drainedWaiters.splice(0)) resolve();
    this.wakeIfClaimable();
  }

  private queueOutcome(outcome: Outcome): void {
    if (this.outcomes.length === 0) this.oldestOutcomeAt = Date.now();
    this.outcomes.push(outcome);
    this.scheduleRecord();
  }

  private drained(): Promise<void> {
    if (this.inFlight.transactional + this.inFlight.bulk === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  // ---- Recording ----

  private scheduleRecord(): void {
    if (this.recording || this.outcomes.length === 0) return;
    if (this.outcomes.length >= this.settings.batchSize) {
      this.startRecording();
      return;
    }
    this.recordTimer ??= setTimeout(
      () => {
        this.recordTimer = null;
        this.startRecording();
      },
      Math.max(0, this.oldestOutcomeAt + this.settings.recordFlushMs - Date.now()),
    );
  }

  private startRecording(): void {
    if (this.recording || this.outcomes.length === 0) return;
    if (this.recordTimer) clearTimeout(this.recordTimer);
    this.recordTimer = null;
    // When the database fell behind, one transaction takes what waits (up to a bound): its fixed
    // costs (commit, settlement, holds) are then shared by more messages, so it catches up.
    const batch = this.outcomes.splice(0, RECORD_CATCH_UP * this.settings.batchSize);
    if (this.outcomes.length > 0) this.oldestOutcomeAt = Date.now();
    this.recording = this.recordWithRetries(batch).finally(() => {
      this.recording = null;
      this.scheduleRecord();
      this.wakeIfClaimable();
    });
  }

  private async recordWithRetries(batch: Outcome[]): Promise<void> {
    let recorded = false;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.record(batch);
        recorded = true;
        break;
      } catch (error) {
        if (!this.running && attempt >= 3) {
          console.error(`[dispatch] could not record ${batch.length} outcome(s) while stopping; they stay in doubt:`, (error as Error).message);
          break;
        }
        console.error(`[dispatch] recording ${batch.length} outcome(s) failed (attempt ${attempt}); retrying:`, (error as Error).message);
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 50 * 2 ** attempt)));
      }
    }
    for (const outcome of batch) {
      const held = this.held.get(outcome.message.id);
      this.held.delete(outcome.message.id);
      // Not recorded: in doubt under this lease, whose row must stay (a record of the lease's
      // other messages must not delete it; the sweep does once none is in doubt any more).
      if (held && !recorded) this.keptLeases.add(held.lease);
      for (const resolve of held?.waiters ?? []) resolve();
    }
  }

  /**
   * Our leases that no message outside this batch is held under any more: their rows go with the
   * record. (A message taken up in doubt while we still held it is held under its new lease.)
   */
  private leasesEndedBy(batch: readonly Outcome[]): string[] {
    const inBatch = new Set(batch.map((outcome) => outcome.message.id));
    const ended = new Set<string>();
    for (const id of inBatch) {
      const lease = this.held.get(id)?.lease;
      if (lease !== undefined && !this.keptLeases.has(lease)) ended.add(lease);
    }
    if (ended.size === 0) return [];
    for (const [id, held] of this.held) if (!inBatch.has(id)) ended.delete(held.lease);
    return [...ended];
  }

  /** Writes a batch of outcomes in one transaction, charges what reached the carrier, then publishes and closes finished holds. */
  private async record(batch: Outcome[]): Promise<void> {
    const accepted = batch.flatMap((outcome) => (outcome.kind === 'accepted' ? [outcome] : []));
    const others = batch.filter((outcome) => outcome.kind !== 'accepted');
    const parts = accepted.flatMap((outcome) =>
      outcome.parts.map((part) => ({ connection: outcome.connection, carrierMessageId: part, messageId: outcome.message.id, onMessageRow: outcome.byReference === true })),
    );

    const endedLeases = this.leasesEndedBy(batch);

    // On a pg client of its own rather than through Prisma (see db/raw-sql.ts): this runs for
    // every batch of hand-overs, with a parameter of a thousand records.
    const { changed, reservations } = await withIndexPlans(async (tx) => {
      const changed: ChangedMessage[] = [];
      const reservations = new Map<string, string | null>();
      if (accepted.length > 0) {
        // Only the rows this statement moves are charged: a message that its receipt already
        // recorded (carrier-events.ts) is not charged twice. Parts are attached either way: on
        // the message row when its receipt will carry our reference, in carrier_part otherwise.
        // What moved comes back grouped (the campaign's account, kind and hold are the same for all
        // its messages): a few rows, not one per message.
        const groups = await tx.$queryRawUnsafe<TransmittedGroup[]>(
          `WITH parts AS (
             INSERT INTO carrier_part (connection, carrier_message_id, message_id)
             SELECT * FROM json_to_recordset($2::json) AS p(connection text, carrier_message_id text, message_id bigint)
             ON CONFLICT DO NOTHING
           ), t AS (
             SELECT * FROM json_to_recordset($1::json) AS t(id bigint, connection text, attempts smallint, carrier_message_id text, accepted_parts int)
           ), transmitted AS (
             -- A message some of whose parts were refused (accepted_parts set, at least one) costs
             -- the parts that left: its price becomes that share (to the micro-euro, rounded down).
             UPDATE message m
                SET status = 'TRANSMITTED', submitted_at = now(), connection = t.connection, charged = m.price > 0, attempts = t.attempts,
                    carrier_message_id = t.carrier_message_id,
                    price = CASE WHEN t.accepted_parts < m.segments THEN trunc(m.price * t.accepted_parts / m.segments, 6) ELSE m.price END
               FROM t
              WHERE m.id = t.id AND m.status = 'ON_HOLD'
             RETURNING m.id, m.account_id, m.kind, m.campaign_id, m.reservation_id, m.price
           )
           SELECT account_id::text, kind::text, campaign_id::text, reservation_id::text, string_agg(id::text, ',') AS ids,
                  coalesce(sum(price) FILTER (WHERE price > 0), 0)::text AS price, (count(*) FILTER (WHERE price > 0))::int AS priced
             FROM transmitted GROUP BY account_id, kind, campaign_id, reservation_id`,
          JSON.stringify(
            accepted.map((outcome) => ({
              id: outcome.message.id,
              connection: outcome.connection,
              attempts: outcome.message.attempts,
              carrier_message_id: outcome.byReference ? outcome.parts[0] : null,
              accepted_parts: outcome.incomplete ? outcome.parts.length : null,
            })),
          ),
          JSON.stringify(
            parts
              .filter((part) => !part.onMessageRow)
              .map((part) => ({ connection: part.connection, carrier_message_id: part.carrierMessageId, message_id: part.messageId })),
          ),
        );
        await chargeHandedOver(
          tx,
          groups.map((group) => ({ account_id: group.account_id, reservation_id: group.reservation_id, price: group.price, count: group.priced })),
        );
        for (const group of groups) {
          const { account_id, kind, campaign_id } = group;
          for (const id of group.ids.split(',')) changed.push({ id, account_id, status: 'TRANSMITTED', kind, campaign_id });
          if (group.reservation_id) reservations.set(group.reservation_id, campaign_id);
        }
        const incomplete = accepted.filter((outcome) => outcome.incomplete !== undefined);
        if (incomplete.length > 0) {
          // Parts handed over (charged for those, above), a later one refused: the handset can
          // never show the message whole. Final now rather than TRANSMITTED until the 48 h expiry;
          // the receipts of the parts that left change nothing (kept on their carrier_part rows).
          changed.push(
            ...(await tx.$queryRawUnsafe<ChangedMessage[]>(
              `UPDATE message m SET status = 'NOT_ISSUED', final_at = now(), carrier_status = 'INCOMPLETE', error_code = t.code
                 FROM json_to_recordset($1::json) AS t(id bigint, code text)
                WHERE m.id = t.id AND m.status = 'TRANSMITTED'
               RETURNING m.id::text, m.account_id::text, m.status::text, m.kind::text, m.campaign_id::text`,
              JSON.stringify(incomplete.map((outcome) => ({ id: outcome.message.id, code: outcome.incomplete?.code ?? null }))),
            )),
          );
        }
      }
      if (others.length > 0) {
        // Refused: final (the trigger takes the message out of the queue). The others stay queued:
        // given back (held: until the sending window opens), retried after a back-off, or in doubt (the lease ends now, so the
        // reconciliation delay starts now; a lease row ending now lists them, as our claim's
        // goes with this record).
        const refused = await tx.$queryRawUnsafe<(ChangedMessage & { reservation_id: string | null })[]>(
          `WITH t AS (
             SELECT * FROM json_to_recordset($1::json) AS t(id bigint, kind text, code text, reason text, attempts smallint, until timestamptz)
           ), queued AS (
             UPDATE dispatch_queue q
                SET claimed_until = CASE WHEN t.kind = 'in-doubt' THEN now() END,
                    attempts = CASE WHEN t.kind IN ('released', 'held') THEN greatest(q.attempts - 1, 0) ELSE q.attempts END,
                    -- Back off exponentially per attempt (2 s, 4 s, ... capped at 5 minutes).
                    send_after = CASE WHEN t.kind = 'retry' THEN now() + make_interval(secs => least(300, power(2, q.attempts)::int))
                                      WHEN t.kind = 'held' THEN t.until ELSE q.send_after END
               FROM t WHERE q.message_id = t.id AND t.kind <> 'refused'
             RETURNING q.message_id
           ), doubt AS (
             INSERT INTO dispatch_lease (claimed_until, message_ids)
             SELECT now(), array_agg(t.id) FROM t WHERE t.kind = 'in-doubt' HAVING count(*) > 0
           )
           UPDATE message m
              SET status = 'NOT_ISSUED', final_at = now(), error_code = t.code, carrier_status = t.reason, attempts = t.attempts
             FROM t
            WHERE m.id = t.id AND t.kind = 'refused' AND m.status = 'ON_HOLD'
           RETURNING m.id::text, m.account_id::text, m.status::text, m.kind::text, m.campaign_id::text, m.reservation_id::text`,
          JSON.stringify(
            others.map((outcome) => ({
              id: outcome.message.id,
              kind: outcome.kind,
              code: outcome.kind === 'refused' ? outcome.code : null,
              reason: outcome.kind === 'refused' ? outcome.reason : null,
              attempts: outcome.message.attempts,
              until: outcome.kind === 'held' ? outcome.until.toISOString() : null,
            })),
          ),
        );
        for (const row of refused) {
          if (row.status !== 'NOT_ISSUED') continue;
          changed.push({ id: row.id, account_id: row.account_id, status: row.status, kind: row.kind, campaign_id: row.campaign_id });
          if (row.reservation_id) reservations.set(row.reservation_id, row.campaign_id);
        }
      }
      if (endedLeases.length > 0) await tx.$executeRawUnsafe(`DELETE FROM dispatch_lease WHERE id = ANY($1::bigint[])`, endedLeases);
      // Receipts that were faster than this record.
      const early = await applyUnmatchedReceipts(tx, parts);
      changed.push(...early.changed);
      for (const [id, campaign] of early.reservations) reservations.set(id, campaign);
      return { changed, reservations };
    });

    this.counters.recorded += batch.length;
    this.counters.recordBatches++;
    publishStatusChanges(changed);
    // What was queued for settlement in the record, settled within a second in short
    // transactions (a failure leaves it queued: the next round, or the release of the hold, applies it).
    settleSoon(reservations.keys());
    await closeFinishedReservations(reservations).catch((error: unknown) => console.error('[dispatch] could not close finished holds:', (error as Error).message));
  }

  private closeReservations(messages: readonly BlacklistedMessage[]): Promise<void> {
    const reservations = new Map<string, string | null>();
    for (const message of messages) if (message.reservation_id) reservations.set(message.reservation_id, message.campaign_id);
    return closeFinishedReservations(reservations);
  }

  // ---- Leases and maintenance ----

  /** Extends the leases of what this dispatcher still holds before they run out (a slow carrier, a slow database). */
  private async renewLeases(): Promise<void> {
    const leaseMs = this.settings.leaseSeconds * 1000;
    const now = Date.now();
    const due = [...this.held].filter(([, held]) => held.leaseUntil - now < (2 * leaseMs) / 3).map(([id]) => id);
    if (due.length === 0) return;
    const leases = [...new Set(due.map((id) => this.held.get(id)!.lease))];
    // Only live leases: one that ran out (this process stalled) may be in reconciliation already.
    // A lease row and the queue rows still held under it (the same end: a record may have put a
    // row in doubt meanwhile, or another dispatcher taken it up under a lease of its own, which
    // a renewal must not extend past that lease's row) end at the same new time.
    await pool.query(
      `WITH held AS (
         SELECT id, claimed_until, message_ids FROM dispatch_lease WHERE id = ANY($3::bigint[]) AND claimed_until > now() FOR UPDATE
       ), leases AS (
         UPDATE dispatch_lease l SET claimed_until = now() + make_interval(secs => $2::int) FROM held WHERE l.id = held.id
       )
       UPDATE dispatch_queue q SET claimed_until = now() + make_interval(secs => $2::int)
         FROM held
        WHERE q.message_id = ANY(held.message_ids) AND q.message_id = ANY($1::bigint[]) AND q.claimed_until = held.claimed_until`,
      [due, this.settings.leaseSeconds, leases],
    );
    for (const id of due) {
      const held = this.held.get(id);
      if (held) held.leaseUntil = now + leaseMs;
    }
  }

  private async maintain(): Promise<void> {
    await reconcileInDoubtMessages(Math.min(2, this.settings.reconcileSeconds / 4));
    await deleteSpentLeases();
    // Settlements left queued by a failure or a crash between a record and its settlement.
    await settleQueued(prisma);
  }

  private every(ms: number, task: () => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || !this.running) return;
      busy = true;
      task()
        .catch((error: unknown) => console.error('[dispatch] background task failed:', (error as Error).message))
        .finally(() => (busy = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  // ---- Waiting ----

  private wakeIfClaimable(): void {
    if (!this.running) return;
    const limits = this.claimLimits();
    for (const lane of ['transactional', 'bulk'] as const) if (this.lanes[lane].waiter && limits[lane] > 0) this.wake(lane);
  }

  private wake(lane: Lane): void {
    const state = this.lanes[lane];
    if (state.waiter) state.waiter();
    else state.wakeRequested = true;
  }

  /** Until woken, or `ms` (a poll: the queue may have due messages again). */
  private sleep(lane: Lane, ms: number): Promise<void> {
    const state = this.lanes[lane];
    if (state.wakeRequested || !this.running) {
      state.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        state.waiter = null;
        this.queueEmpty[lane] = false;
        resolve();
      }, ms);
      state.waiter = () => {
        clearTimeout(timer);
        state.waiter = null;
        resolve();
      };
    });
  }
}

/** What one statement of `deferMarketingUntil` moved, and the last queue row it looked at (nulls: none). */
interface DeferredBatch {
  moved: number;
  priority: number | null;
  send_after: string | null;
  message_id: string | null;
}

/** Queue rows looked at per statement of `deferMarketingUntil`. */
const DEFER_BATCH = 5000;

/**
 * Sets aside until `opens` the marketing queued for `country` (null: numbers of no known country)
 * that is due before then, unclaimed and without strict timing (that is refused when claimed).
 * One walk of the due queue in its order, a batch of rows per statement, so that a long queue is
 * read once and no row stays locked long. Returns how many messages it moved.
 */
export async function deferMarketingUntil(country: string | null, opens: Date, keepGoing: () => boolean = () => true): Promise<number> {
  let moved = 0;
  let after: { priority: number; send_after: string; message_id: string } | null = null;
  while (keepGoing()) {
    const { rows }: { rows: DeferredBatch[] } = await pool.query<DeferredBatch>(
      `WITH scanned AS (
         SELECT q.message_id, q.priority, q.send_after FROM dispatch_queue q
          WHERE q.claimed_until IS NULL AND q.priority > 0 AND q.send_after < ($2::timestamptz AT TIME ZONE 'UTC')
            AND ($3::smallint IS NULL OR (q.priority, q.send_after, q.message_id) > ($3::smallint, $4::timestamp, $5::bigint))
          ORDER BY q.priority, q.send_after, q.message_id LIMIT $6),
       moved AS (
         UPDATE dispatch_queue q SET send_after = ($2::timestamptz AT TIME ZONE 'UTC')
           FROM scanned s JOIN message m ON m.id = s.message_id
          WHERE q.message_id = s.message_id AND q.claimed_until IS NULL AND q.send_after < ($2::timestamptz AT TIME ZONE 'UTC')
            AND m.kind = 'MARKETING' AND m.country IS NOT DISTINCT FROM $1::text AND NOT m.strict_timing AND m.status = 'ON_HOLD'
         RETURNING 1),
       last AS (SELECT priority, send_after, message_id FROM scanned ORDER BY priority DESC, send_after DESC, message_id DESC LIMIT 1)
       SELECT (SELECT count(*) FROM moved)::int AS moved, last.priority::int, to_char(last.send_after, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS send_after,
              last.message_id::text
         FROM (SELECT 1) one LEFT JOIN last ON true`,
      [country, opens.toISOString(), after?.priority ?? null, after?.send_after ?? null, after?.message_id ?? null, DEFER_BATCH],
    );
    const row: DeferredBatch = rows[0]!;
    moved += row.moved;
    if (row.message_id === null) return moved;
    after = { priority: row.priority!, send_after: row.send_after!, message_id: row.message_id };
  }
  return moved;
}

/**
 * Lease rows that ran out and list no message still held under them (recorded since, taken up
 * again under a later lease, or gone): left by a dispatcher that died, or whose record of them
 * went without deleting its lease. A message in doubt keeps its lease row until it is decided.
 */
export async function deleteSpentLeases(): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM dispatch_lease l
      WHERE l.claimed_until < localtimestamp
        AND NOT EXISTS (SELECT 1 FROM dispatch_queue q WHERE q.message_id = ANY (l.message_ids) AND q.claimed_until <= l.claimed_until)`,
  );
  return rowCount ?? 0;
}

function compareQueueOrder(a: ClaimedMessage, b: ClaimedMessage): number {
  return a.priority - b.priority || (a.queued_after as number) - (b.queued_after as number) || compareIds(a.id, b.id);
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** The carrier's command_status of a refusal as the message keeps it (`0x45`), null when it did not answer. */
function statusCodeOf(error: CarrierSubmitError): string | null {
  return error.commandStatus === null ? null : `0x${error.commandStatus.toString(16)}`;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * Whether marketing may go out now, per recipient country (SPEC section 4: France Monday to
 * Saturday 08:00-20:00, not on public holidays). A message's send time was set within its window
 * when it was written; this checks again when it is claimed. One answer per country and claim.
 */
class SendingWindowCheck {
  private readonly opens = new Map<string | null, Date | null>();

  constructor(
    private readonly rules: SendingRules,
    private readonly now: Date,
  ) {}

  /** null when the message may go out now; else when its window opens. */
  closedUntil(message: ClaimedMessage): Date | null {
    if (message.kind !== 'MARKETING') return null;
    let opens = this.opens.get(message.country);
    if (opens === undefined) {
      const next = nextSendingTime('MARKETING', message.country, this.now, this.rules);
      opens = next.getTime() > this.now.getTime() ? next : null;
      this.opens.set(message.country, opens);
    }
    return opens;
  }
}
