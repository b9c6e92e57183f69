/**
 * Route choice, pure: which carrier connection takes a message, and which bind of it.
 *
 * - A connection is a candidate when one of its routes matches the destination: a prefix route
 *   when the E.164 number starts with the prefix (`+` matches all), a country route when the
 *   number belongs to that country.
 * - Candidates are tried by priority, lowest number first (a connection counts at its best
 *   matching priority). Within a priority the traffic is shared: the connection with the least
 *   outstanding work relative to its capacity wins, ties going to the order of the configuration.
 * - A connection that is down is skipped, so the next priority takes over (failover); when it
 *   comes back up, it is preferred again.
 */
import type { CarrierConnectionSettings } from './carrier-settings.js';

export interface RouteEntry {
  connection: string;
  prefix: string | null;
  country: string | null;
  priority: number;
}

export interface RouteTable {
  entries: readonly RouteEntry[];
  /** Some route is by country: the destination's country must be known to route. */
  needsCountry: boolean;
  /** Configuration order, used to break ties. */
  connectionOrder: ReadonlyMap<string, number>;
}

export function buildRouteTable(connections: readonly Pick<CarrierConnectionSettings, 'name' | 'routes'>[]): RouteTable {
  const entries: RouteEntry[] = [];
  const connectionOrder = new Map<string, number>();
  connections.forEach((connection, i) => {
    connectionOrder.set(connection.name, i);
    for (const route of connection.routes) {
      entries.push({ connection: connection.name, prefix: route.prefix ?? null, country: route.country ?? null, priority: route.priority });
    }
  });
  return { entries, needsCountry: entries.some((entry) => entry.country !== null), connectionOrder };
}

/** Candidate connections grouped by priority, best first; empty when no route matches. */
export function routeTiers(table: RouteTable, destination: string, country: string | null): string[][] {
  const best = new Map<string, number>();
  for (const entry of table.entries) {
    const matches = entry.prefix !== null ? destination.startsWith(entry.prefix) : country !== null && entry.country === country;
    if (!matches) continue;
    const known = best.get(entry.connection);
    if (known === undefined || entry.priority < known) best.set(entry.connection, entry.priority);
  }
  const byPriority = new Map<number, string[]>();
  for (const [connection, priority] of best) {
    const tier = byPriority.get(priority) ?? [];
    tier.push(connection);
    byPriority.set(priority, tier);
  }
  const order = (name: string) => table.connectionOrder.get(name) ?? Number.MAX_SAFE_INTEGER;
  return [...byPriority.entries()].sort(([a], [b]) => a - b).map(([, tier]) => tier.sort((a, b) => order(a) - order(b)));
}

export interface ConnectionLoad {
  up: boolean;
  /** Bound, but answering every submission with a temporary error lately (see `failingAfterErrors`). */
  failing: boolean;
  /** Outstanding segments divided by segments per second: seconds of work already waiting. */
  load: number;
}

export type ConnectionChoice = { ok: true; connection: string } | { ok: false; reason: 'NO_ROUTE' | 'ALL_DOWN' };

/**
 * The connection to use now, given each one's state and load: the best priority with a healthy
 * connection up (the least loaded of it); only when none is healthy, the best with a failing one
 * up, as failing is often a spell (and a message has attempts to spend).
 */
export function chooseConnection(tiers: readonly (readonly string[])[], loadOf: (connection: string) => ConnectionLoad | undefined): ConnectionChoice {
  if (tiers.length === 0) return { ok: false, reason: 'NO_ROUTE' };
  for (const acceptFailing of [false, true]) {
    for (const tier of tiers) {
      let chosen: string | null = null;
      let chosenLoad = Number.POSITIVE_INFINITY;
      for (const connection of tier) {
        const state = loadOf(connection);
        if (!state?.up || (state.failing && !acceptFailing)) continue;
        if (state.load < chosenLoad) {
          chosen = connection;
          chosenLoad = state.load;
        }
      }
      if (chosen !== null) return { ok: true, connection: chosen };
    }
  }
  return { ok: false, reason: 'ALL_DOWN' };
}

export interface BindLoad {
  bound: boolean;
  outstandingSegments: number;
}

/** Index of the bound bind with the fewest outstanding segments (first one on ties), -1 when none is bound. */
export function chooseBind(binds: readonly BindLoad[]): number {
  let chosen = -1;
  let least = Number.POSITIVE_INFINITY;
  binds.forEach((bind, i) => {
    if (bind.bound && bind.outstandingSegments < least) {
      chosen = i;
      least = bind.outstandingSegments;
    }
  });
  return chosen;
}
