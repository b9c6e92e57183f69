import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/settings.js';

describe('the CARRIERS setting', () => {
  it('defaults to one connection to the built-in simulator, for every number', () => {
    const { carriers } = parseConfig({ CARRIER_SIMULATOR_PORT: '3775' });
    expect(carriers.connections).toEqual([
      expect.objectContaining({ name: 'simulator', host: '127.0.0.1', port: 3775, binds: 2, windowSize: 250, routes: [{ prefix: '+', priority: 1 }] }),
    ]);
    expect(carriers.simulator).toMatchObject({ enabled: true, port: 3775, receiptDelayMs: 200, outcomeMix: { DELIVRD: 96, UNDELIV: 3, EXPIRED: 1, NONE: 0 } });
  });

  it('reads connections with their defaults', () => {
    const { carriers } = parseConfig({
      CARRIERS: JSON.stringify([
        { name: 'orange', host: 'smpp.example.net', systemId: 'acme', password: 'pw', routes: [{ country: 'FR' }, { prefix: '+', priority: 9 }] },
        { name: 'backup', systemId: 'acme2', binds: 3, maxSegmentsPerSecond: 50 },
      ]),
    });
    expect(carriers.connections[0]).toMatchObject({ name: 'orange', port: 2775, binds: 1, windowSize: 50, maxSegmentsPerSecond: 100, routes: [{ country: 'FR', priority: 1 }, { prefix: '+', priority: 9 }] });
    expect(carriers.connections[1]).toMatchObject({ name: 'backup', binds: 3, maxSegmentsPerSecond: 50, routes: [{ prefix: '+', priority: 1 }] });
  });

  it.each([
    ['not JSON', '[{', /CARRIERS: not valid JSON/],
    ['an empty list', '[]', /at least one carrier connection/],
    ['a missing system id', '[{"name":"a"}]', /0\.systemId/],
    ['a duplicate name', '[{"name":"a","systemId":"x"},{"name":"a","systemId":"y"}]', /duplicate connection name "a"/],
    ['a route with prefix and country', '[{"name":"a","systemId":"x","routes":[{"prefix":"+33","country":"FR"}]}]', /either a prefix or a country/],
    ['a prefix without +', '[{"name":"a","systemId":"x","routes":[{"prefix":"33"}]}]', /a \+ followed by digits/],
    ['a password too long for SMPP', '[{"name":"a","systemId":"x","password":"123456789"}]', /password/],
    ['an unknown field', '[{"name":"a","systemId":"x","window":10}]', /window/],
  ])('refuses %s, naming the problem', (_case, value, message) => {
    expect(() => parseConfig({ CARRIERS: value })).toThrow(message);
  });
});
