import { expect } from 'vitest';
import type { TestPlatform } from '../support/platform.js';

/**
 * Arranging dispatch tests: accounts with credit and messages queued as the sending paths queue
 * them (ON_HOLD rows with a credit hold), written by SQL so that a test controls every field
 * (kind, lane, parts, campaign, lease). Domain modules are imported lazily: they read the
 * configuration (the test database) when first loaded, after the test platform has set it.
 */

export const PRICE = '0.045';

export async function fundedAccount(platform: TestPlatform, euros = 100): Promise<string> {
  const [account] = await platform.sql<{ id: string }>(
    `INSERT INTO account (id, name, company_number, street, postal_code, city, country, status, plan_code, service_messages_consent_at)
     VALUES (gen_random_uuid(), 'Dispatch test', '73282932000074', '1 rue de la Paix', '75002', 'Paris', 'FR', 'ACTIVE', 'STANDARD', now())
     RETURNING id::text`,
  );
  const { prisma } = await import('../../src/db/client.js');
  const { credit, PLATFORM } = await import('../../src/domain/credit/ledger.js');
  await credit(prisma, account!.id, 'TOP_UP', euros * 1_000_000, { reason: 'test top-up', author: PLATFORM });
  return account!.id;
}

export interface MessageSpec {
  to: string;
  text?: string;
  /**
   * Default TRANSACTIONAL on the bulk lane, as a transactional campaign's messages: every message
   * here goes to France, whose marketing window (checked again at claim) would otherwise decide
   * by the time of day the tests run at.
   */
  kind?: 'MARKETING' | 'TRANSACTIONAL' | 'SERVICE';
  /** Marketing sent with strict timing. Default false. */
  strictTiming?: boolean;
  /** Due this many seconds from now (scheduled). Default: now. */
  dueInSeconds?: number;
  /** 0 transactional lane, 1 bulk. Default: 0 for a kind given as TRANSACTIONAL or SERVICE, else 1. */
  priority?: number;
  segments?: number;
  campaignId?: string | null;
  /** As if a dispatcher had claimed it (attempt 1) with a lease ending this many seconds from now. */
  claimedForSeconds?: number;
}

/** Holds the cost of the messages (unless `reservationId` is given) and writes them ON_HOLD; returns their ids in order. */
export async function queueMessages(
  platform: TestPlatform,
  accountId: string,
  messages: readonly MessageSpec[],
  options: { reservationId?: string | null } = {},
): Promise<{ ids: string[]; reservationId: string | null }> {
  const { parseEuros } = await import('../../src/domain/messaging/prices.js');
  const prices = messages.map((message) => (message.kind === 'SERVICE' ? 0 : parseEuros(PRICE) * (message.segments ?? 1)));
  let reservationId = options.reservationId ?? null;
  const total = prices.reduce((sum, price) => sum + price, 0);
  if (reservationId === null && total > 0) {
    const { prisma } = await import('../../src/db/client.js');
    const { reserveCredit, PLATFORM } = await import('../../src/domain/credit/ledger.js');
    reservationId = (await reserveCredit(prisma, accountId, total, { reason: 'test messages', referenceType: 'Message', author: PLATFORM })).id;
  }
  // One transaction: a dispatcher must never see a message meant as claimed before its claim is written.
  const { pool } = await import('../../src/db/client.js');
  const client = await pool.connect();
  let rows: { id: string }[];
  try {
    await client.query('BEGIN');
    ({ rows } = await client.query<{ id: string }>(
      `INSERT INTO message (account_id, kind, priority, strict_timing, sender, recipient, country, text, segments, price, reservation_id, campaign_id, send_after)
       SELECT $1::uuid, m.kind::"MessageKind", m.priority, m.strict_timing, 'ACME', m.recipient, 'FR', m.text, m.segments, m.price, CASE WHEN m.price > 0 THEN $2::uuid END,
              m.campaign_id, localtimestamp + make_interval(secs => m.due_in)
         FROM json_to_recordset($3::json)
           AS m(position int, recipient text, kind text, priority smallint, strict_timing boolean, text text, segments smallint, price numeric, campaign_id uuid,
                due_in float8, claimed float8)
        ORDER BY m.position
       RETURNING id::text`,
      [
        accountId,
        reservationId,
        JSON.stringify(
          messages.map((message, i) => ({
            position: i,
            recipient: message.to,
            kind: message.kind ?? 'TRANSACTIONAL',
            priority: message.priority ?? (message.kind === 'TRANSACTIONAL' || message.kind === 'SERVICE' ? 0 : 1),
            strict_timing: message.strictTiming ?? false,
            due_in: message.dueInSeconds ?? 0,
            text: message.text ?? `Message ${i} from the dispatch tests`,
            segments: message.segments ?? 1,
            price: (prices[i]! / 1_000_000).toFixed(6),
            campaign_id: message.campaignId ?? null,
            claimed: message.claimedForSeconds ?? null,
          })),
        ),
      ],
    ));
    // Claimed by a dispatcher (one attempt used) whose lease ends in `claimedForSeconds` (negative: ended).
    const claimed = messages.flatMap((message, i) => (message.claimedForSeconds === undefined ? [] : [{ id: rows[i]!.id, seconds: message.claimedForSeconds }]));
    if (claimed.length > 0) {
      // With the lease rows its claim would have written (how leases that ran out are found).
      await client.query(
        `WITH c AS (SELECT * FROM json_to_recordset($1::json) AS c(id bigint, seconds float8)),
              leased AS (
                UPDATE dispatch_queue q SET claimed_until = localtimestamp + make_interval(secs => c.seconds), attempts = 1
                  FROM c WHERE q.message_id = c.id)
         INSERT INTO dispatch_lease (claimed_until, message_ids)
         SELECT localtimestamp + make_interval(secs => c.seconds), array_agg(c.id) FROM c GROUP BY c.seconds`,
        [JSON.stringify(claimed)],
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
  const ids = rows.map((row) => row.id).sort((a, b) => Number(BigInt(a) - BigInt(b)));
  return { ids, reservationId };
}

/** Wakes the platform's dispatchers, as the sending paths do after their commit. */
export async function requestDispatch(): Promise<void> {
  const { publishEvent } = await import('../../src/events/bus.js');
  publishEvent('dispatchRequested', 'platform', { accountId: 'platform' });
}

/** Distinct French mobile numbers whose last four digits (1000-9999) stay clear of the simulator's test patterns. */
export function plainNumber(series: number, i: number): string {
  return `+336${String(series * 1000 + Math.floor(i / 9000)).padStart(4, '0')}${(i % 9000) + 1000}`;
}

export interface StatusCount {
  status: string;
  n: number;
}

/** A credit hold's state, and what it settled and released (decimal euros, no trailing zeros). */
export async function reservationOf(platform: TestPlatform, id: string | null) {
  const [row] = await platform.sql<{ state: string; settled: string; released: string }>(
    `SELECT state::text, trim_scale(amount_settled)::text AS settled, trim_scale(amount_released)::text AS released FROM credit_reservation WHERE id = $1::uuid`,
    [id],
  );
  return row;
}

export async function statusCounts(platform: TestPlatform, ids: readonly string[]): Promise<Record<string, number>> {
  const rows = await platform.sql<{ status: string; n: string }>(
    `SELECT status::text, count(*)::text AS n FROM message WHERE id = ANY($1::bigint[]) GROUP BY status`,
    [ids],
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

/** Polls until every message has a final status (fails with the counts after `timeoutMs`). */
export async function waitUntilFinal(platform: TestPlatform, ids: readonly string[], timeoutMs = 30_000): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await statusCounts(platform, ids);
    if (!counts['ON_HOLD'] && !counts['TRANSMITTED']) return counts;
    if (Date.now() > deadline) expect.fail(`messages still not final after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What the account was charged (CHARGE entries), in micro-euros. */
export async function chargedMicros(platform: TestPlatform, accountId: string): Promise<number> {
  const [row] = await platform.sql<{ total: string }>(
    `SELECT coalesce(-sum(amount), 0)::text AS total FROM ledger_entry WHERE account_id = $1::uuid AND kind = 'CHARGE'`,
    [accountId],
  );
  return Math.round(Number(row?.total ?? 0) * 1_000_000);
}

/**
 * SIGKILL for a process and everything it started: `tsx` runs the program in a child node
 * process, which a SIGKILL of the launcher alone would leave running. Linux /proc.
 */
export async function killProcessTree(pid: number): Promise<void> {
  const fs = await import('node:fs/promises');
  const childrenOf = async (parent: number): Promise<number[]> => {
    const children: number[] = [];
    for (const entry of await fs.readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) children.push(Number(entry));
    }
    return children;
  };
  const tree: number[] = [];
  const walk = async (current: number): Promise<void> => {
    tree.push(current);
    for (const child of await childrenOf(current)) await walk(child);
  };
  await walk(pid);
  // Descendants first: the program dies before its launcher could notice anything.
  for (const member of tree.reverse()) {
    try {
      process.kill(member, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
