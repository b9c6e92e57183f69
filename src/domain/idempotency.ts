import { createHash } from 'node:crypto';
import { config } from '../config.js';
import { prisma, type Transaction } from '../db/client.js';
import { IdempotencyKeyReusedError, ValidationError } from './errors.js';

/**
 * Idempotency keys for mutations that spend or move money (SPEC section 3).
 *
 * The key row is inserted INSIDE the transaction that performs the operation, with
 * `ON CONFLICT DO NOTHING`: a concurrent duplicate's insert waits on the unique index until the
 * first transaction ends. If the first commits, the duplicate finds its row and replays its
 * result; if it rolls back (a typed error such as insufficient credit), no key is kept and the
 * duplicate runs as a first attempt. So an operation and its key commit together, and a request
 * is never executed twice. Results are stored as JSON: operations return ids (the resolver reads
 * the entities), not whole objects. Keys live IDEMPOTENCY_KEY_TTL_HOURS (24 h at least); an
 * expired key may be used again; the `purge-idempotency-keys` job deletes them.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface IdempotentRequest {
  accountId: string;
  /** Absent: the operation simply runs in a transaction. */
  key: string | null | undefined;
  /** e.g. `topUpCredit`: the same key for another operation is a conflict too. */
  operation: string;
  /** The operation's input, normalised (amounts as micro-euros...), without the key. */
  input: JsonValue;
}

const KEY_SHAPE = /^[\x21-\x7e]{8,255}$/;

/**
 * For an operation done in steps (a top-up: the attempt, the payment, the completion): the
 * result of a completed request with this key, null when there is none yet (or no key); another
 * input with the key is refused. Checks the key's shape first.
 */
export async function replayIdempotent<T extends JsonValue>(request: IdempotentRequest): Promise<T | null> {
  const { key } = request;
  if (key === null || key === undefined) return null;
  checkKeyShape(key);
  const first = await prisma.idempotencyKey.findFirst({ where: { accountId: request.accountId, key, expiresAt: { gt: new Date() } } });
  return first ? resultOf<T>(first, key, hashInput(request.operation, request.input)) : null;
}

function checkKeyShape(key: string): void {
  if (!KEY_SHAPE.test(key)) throw ValidationError.single('idempotencyKey', 'must be 8 to 255 printable characters without spaces (a UUID is ideal)');
}

/** The first request's result, when this one has the same input; another input with its key is refused. */
function resultOf<T extends JsonValue>(first: { inputHash: string; operation: string; result: unknown }, key: string, inputHash: string): T {
  if (first.inputHash !== inputHash) throw new IdempotencyKeyReusedError(key, first.operation);
  return first.result as T;
}

export async function withIdempotency<T extends JsonValue>(request: IdempotentRequest, run: (tx: Transaction) => Promise<T>): Promise<T> {
  const { key } = request;
  const options = { maxWait: 10_000, timeout: 30_000 };
  if (key === null || key === undefined) return prisma.$transaction(run, options);
  checkKeyShape(key);
  const inputHash = hashInput(request.operation, request.input);
  const ttlHours = config.money.idempotencyKeyTtlHours;
  return prisma.$transaction(async (tx) => {
    const claimed = await tx.$queryRaw<{ key: string }[]>`
      INSERT INTO idempotency_key (account_id, key, operation, input_hash, result, created_at, expires_at)
      VALUES (${request.accountId}::uuid, ${key}, ${request.operation}, ${inputHash}, 'null'::jsonb, now(), now() + make_interval(hours => ${ttlHours}::int))
      ON CONFLICT (account_id, key) DO UPDATE
         SET operation = EXCLUDED.operation, input_hash = EXCLUDED.input_hash, result = EXCLUDED.result,
             created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
       WHERE idempotency_key.expires_at <= now()
      RETURNING key`;
    if (claimed.length === 0) {
      const first = await tx.idempotencyKey.findUniqueOrThrow({ where: { accountId_key: { accountId: request.accountId, key } } });
      return resultOf<T>(first, key, inputHash);
    }
    const result = await run(tx);
    await tx.$executeRaw`
      UPDATE idempotency_key SET result = ${JSON.stringify(result)}::jsonb
       WHERE account_id = ${request.accountId}::uuid AND key = ${key}`;
    return result;
  }, options);
}

/** SHA-256 of the operation and its input as canonical JSON (keys sorted), so key order does not matter. */
export function hashInput(operation: string, input: JsonValue): string {
  return createHash('sha256').update(`${operation}\n${canonicalJson(input)}`).digest('hex');
}

export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonicalJson(value[name] ?? null)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Deletes expired keys; safe to run twice. */
export async function purgeExpiredIdempotencyKeys(now = new Date()): Promise<number> {
  const purged = await prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lt: now } } });
  return purged.count;
}
