import type { Actor } from '../domain/auth/actor.js';

/** Built once per HTTP request or per WebSocket subscription, in src/http/context.ts. */
export interface Context {
  actor: Actor | null;
}

/** A where-clause value that matches nothing, for lookups by anonymous callers. */
export const NO_ACCOUNT = '00000000-0000-0000-0000-000000000000';

export function actorAccountId(context: Context): string {
  return context.actor?.accountId ?? NO_ACCOUNT;
}
