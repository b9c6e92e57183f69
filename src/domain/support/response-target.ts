/**
 * When support must answer a ticket (SPEC section 18): the plan's response target, counted in
 * working hours. Support works Monday to Friday, 9:00-12:00 and 14:00-18:00 Europe/Paris; a
 * ticket opened at or after 17:00 on a working day (or on a weekend) starts counting at 9:00 on
 * the next working day. Public holidays are not observed (the SPEC names none). Pure: no I/O, no
 * clock; the caller passes the instant.
 */
const ZONE = 'Europe/Paris';
const SLOTS: readonly (readonly [startHour: number, endHour: number])[] = [
  [9, 12],
  [14, 18],
];
const LATE_HOUR = 17;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const partsFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

function localParts(instant: Date): LocalDate & { hour: number; minute: number; second: number } {
  const parts = Object.fromEntries(partsFormat.formatToParts(instant).map((part) => [part.type, part.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** The instant at `hour`:00 Paris time on a local date (offsets change at night, never in office hours). */
function parisInstant(date: LocalDate, hour: number): Date {
  const guess = Date.UTC(date.year, date.month - 1, date.day, hour);
  const seen = localParts(new Date(guess));
  const offset = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute) - guess;
  return new Date(guess - offset);
}

function nextDate(date: LocalDate): LocalDate {
  const next = new Date(Date.UTC(date.year, date.month - 1, date.day + 1));
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

function isWorkingDay(date: LocalDate): boolean {
  const weekday = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return weekday >= 1 && weekday <= 5;
}

export function responseDueAt(openedAt: Date, responseHours: number): Date {
  if (!Number.isInteger(responseHours) || responseHours <= 0) throw new RangeError('responseHours must be a positive integer');
  const local = localParts(openedAt);
  let date: LocalDate = local;
  let from = openedAt.getTime();
  if (isWorkingDay(date) && local.hour >= LATE_HOUR) {
    date = nextDate(date);
    from = 0;
  }
  let remaining = responseHours * HOUR;
  // A target of N hours spans at most N/7 working days plus weekends: the loop always ends.
  for (;;) {
    if (isWorkingDay(date)) {
      for (const [startHour, endHour] of SLOTS) {
        const start = Math.max(parisInstant(date, startHour).getTime(), from);
        const end = parisInstant(date, endHour).getTime();
        if (start >= end) continue;
        if (remaining <= end - start) return new Date(start + remaining);
        remaining -= end - start;
      }
    }
    date = nextDate(date);
    from = 0;
  }
}
