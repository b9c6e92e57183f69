/**
 * The account's blacklist: numbers it never sends to, with the reason and where the entry came
 * from (manual, STOP reply, import). Contacts with a blacklisted number are flagged.
 */
import { prisma, type Db } from '../../db/client.js';
import type { BlacklistEntry, BlacklistSource } from '../../generated/prisma/client.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { ValidationError } from '../errors.js';
import { parsePhone } from '../phone.js';

export interface BlacklistInput {
  number: string;
  reason?: string | null;
  /** For national-format numbers, e.g. `+33`. */
  defaultCountryPrefix?: string | null;
}

function e164Of(number: string, defaultCountryPrefix: string | null | undefined): string {
  const parsed = parsePhone(number, defaultCountryPrefix ? { defaultCallingCode: defaultCountryPrefix } : {});
  if (!parsed.ok) throw ValidationError.single('number', parsed.message);
  return parsed.phone.e164;
}

/** Adds a number (idempotent: an existing entry is returned unchanged). */
export async function blacklistNumber(actor: Actor, input: BlacklistInput, source: BlacklistSource = 'MANUAL'): Promise<BlacklistEntry> {
  requirePermission(actor, 'contacts:write');
  const reason = input.reason?.trim() || null;
  if (reason && reason.length > 200) throw ValidationError.single('reason', 'At most 200 characters.');
  return addToBlacklist(prisma, actor.accountId, e164Of(input.number, input.defaultCountryPrefix), reason, source);
}

/** Also used by STOP replies (source STOP_REPLY) and imports. */
export async function addToBlacklist(db: Db, accountId: string, number: string, reason: string | null, source: BlacklistSource): Promise<BlacklistEntry> {
  return db.blacklistEntry.upsert({
    where: { accountId_number: { accountId, number } },
    create: { accountId, number, reason, source },
    update: {},
  });
}

/** Removes a number; returns whether it was there. */
export async function unblacklistNumber(actor: Actor, input: BlacklistInput): Promise<{ number: string; removed: boolean }> {
  requirePermission(actor, 'contacts:write');
  const number = e164Of(input.number, input.defaultCountryPrefix);
  const { count } = await prisma.blacklistEntry.deleteMany({ where: { accountId: actor.accountId, number } });
  return { number, removed: count > 0 };
}

/** Which of these numbers the account has blacklisted (one query for a page of contacts). */
export async function blacklistedAmong(accountId: string, numbers: readonly string[]): Promise<Set<string>> {
  if (numbers.length === 0) return new Set();
  const rows = await prisma.blacklistEntry.findMany({ where: { accountId, number: { in: [...numbers] } }, select: { number: true } });
  return new Set(rows.map((row) => row.number));
}
