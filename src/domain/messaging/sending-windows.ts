/**
 * When a message may go out: marketing SMS follow the recipient country's rules (France: Monday
 * to Saturday 08:00-20:00 Europe/Paris, never on Sundays nor public holidays); transactional
 * messages go out at any time.
 *
 * Rules are data (see default-sending-rules.ts). Wall-clock times are computed with
 * Intl.DateTimeFormat offsets, so they are right across daylight-saving changes; offsets are
 * cached per 15-minute UTC slot (every modern zone changes offset on such a boundary) and public
 * holidays per country and year, so repeated calls for a campaign cost a few arithmetic
 * operations.
 */
import Holidays from 'date-holidays';

export type MessageType = 'MARKETING' | 'TRANSACTIONAL';

/** ISO weekday: 1 = Monday ... 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface SendingWindow {
  days: readonly Weekday[];
  /** Local opening time, "HH:MM" (inclusive). */
  from: string;
  /** Local closing time, "HH:MM" (exclusive: "20:00" means 19:59:59.999 is the last instant); "24:00" for midnight. */
  to: string;
}

export interface CountrySendingRule {
  /** IANA zone of the rule's wall-clock times. */
  timeZone: string;
  /** When marketing messages may go out; at least one window. */
  marketingWindows: readonly SendingWindow[];
  /** Country (ISO alpha-2, as date-holidays knows it) whose public holidays close marketing; null for none. */
  publicHolidays: string | null;
  /** Opt-out mention appended to marketing messages (see opt-out.ts); absent when not required. */
  marketingOptOutMention?: string;
}

export interface SendingRules {
  /** By recipient country, ISO alpha-2. */
  countries: Readonly<Record<string, CountrySendingRule>>;
  /** Rule for the other countries and numbers without a country; null: no restriction. */
  default: CountrySendingRule | null;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const SLOT = 15 * MINUTE;

interface CompiledRule {
  timeZone: string;
  /** Index 1..7: the day's windows as [from, to) in ms since local midnight, sorted. */
  windowsByWeekday: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
  publicHolidays: string | null;
}

function parseClock(clock: string): number {
  const match = /^(\d{2}):(\d{2})$/.exec(clock);
  const hours = Number(match?.[1]);
  const minutes = Number(match?.[2]);
  if (match === null || minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) {
    throw new RangeError(`Invalid time "${clock}" in a sending rule: expected HH:MM.`);
  }
  return (hours * 60 + minutes) * MINUTE;
}

function compileRule(rule: CountrySendingRule): CompiledRule {
  new Intl.DateTimeFormat('en', { timeZone: rule.timeZone }); // throws a RangeError on an unknown zone
  const windowsByWeekday: Array<Array<readonly [number, number]>> = [[], [], [], [], [], [], [], []];
  for (const window of rule.marketingWindows) {
    const from = parseClock(window.from);
    const to = parseClock(window.to);
    if (from >= to) throw new RangeError(`Sending window ${window.from}-${window.to} is empty or crosses midnight.`);
    for (const day of window.days) windowsByWeekday[day]?.push([from, to]);
  }
  if (windowsByWeekday.every((windows) => windows.length === 0)) {
    throw new RangeError('A sending rule needs at least one marketing window.');
  }
  for (const windows of windowsByWeekday) windows.sort((a, b) => a[0] - b[0]);
  return { timeZone: rule.timeZone, windowsByWeekday, publicHolidays: rule.publicHolidays };
}

const compiledRules = new WeakMap<CountrySendingRule, CompiledRule>();

function ruleFor(country: string | null, rules: SendingRules): CompiledRule | null {
  const rule = (country === null ? undefined : rules.countries[country]) ?? rules.default;
  if (rule === null) return null;
  let compiled = compiledRules.get(rule);
  if (compiled === undefined) {
    compiled = compileRule(rule);
    compiledRules.set(rule, compiled);
  }
  return compiled;
}

// ---- time zones ---------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, Map<number, number>>();
const MAX_CACHED_SLOTS = 50_000;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Offset of the zone at the instant, in ms (local = UTC + offset). */
export function zoneOffset(timeZone: string, instant: number): number {
  let cache = offsetCache.get(timeZone);
  if (cache === undefined) {
    cache = new Map();
    offsetCache.set(timeZone, cache);
  }
  const slot = Math.floor(instant / SLOT);
  const cached = cache.get(slot);
  if (cached !== undefined) return cached;

  const slotStart = slot * SLOT;
  const fields = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(timeZone).formatToParts(slotStart)) {
    if (part.type in fields) fields[part.type as keyof typeof fields] = Number(part.value);
  }
  const offset = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second) - slotStart;
  if (cache.size >= MAX_CACHED_SLOTS) cache.clear();
  cache.set(slot, offset);
  return offset;
}

/**
 * The instant of a local wall-clock time. A time skipped by a spring-forward change is moved
 * forward by the change (02:30 becomes 03:30 in Paris); a repeated one takes the first instant.
 */
function localToInstant(timeZone: string, local: number): number {
  const before = local - zoneOffset(timeZone, local - DAY); // candidate with the offset of the day before
  const after = local - zoneOffset(timeZone, local + DAY);
  const candidates = before <= after ? [before, after] : [after, before];
  for (const instant of candidates) {
    if (instant + zoneOffset(timeZone, instant) === local) return instant;
  }
  // In a gap: keep the wall-clock distance from the previous offset.
  return Math.max(before, after);
}

// ---- public holidays ------------------------------------------------------------------------

const holidayCalendars = new Map<string, Holidays>();
const holidayDays = new Map<string, Set<number>>();

/** Days since 1970-01-01 -> calendar year (proleptic Gregorian; Hinnant's civil_from_days). */
function yearOfDay(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  return yearOfEra + era * 400 + (monthIndex >= 10 ? 1 : 0);
}

/** Public holidays of a country in a year, as local calendar days since 1970-01-01. Cached. */
function publicHolidaysOf(country: string, year: number): Set<number> {
  const key = `${country}:${year}`;
  let days = holidayDays.get(key);
  if (days !== undefined) return days;
  let calendar = holidayCalendars.get(country);
  if (calendar === undefined) {
    calendar = new Holidays(country);
    holidayCalendars.set(country, calendar);
  }
  days = new Set();
  for (const holiday of calendar.getHolidays(year)) {
    if (holiday.type !== 'public') continue;
    const [y, m, d] = holiday.date.slice(0, 10).split('-').map(Number);
    if (y === undefined || m === undefined || d === undefined) continue;
    days.add(Date.UTC(y, m - 1, d) / DAY);
  }
  holidayDays.set(key, days);
  return days;
}

/** Public holidays of a country in a year, as "YYYY-MM-DD" (e.g. for a calendar view). */
export function publicHolidayDates(country: string, year: number): string[] {
  return [...publicHolidaysOf(country, year)].sort((a, b) => a - b).map((day) => new Date(day * DAY).toISOString().slice(0, 10));
}

function isHoliday(rule: CompiledRule, localDay: number): boolean {
  return rule.publicHolidays !== null && publicHolidaysOf(rule.publicHolidays, yearOfDay(localDay)).has(localDay);
}

function weekdayOf(localDay: number): Weekday {
  return ((((localDay + 3) % 7) + 7) % 7 + 1) as Weekday; // 1970-01-01 was a Thursday (4)
}

// ---- windows -------------------------------------------------------------------------------

const SEARCH_DAYS = 800;

function nextOpening(rule: CompiledRule, instant: number): number {
  const local = instant + zoneOffset(rule.timeZone, instant);
  const today = Math.floor(local / DAY);
  const timeOfDay = local - today * DAY;
  for (let k = 0; k < SEARCH_DAYS; k++) {
    const day = today + k;
    const windows = rule.windowsByWeekday[weekdayOf(day)] ?? [];
    if (windows.length === 0 || isHoliday(rule, day)) continue;
    for (const [from, to] of windows) {
      if (k === 0) {
        if (timeOfDay >= to) continue;
        if (timeOfDay >= from) return instant;
      }
      const opening = localToInstant(rule.timeZone, day * DAY + from);
      if (opening >= instant) return opening;
    }
  }
  throw new RangeError(`No sending window opens within ${SEARCH_DAYS} days in ${rule.timeZone}: check the sending rules.`);
}

/** `at` itself when a message of that type may go out then, else the next opening of the window. */
export function nextSendingTime(type: MessageType, country: string | null, at: Date, rules: SendingRules): Date {
  if (type === 'TRANSACTIONAL') return at;
  const rule = ruleFor(country, rules);
  if (rule === null) return at;
  const instant = at.getTime();
  const opening = nextOpening(rule, instant);
  return opening === instant ? at : new Date(opening);
}

export function isWithinSendingWindow(type: MessageType, country: string | null, at: Date, rules: SendingRules): boolean {
  if (type === 'TRANSACTIONAL') return true;
  const rule = ruleFor(country, rules);
  if (rule === null) return true;
  const instant = at.getTime();
  const local = instant + zoneOffset(rule.timeZone, instant);
  const day = Math.floor(local / DAY);
  const timeOfDay = local - day * DAY;
  const windows = rule.windowsByWeekday[weekdayOf(day)] ?? [];
  if (!windows.some(([from, to]) => timeOfDay >= from && timeOfDay < to)) return false;
  return !isHoliday(rule, day);
}

const WEEKDAY_NAMES = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** "Monday-Saturday 08:00-20:00 (Europe/Paris), not on FR public holidays", or null when unrestricted. */
export function describeMarketingWindow(country: string | null, rules: SendingRules): string | null {
  const rule = (country === null ? undefined : rules.countries[country]) ?? rules.default;
  if (rule === null) return null;
  const windows = rule.marketingWindows.map((window) => {
    const days = [...window.days].sort((a, b) => a - b);
    const first = days[0] ?? 1;
    const last = days[days.length - 1] ?? 7;
    const contiguous = last - first + 1 === days.length;
    const dayText = contiguous && days.length > 2 ? `${WEEKDAY_NAMES[first]}-${WEEKDAY_NAMES[last]}` : days.map((d) => WEEKDAY_NAMES[d]).join(', ');
    return `${dayText} ${window.from}-${window.to}`;
  });
  const holidays = rule.publicHolidays === null ? '' : `, not on ${rule.publicHolidays} public holidays`;
  return `${windows.join('; ')} (${rule.timeZone})${holidays}`;
}
