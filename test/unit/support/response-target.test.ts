import { describe, expect, it } from 'vitest';
import { responseDueAt } from '../../../src/domain/support/response-target.js';

// Paris is UTC+1 in winter (until 29 March 2026) and UTC+2 in summer.
describe('responseDueAt (Mon-Fri 9-12 and 14-18 Europe/Paris; after 17:00 next working day)', () => {
  it.each([
    // opened (UTC)               hours  due (UTC)                  why
    ['2026-11-25T09:00:00.000Z', 4, '2026-11-25T15:00:00.000Z', 'Wed 10:00 Paris: 2 h before lunch, 2 h after -> 16:00'],
    ['2026-11-25T07:00:00.000Z', 4, '2026-11-25T14:00:00.000Z', 'Wed 8:00: counting starts at 9:00 -> 15:00'],
    ['2026-11-25T11:30:00.000Z', 4, '2026-11-25T17:00:00.000Z', 'Wed 12:30 (lunch): starts at 14:00 -> 18:00'],
    ['2026-11-25T15:30:00.000Z', 8, '2026-11-26T16:30:00.000Z', 'Wed 16:30: 1.5 h today, 6.5 h Thursday -> 17:30'],
    ['2026-11-25T16:00:00.000Z', 4, '2026-11-26T14:00:00.000Z', 'Wed 17:00 exactly: next working day 9:00 -> 15:00'],
    ['2026-11-25T16:59:00.000Z', 8, '2026-11-27T09:00:00.000Z', 'Wed 17:59: Thursday 7 h, then 1 h Friday -> 10:00'],
    ['2026-11-27T16:30:00.000Z', 4, '2026-11-30T14:00:00.000Z', 'Fri 17:30: Monday 9:00 -> 15:00'],
    ['2026-11-28T10:00:00.000Z', 8, '2026-12-01T09:00:00.000Z', 'Saturday: Monday 7 h + Tuesday 1 h -> Tuesday 10:00'],
    ['2026-11-25T09:00:00.000Z', 48, '2026-12-03T17:00:00.000Z', 'Standard plan: 48 working hours (7 a day) -> Thursday next week 18:00'],
    ['2026-11-25T09:00:00.000Z', 7, '2026-11-26T09:00:00.000Z', 'Wed 10:00 + 7 h: 6 h on Wednesday, 1 h on Thursday -> 10:00'],
  ])('%s + %i h -> %s (%s)', (opened, hours, due) => {
    expect(responseDueAt(new Date(opened as string), hours as number).toISOString()).toBe(due);
  });

  it('follows the summer offset (UTC+2)', () => {
    // Wednesday 1 July 2026, 10:00 Paris = 08:00 UTC; 4 h -> 16:00 Paris = 14:00 UTC.
    expect(responseDueAt(new Date('2026-07-01T08:00:00.000Z'), 4).toISOString()).toBe('2026-07-01T14:00:00.000Z');
  });

  it('crosses the change of offset in a weekend', () => {
    // Friday 27 March 2026 17:30 Paris (UTC+1) -> Monday 30 March 9:00 Paris (UTC+2) + 1 h = 08:00 UTC.
    expect(responseDueAt(new Date('2026-03-27T16:30:00.000Z'), 1).toISOString()).toBe('2026-03-30T08:00:00.000Z');
  });

  it('refuses a target that is not a positive whole number of hours', () => {
    expect(() => responseDueAt(new Date(), 0)).toThrow(RangeError);
    expect(() => responseDueAt(new Date(), 1.5)).toThrow(RangeError);
  });
});
