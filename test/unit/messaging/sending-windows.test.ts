import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SENDING_RULES } from '../../../src/domain/messaging/default-sending-rules.js';
import {
  describeMarketingWindow,
  isWithinSendingWindow,
  nextSendingTime,
  publicHolidayDates,
  type SendingRules,
} from '../../../src/domain/messaging/sending-windows.js';

const rules = DEFAULT_SENDING_RULES;
const next = (iso: string, country: string | null = 'FR') => nextSendingTime('MARKETING', country, new Date(iso), rules).toISOString();

describe('France marketing window (Europe/Paris)', () => {
  it.each<[string, string, string]>([
    // [case, at, expected]
    ['Tuesday 10:00 is open', '2025-06-10T10:00:00+02:00', '2025-06-10T08:00:00.000Z'],
    ['08:00 exactly is open', '2025-06-10T08:00:00+02:00', '2025-06-10T06:00:00.000Z'],
    ['07:59:59 waits until 08:00', '2025-06-10T07:59:59+02:00', '2025-06-10T06:00:00.000Z'],
    ['19:59 is open', '2025-06-10T19:59:00+02:00', '2025-06-10T17:59:00.000Z'],
    ['19:59:59.999 is open', '2025-06-10T19:59:59.999+02:00', '2025-06-10T17:59:59.999Z'],
    ['20:00 exactly is closed: next day 08:00', '2025-06-10T20:00:00+02:00', '2025-06-11T06:00:00.000Z'],
    ['23:30 waits until next morning', '2025-06-10T23:30:00+02:00', '2025-06-11T06:00:00.000Z'],
    ['Saturday 15:00 is open', '2025-06-14T15:00:00+02:00', '2025-06-14T13:00:00.000Z'],
    ['Saturday 20:00 waits until Monday 08:00', '2025-06-14T20:00:00+02:00', '2025-06-16T06:00:00.000Z'],
    ['Sunday noon waits until Monday 08:00', '2025-06-15T12:00:00+02:00', '2025-06-16T06:00:00.000Z'],
    ['winter: Saturday 21:00 to Monday 08:00 CET', '2025-01-11T21:00:00+01:00', '2025-01-13T07:00:00.000Z'],
    // Daylight saving: last Sunday of March (30 March 2025) and of October (26 October 2025).
    ['Saturday evening before spring-forward to Monday 08:00 CEST', '2025-03-29T20:00:00+01:00', '2025-03-31T06:00:00.000Z'],
    ['during the spring-forward night', '2025-03-30T02:30:00+02:00', '2025-03-31T06:00:00.000Z'],
    ['Saturday 19:59 CET before spring-forward is open', '2025-03-29T19:59:00+01:00', '2025-03-29T18:59:00.000Z'],
    ['Saturday evening before fall-back to Monday 08:00 CET', '2025-10-25T20:00:00+02:00', '2025-10-27T07:00:00.000Z'],
    ['the repeated hour of the fall-back night', '2025-10-26T02:30:00+01:00', '2025-10-27T07:00:00.000Z'],
    ['Monday after fall-back 07:00 CET waits one hour', '2025-10-27T07:00:00+01:00', '2025-10-27T07:00:00.000Z'],
    // Public holidays.
    ['1 May (Thursday) waits until 2 May', '2025-05-01T10:00:00+02:00', '2025-05-02T06:00:00.000Z'],
    ['30 April 20:00 skips 1 May', '2025-04-30T20:00:00+02:00', '2025-05-02T06:00:00.000Z'],
    ['Saturday before Easter Monday waits until Tuesday', '2025-04-19T20:30:00+02:00', '2025-04-22T06:00:00.000Z'],
    ['Easter Monday 2026 (6 April)', '2026-04-06T09:00:00+02:00', '2026-04-07T06:00:00.000Z'],
    ['14 July (Monday) waits until Tuesday 15', '2025-07-14T09:00:00+02:00', '2025-07-15T06:00:00.000Z'],
    ['Sunday 13 July, then 14 July: Tuesday', '2025-07-13T12:00:00+02:00', '2025-07-15T06:00:00.000Z'],
    ['Christmas 2025 (Thursday)', '2025-12-25T11:00:00+01:00', '2025-12-26T07:00:00.000Z'],
    ['New Year 2026 (Thursday) from New Year eve 20:00', '2025-12-31T20:00:00+01:00', '2026-01-02T07:00:00.000Z'],
    ['Ascension 2026 (Thursday 14 May)', '2026-05-14T12:00:00+02:00', '2026-05-15T06:00:00.000Z'],
    ['Whit Monday 2026 (25 May)', '2026-05-25T12:00:00+02:00', '2026-05-26T06:00:00.000Z'],
    ['8 May 2026 (Friday) then weekend: Saturday 9 May', '2026-05-08T12:00:00+02:00', '2026-05-09T06:00:00.000Z'],
  ])('%s', (_name, at, expected) => {
    expect(next(at)).toBe(expected);
  });

  it('returns the same Date when already open', () => {
    const at = new Date('2025-06-10T10:00:00+02:00');
    expect(nextSendingTime('MARKETING', 'FR', at, rules)).toBe(at);
  });

  it('isWithinSendingWindow agrees on the boundaries', () => {
    expect(isWithinSendingWindow('MARKETING', 'FR', new Date('2025-06-10T19:59:00+02:00'), rules)).toBe(true);
    expect(isWithinSendingWindow('MARKETING', 'FR', new Date('2025-06-10T20:00:00+02:00'), rules)).toBe(false);
    expect(isWithinSendingWindow('MARKETING', 'FR', new Date('2025-06-15T12:00:00+02:00'), rules)).toBe(false);
    expect(isWithinSendingWindow('MARKETING', 'FR', new Date('2025-05-01T12:00:00+02:00'), rules)).toBe(false);
  });

  it('knows the French public holidays of a year', () => {
    expect(publicHolidayDates('FR', 2025)).toEqual([
      '2025-01-01', '2025-04-21', '2025-05-01', '2025-05-08', '2025-05-29', '2025-06-09',
      '2025-07-14', '2025-08-15', '2025-11-01', '2025-11-11', '2025-12-25',
    ]);
  });

  it('describes the window for messages to the sender', () => {
    expect(describeMarketingWindow('FR', rules)).toBe('Monday-Saturday 08:00-20:00 (Europe/Paris), not on FR public holidays');
    expect(describeMarketingWindow('DE', rules)).toBeNull();
  });
});

describe('other types and countries', () => {
  const sundayNight = new Date('2025-06-15T23:00:00+02:00');
  it('transactional messages go out at any time', () => {
    expect(nextSendingTime('TRANSACTIONAL', 'FR', sundayNight, rules)).toBe(sundayNight);
    expect(isWithinSendingWindow('TRANSACTIONAL', 'FR', new Date('2025-05-01T03:00:00+02:00'), rules)).toBe(true);
  });

  it('countries without rules and numbers without a country are not restricted by default', () => {
    expect(nextSendingTime('MARKETING', 'DE', sundayNight, rules)).toBe(sundayNight);
    expect(nextSendingTime('MARKETING', null, sundayNight, rules)).toBe(sundayNight);
  });

  const custom: SendingRules = {
    countries: {
      US: { timeZone: 'America/New_York', marketingWindows: [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '12:00' }, { days: [1, 2, 3, 4, 5], from: '14:00', to: '21:00' }], publicHolidays: null },
    },
    default: { timeZone: 'Europe/Berlin', marketingWindows: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '09:00', to: '18:00' }], publicHolidays: 'DE' },
  };

  it('a configurable default applies to countries not listed', () => {
    expect(nextSendingTime('MARKETING', 'DE', new Date('2025-06-15T20:00:00+02:00'), custom).toISOString()).toBe('2025-06-16T07:00:00.000Z');
    // 3 October: German Unity Day.
    expect(nextSendingTime('MARKETING', 'IT', new Date('2025-10-03T10:00:00+02:00'), custom).toISOString()).toBe('2025-10-04T07:00:00.000Z');
  });

  it('several windows a day: a lunch break waits until the afternoon window', () => {
    expect(nextSendingTime('MARKETING', 'US', new Date('2025-06-10T12:30:00-04:00'), custom).toISOString()).toBe('2025-06-10T18:00:00.000Z');
  });

  it('follows the US daylight-saving change (9 March 2025)', () => {
    // Friday 7 March 21:00 EST -> Monday 10 March 09:00 EDT.
    expect(nextSendingTime('MARKETING', 'US', new Date('2025-03-07T21:00:00-05:00'), custom).toISOString()).toBe('2025-03-10T13:00:00.000Z');
  });

  it('refuses rules that can never open', () => {
    const broken: SendingRules = { countries: { FR: { timeZone: 'Europe/Paris', marketingWindows: [], publicHolidays: null } }, default: null };
    expect(() => nextSendingTime('MARKETING', 'FR', sundayNight, broken)).toThrow(RangeError);
    const reversed: SendingRules = { countries: { FR: { timeZone: 'Europe/Paris', marketingWindows: [{ days: [1], from: '20:00', to: '08:00' }], publicHolidays: null } }, default: null };
    expect(() => nextSendingTime('MARKETING', 'FR', sundayNight, reversed)).toThrow(RangeError);
  });
});

// Independent oracle: Paris wall-clock time straight from Intl (no offset cache), and the
// holiday list as date strings.
const parisParts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const holidays = new Set([2024, 2025, 2026, 2027, 2028, 2029, 2030, 2031].flatMap((year) => publicHolidayDates('FR', year)));
function openInFrance(instant: number): boolean {
  const parts = Object.fromEntries(parisParts.formatToParts(instant).map((p) => [p.type, p.value]));
  if (parts.weekday === 'Sun' || holidays.has(`${parts.year}-${parts.month}-${parts.day}`)) return false;
  const hour = Number(parts.hour);
  return hour >= 8 && hour < 20;
}

describe('nextSendingTime: properties', () => {
  const instant = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 11, 1) });

  it('returns a time inside the window, never earlier than `at`, and the first such minute', () => {
    fc.assert(
      fc.property(instant, (at) => {
        const result = nextSendingTime('MARKETING', 'FR', new Date(at), rules).getTime();
        expect(result).toBeGreaterThanOrEqual(at);
        expect(openInFrance(result)).toBe(true);
        expect(isWithinSendingWindow('MARKETING', 'FR', new Date(result), rules)).toBe(true);
        if (result > at) {
          // Closed from `at` up to the opening: check every minute in between.
          for (let t = Math.ceil(at / 60_000) * 60_000; t < result; t += 60_000) expect(openInFrance(t)).toBe(false);
          expect(openInFrance(at)).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('isWithinSendingWindow matches the oracle', () => {
    fc.assert(
      fc.property(instant, (at) => {
        expect(isWithinSendingWindow('MARKETING', 'FR', new Date(at), rules)).toBe(openInFrance(at));
      }),
      { numRuns: 2000 },
    );
  });
});
