import { pool, prisma } from '../db/client.js';
import { PLATFORM, releaseReservation, settleReservation } from '../domain/credit/ledger.js';
import { parseEuros } from '../domain/messaging/prices.js';
import { pubSub } from '../events/bus.js';
import { CarrierSubmitError, type CarrierGateway, type SubmitAccepted } from '../gateways/carriers/carrier.js';
import { applyUnmatchedReceipts, publishStatusChanges } from './carrier-events.js';

/**
 * Hands queued messages to the carrier. Each round claims a batch of due ON_HOLD messages with
 * `FOR UPDATE SKIP LOCKED` (so any number of worker processes share the queue), transactional
 * lane first, under a lease; submits them concurrently through the gateway (whose windows and
 * rate caps pace the link); then records the outcomes in a few set-based statements and charges
 * what was handed over against each message's reservation. A process that dies mid-batch loses
 * its lease and the messages are claimed again (see the README for what that means at the
 * carrier). Wake-ups come through the event bus, so a new message does not wait for a poll.
 */
export interface DispatcherOptions {
  batchSize?: number;
  leaseSeconds?: number;
  idlePollMs?: number;
}

interface ClaimedMessage {
  id: string;
  account_id: string;
  sender: string;
  recipient: string;
  country: string | null;
  text: string;
  priority: number;
  price: string;
  reservation_id: string | null;
  attempts: number;
}

type Outcome =
  | { message: ClaimedMessage; kind: 'accepted'; accepted: SubmitAccepted }
  | { message: ClaimedMessage; kind: 'unknown'; connection: string | null; carrierMessageIds: string[] }
  | { message: ClaimedMessage; kind: 'refused'; error: CarrierSubmitError }
  | { message: ClaimedMessage; kind: 'retry'; reason: string };

const MAX_ATTEMPTS = 10;

export class Dispatcher {
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private wakeRequested = false;
  private unsubscribe: (() => void) | null = null;
  private readonly batchSize: number;
  private readonly leaseSeconds: number;
  private readonly idlePollMs: number;

  constructor(
    private readonly gateway: CarrierGateway,
    options: DispatcherOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.leaseSeconds = options.leaseSeconds ?? 120;
    this.idlePollMs = options.idlePollMs ?? 1000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const requests = pubSub.subscribe('dispatchRequested', 'platform');
    this.unsubscribe = () => void requests.return?.();
    void (async () => {
      for await (const _request of requests) this.wake();
    })();
    this.loop = this.run();
  }

  /** Claims now instead of at the next poll. */
  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /** Finishes the batch in hand, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed: ClaimedMessage[] = [];
      try {
        claimed = await this.claim();
        if (claimed.length > 0) await this.record(await this.submitAll(claimed));
      } catch (error) {
        console.error('[dispatch] round failed; retrying:', (error as Error).message);
      }
      if (claimed.length < this.batchSize && this.running) await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.wakeRequested = false;
        resolve();
      };
      const timer = setTimeout(done, this.idlePollMs);
      this.wakeUp = done;
    });
  }

  private async claim(): Promise<ClaimedMessage[]> {
    const { rows } = await pool.query<ClaimedMessage>(
      `UPDATE message m SET claimed_until = now() + make_interval(secs => $2::int), attempts = m.attempts + 1
         FROM (SELECT id FROM message
                WHERE status = 'ON_HOLD' AND send_after <= now() AND (claimed_until IS NULL OR claimed_until < now())
                ORDER BY priority, send_after, id
                LIMIT $1 FOR UPDATE SKIP LOCKED) due
        WHERE m.id = due.id
       RETURNING m.id::text, m.account_id::text, m.sender, m.recipient, m.country, m.text, m.priority,
                 m.price::text, m.reservation_id::text, m.attempts`,
      [this.batchSize, this.leaseSeconds],
    );
    return rows.sort((a, b) => a.priority - b.priority || Number(BigInt(a.id) - BigInt(b.id)));
  }

  private submitAll(messages: ClaimedMessage[]): Promise<Outcome[]> {
    return Promise.all(
      messages.map(async (message): Promise<Outcome> => {
        try {
          const accepted = await this.gateway.submit({
            id: message.id,
            from: message.sender,
            to: message.recipient,
            text: message.text,
            priority: message.priority === 0 ? 'transactional' : 'bulk',
            requestReceipt: true,
            country: message.country,
          });
          return { message, kind: 'accepted', accepted };
        } catch (error) {
          if (!(error instanceof CarrierSubmitError)) return { message, kind: 'retry', reason: (error as Error).message };
          if (error.outcomeUnknown) {
            return { message, kind: 'unknown', connection: error.connection, carrierMessageIds: error.acceptedCarrierMessageIds };
          }
          if (error.permanent || message.attempts >= MAX_ATTEMPTS) return { message, kind: 'refused', error };
          return { message, kind: 'retry', reason: error.reason };
        }
      }),
    );
  }

  /** Writes every outcome of a round, charges what reached the carrier, closes finished holds. */
  private async record(outcomes: Outcome[]): Promise<void> {
    // Handed over (or possibly handed over: the carrier may have it, so it is charged and awaits
    // a receipt or the 48 h expiry rather than being sent twice).
    const transmitted = outcomes.flatMap((outcome) =>
      outcome.kind === 'accepted'
        ? [{ id: outcome.message.id, connection: outcome.accepted.connection, parts: outcome.accepted.carrierMessageIds, message: outcome.message }]
        : outcome.kind === 'unknown'
          ? [{ id: outcome.message.id, connection: outcome.connection, parts: outcome.carrierMessageIds, message: outcome.message }]
          : [],
    );
    const refused = outcomes.flatMap((outcome) => (outcome.kind === 'refused' ? [outcome] : []));
    const retried = outcomes.flatMap((outcome) => (outcome.kind === 'retry' ? [outcome] : []));

    const changed = await prisma.$transaction(async (tx) => {
      const rows: { id: string; account_id: string; status: string }[] = [];
      if (transmitted.length > 0) {
        rows.push(
          ...(await tx.$queryRawUnsafe<{ id: string; account_id: string; status: string }[]>(
            `UPDATE message m SET status = 'TRANSMITTED', submitted_at = now(), connection = t.connection, claimed_until = NULL, charged = true
               FROM unnest($1::bigint[], $2::text[]) AS t(id, connection)
              WHERE m.id = t.id AND m.status = 'ON_HOLD'
             RETURNING m.id::text, m.account_id::text, m.status::text`,
            transmitted.map((entry) => entry.id),
            transmitted.map((entry) => entry.connection),
          )),
        );
        const parts = transmitted.flatMap((entry) => entry.parts.map((part) => ({ id: entry.id, connection: entry.connection ?? '', part })));
        if (parts.length > 0) {
          await tx.$executeRawUnsafe(
            `INSERT INTO carrier_part (connection, carrier_message_id, message_id)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`,
            parts.map((part) => part.connection),
            parts.map((part) => part.part),
            parts.map((part) => part.id),
          );
        }
        // Charged when handed to the carrier: one settlement per reservation per round.
        const byReservation = new Map<string, number>();
        for (const entry of transmitted) {
          if (!entry.message.reservation_id) continue;
          byReservation.set(entry.message.reservation_id, (byReservation.get(entry.message.reservation_id) ?? 0) + parseEuros(entry.message.price));
        }
        for (const [reservationId, amount] of byReservation) {
          if (amount > 0) await settleReservation(tx, reservationId, amount, { reason: 'SMS handed to the carrier', referenceType: 'Message', author: PLATFORM });
        }
      }
      if (refused.length > 0) {
        rows.push(
          ...(await tx.$queryRawUnsafe<{ id: string; account_id: string; status: string }[]>(
            `UPDATE message m SET status = 'NOT_ISSUED', final_at = now(), claimed_until = NULL, error_code = t.code, carrier_status = t.reason
               FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(id, code, reason)
              WHERE m.id = t.id AND m.status = 'ON_HOLD'
             RETURNING m.id::text, m.account_id::text, m.status::text`,
            refused.map((entry) => entry.message.id),
            refused.map((entry) => (entry.error.commandStatus === null ? null : `0x${entry.error.commandStatus.toString(16)}`)),
            refused.map((entry) => entry.error.reason),
          )),
        );
      }
      if (retried.length > 0) {
        // Back off exponentially per attempt (2 s, 4 s, ... capped at 5 minutes).
        await tx.$executeRawUnsafe(
          `UPDATE message SET claimed_until = NULL, send_after = now() + make_interval(secs => least(300, power(2, attempts)::int))
            WHERE id = ANY($1::bigint[]) AND status = 'ON_HOLD'`,
          retried.map((entry) => entry.message.id),
        );
      }
      return rows;
    });

    publishStatusChanges(changed);
    for (const [connection, ids] of groupParts(transmitted)) await applyUnmatchedReceipts(connection, ids);
    await this.closeFinishedReservations(outcomes.map((outcome) => outcome.message.reservation_id));
  }

  /** A hold whose messages have all left (or failed) gives back what it still holds. */
  private async closeFinishedReservations(reservationIds: (string | null)[]): Promise<void> {
    const ids = [...new Set(reservationIds.filter((id): id is string => id !== null))];
    if (ids.length === 0) return;
    const { rows } = await pool.query<{ id: string }>(
      `SELECT r.id::text FROM credit_reservation r
        WHERE r.id = ANY($1::uuid[]) AND r.state = 'OPEN'
          AND NOT EXISTS (SELECT 1 FROM message m WHERE m.reservation_id = r.id AND m.status = 'ON_HOLD')`,
      [ids],
    );
    for (const { id } of rows) await releaseReservation(prisma, id, { reason: 'Messages sent; unused hold returned', author: PLATFORM });
  }
}

function groupParts(entries: { connection: string | null; parts: string[] }[]): Map<string, string[]> {
  const byConnection = new Map<string, string[]>();
  for (const entry of entries) {
    if (!entry.connection || entry.parts.length === 0) continue;
    const list = byConnection.get(entry.connection) ?? [];
    list.push(...entry.parts);
    byConnection.set(entry.connection, list);
  }
  return byConnection;
}

