import { describe, expect, it } from 'vitest';
import { ESME_RINVDSTADR, ESME_RMSGQFUL, ESME_ROK, ESME_RTHROTTLED } from '../../../src/gateways/carriers/command-status.js';
import { DEFAULT_OUTCOME_MIX, decideOutcome, parseOutcomeMix, pickFromMix } from '../../../src/simulator/outcomes.js';

describe('simulator number patterns', () => {
  it.each([
    ['+33600000001', 1, ESME_ROK, ['DELIVRD']],
    ['+33600000002', 1, ESME_ROK, ['UNDELIV']],
    ['+33600000003', 1, ESME_ROK, ['EXPIRED']],
    ['+33600000004', 1, ESME_ROK, []],
    ['+33600000005', 1, ESME_RINVDSTADR, []],
    ['+33600000005', 2, ESME_RINVDSTADR, []],
    ['+33600000006', 1, ESME_RTHROTTLED, []],
    ['+33600000006', 2, ESME_ROK, ['DELIVRD']],
    ['+33600000007', 1, ESME_RMSGQFUL, []],
    ['+33600000007', 2, ESME_ROK, ['DELIVRD']],
    ['+33600000008', 1, ESME_ROK, ['DELIVRD', 'DELIVRD']],
    ['+33600000009', 1, ESME_ROK, ['DELIVRD', 'ENROUTE']],
    ['+447700900001', 1, ESME_ROK, ['DELIVRD']],
  ])('%s, attempt %i: status %i, receipts %j', (destination, attempt, commandStatus, receipts) => {
    expect(decideOutcome(destination, attempt, DEFAULT_OUTCOME_MIX)).toEqual({ commandStatus, receipts });
  });

  it('other numbers follow the mix, the same way every time', () => {
    const mix = parseOutcomeMix('DELIVRD=1,NONE=1');
    const outcomes = Array.from({ length: 2000 }, (_, i) => pickFromMix(`+3361${String(i).padStart(7, '0')}`, mix));
    const none = outcomes.filter((outcome) => outcome === 'NONE').length;
    expect(none).toBeGreaterThan(850);
    expect(none).toBeLessThan(1150);
    expect(pickFromMix('+33612345678', mix)).toBe(pickFromMix('+33612345678', mix));
    expect(decideOutcome('+33612345678', 1, { DELIVRD: 0, UNDELIV: 0, EXPIRED: 1, NONE: 0 })).toEqual({ commandStatus: ESME_ROK, receipts: ['EXPIRED'] });
  });

  it('reads the mix setting and names what is wrong with it', () => {
    expect(parseOutcomeMix('DELIVRD=96, UNDELIV=3,EXPIRED=1')).toEqual({ DELIVRD: 96, UNDELIV: 3, EXPIRED: 1, NONE: 0 });
    expect(() => parseOutcomeMix('DELIVERED=1')).toThrow(/unknown outcome "DELIVERED"/);
    expect(() => parseOutcomeMix('DELIVRD')).toThrow(/not OUTCOME=weight/);
    expect(() => parseOutcomeMix('DELIVRD=0')).toThrow(/at least one outcome/);
  });
});
