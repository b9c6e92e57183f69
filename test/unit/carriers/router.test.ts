import { describe, expect, it } from 'vitest';
import { buildRouteTable, chooseBind, chooseConnection, routeTiers, type ConnectionLoad } from '../../../src/gateways/carriers/router.js';

const table = buildRouteTable([
  { name: 'orange', routes: [{ country: 'FR', priority: 1 }] },
  { name: 'sfr', routes: [{ prefix: '+33', priority: 1 }] },
  { name: 'belgacom', routes: [{ prefix: '+32', priority: 1 }, { prefix: '+33', priority: 5 }] },
  { name: 'global', routes: [{ prefix: '+', priority: 9 }] },
]);

describe('routeTiers', () => {
  it.each([
    ['+33612345678', 'FR', [['orange', 'sfr'], ['belgacom'], ['global']]],
    ['+33612345678', null, [['sfr'], ['belgacom'], ['global']]],
    ['+32470123456', 'BE', [['belgacom'], ['global']]],
    ['+447700900123', 'GB', [['global']]],
    ['+262692123456', 'RE', [['global']]],
  ])('%s (%s) goes to %j', (destination, country, expected) => {
    expect(routeTiers(table, destination, country)).toEqual(expected);
  });

  it('counts a connection once, at its best priority', () => {
    const tiers = routeTiers(buildRouteTable([{ name: 'a', routes: [{ prefix: '+', priority: 3 }, { prefix: '+33', priority: 1 }] }]), '+33612345678', null);
    expect(tiers).toEqual([['a']]);
  });

  it('has no tier when nothing matches', () => {
    expect(routeTiers(buildRouteTable([{ name: 'fr', routes: [{ prefix: '+33', priority: 1 }] }]), '+4915112345678', 'DE')).toEqual([]);
  });

  it('knows whether a country is needed to route', () => {
    expect(table.needsCountry).toBe(true);
    expect(buildRouteTable([{ name: 'x', routes: [{ prefix: '+', priority: 1 }] }]).needsCountry).toBe(false);
  });
});

describe('chooseConnection', () => {
  const tiers = [['orange', 'sfr'], ['belgacom'], ['global']];
  const loads = (states: Record<string, Omit<ConnectionLoad, 'failing'> & { failing?: boolean }>) => (name: string) => {
    const state = states[name];
    return state && { failing: false, ...state };
  };

  it('takes the least loaded connection of the best priority', () => {
    expect(chooseConnection(tiers, loads({ orange: { up: true, load: 0.5 }, sfr: { up: true, load: 0.2 }, belgacom: { up: true, load: 0 } }))).toEqual({ ok: true, connection: 'sfr' });
  });

  it('breaks ties by configuration order', () => {
    expect(chooseConnection(tiers, loads({ orange: { up: true, load: 0 }, sfr: { up: true, load: 0 } }))).toEqual({ ok: true, connection: 'orange' });
  });

  it('fails over to the next priority when the whole tier is down', () => {
    const states = { orange: { up: false, load: 0 }, sfr: { up: false, load: 0 }, belgacom: { up: true, load: 9 }, global: { up: true, load: 0 } };
    expect(chooseConnection(tiers, loads(states))).toEqual({ ok: true, connection: 'belgacom' });
  });

  it('skips a down connection within a tier', () => {
    expect(chooseConnection(tiers, loads({ orange: { up: false, load: 0 }, sfr: { up: true, load: 100 } }))).toEqual({ ok: true, connection: 'sfr' });
  });

  it('prefers a healthy connection of any priority to a failing one, and uses a failing one when nothing else is up', () => {
    const failingTier = { orange: { up: true, failing: true, load: 0 }, sfr: { up: true, failing: true, load: 0 } };
    expect(chooseConnection(tiers, loads({ ...failingTier, belgacom: { up: false, load: 0 }, global: { up: true, load: 5 } }))).toEqual({ ok: true, connection: 'global' });
    expect(chooseConnection(tiers, loads({ orange: { up: true, failing: true, load: 0 }, sfr: { up: true, load: 3 } }))).toEqual({ ok: true, connection: 'sfr' });
    expect(chooseConnection(tiers, loads({ ...failingTier, sfr: { up: true, failing: true, load: 2 }, belgacom: { up: false, load: 0 } }))).toEqual({ ok: true, connection: 'orange' });
  });

  it('says whether nothing matches or everything is down', () => {
    expect(chooseConnection([], loads({}))).toEqual({ ok: false, reason: 'NO_ROUTE' });
    expect(chooseConnection(tiers, loads({}))).toEqual({ ok: false, reason: 'ALL_DOWN' });
  });
});

describe('chooseBind', () => {
  it('takes the bound bind with the fewest outstanding segments, the first on ties', () => {
    expect(chooseBind([{ bound: true, outstandingSegments: 5 }, { bound: true, outstandingSegments: 2 }, { bound: true, outstandingSegments: 2 }])).toBe(1);
  });

  it('ignores binds that are not bound', () => {
    expect(chooseBind([{ bound: false, outstandingSegments: 0 }, { bound: true, outstandingSegments: 50 }])).toBe(1);
    expect(chooseBind([{ bound: false, outstandingSegments: 0 }])).toBe(-1);
  });
});
