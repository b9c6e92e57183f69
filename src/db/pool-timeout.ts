/**
 * pg-pool's two ways of saying that no connection came within DATABASE_POOL_TIMEOUT_SECONDS:
 * every one in use that long, or the server slow to accept a new one. Prisma passes the error
 * on as it is (its `cause` is looked at too).
 */
const POOL_TIMEOUTS = new Set(['timeout exceeded when trying to connect', 'Connection terminated due to connection timeout']);

/** Whether a statement failed for want of a connection in time: the database is busy, not broken. */
export function isPoolTimeout(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (POOL_TIMEOUTS.has(cause.message)) return true;
  }
  return false;
}
