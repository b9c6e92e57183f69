import type pg from 'pg';

/**
 * Whether a bulk writer may run its statements under `session_replication_role = replica`, which
 * turns off the per-row foreign-key checks (the writer then locks what they would have locked
 * itself): the database role may set it (superuser, or granted `SET ON PARAMETER
 * session_replication_role`; otherwise the writer keeps every check, slower), and no trigger nor
 * rule of these tables would be skipped with them: every trigger that is not a foreign-key check
 * fires ALWAYS (a trigger added one day, an audit or a counter, turns this off).
 */
export async function mayBypassForeignKeyChecks(db: pg.Pool | pg.PoolClient, tables: readonly string[]): Promise<boolean> {
  try {
    const { rows } = await db.query<{ allowed: boolean }>(
      `SELECT (current_setting('is_superuser') = 'on' OR has_parameter_privilege('session_replication_role', 'SET'))
          AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'A' AND tgrelid = ANY($1::regclass[]))
          AND NOT EXISTS (SELECT 1 FROM pg_rewrite WHERE rulename <> '_RETURN' AND ev_class = ANY($1::regclass[]))
          AS allowed`,
      [tables],
    );
    return rows[0]?.allowed === true;
  } catch {
    return false;
  }
}
