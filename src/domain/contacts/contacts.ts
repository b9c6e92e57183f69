/**
 * Contacts of the account's global list: one per number. Create, update, delete and the search
 * behind the `contacts` connection.
 */
import { prisma, type Db } from '../../db/client.js';
import { Prisma } from '../../generated/prisma/client.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { DuplicateContactError, NotFoundError, ValidationError, type FieldProblem } from '../errors.js';
import { parseCallingCode, parseContactNumber } from './contact-numbers.js';
import { columnOf, fieldColumnsFromInput, findField, loadContactFields, MAX_FIELD_VALUE_LENGTH, MAX_NAME_LENGTH } from './contact-fields.js';
import { ensureListsAccept } from './contact-lists.js';

import { MAX_TAG_LENGTH, MAX_TAGS } from './contact-limits.js';

export interface FieldValueInput {
  name: string;
  value?: string | null;
}

export interface CreateContactInput {
  number: string;
  /** Calling code for a number in national format (`+33`); else the first list's default. */
  defaultCountryPrefix?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  fields?: readonly FieldValueInput[] | null;
  tags?: readonly string[] | null;
  listIds?: readonly string[] | null;
}

export interface UpdateContactInput {
  firstName?: string | null;
  lastName?: string | null;
  fields?: readonly FieldValueInput[] | null;
  /** Replaces the contact's tags when given. */
  tags?: readonly string[] | null;
}

function optionalName(value: string | null | undefined, field: string, problems: FieldProblem[]): string | null | undefined {
  if (value === undefined) return undefined;
  const trimmed = value?.trim() ?? '';
  if (trimmed.length > MAX_NAME_LENGTH) problems.push({ field, message: `At most ${MAX_NAME_LENGTH} characters (got ${trimmed.length}).` });
  return trimmed === '' ? null : trimmed;
}

/** Tags trimmed, de-duplicated case-insensitively, each 1-50 characters, at most 20. */
export function normaliseTags(tags: readonly string[], problems: FieldProblem[], field = 'tags'): string[] {
  const seen = new Map<string, string>();
  for (const raw of tags) {
    const tag = raw.trim();
    if (tag === '') continue;
    if (tag.length > MAX_TAG_LENGTH) problems.push({ field, message: `The tag "${tag.slice(0, 20)}..." is longer than ${MAX_TAG_LENGTH} characters.` });
    else if (!seen.has(tag.toLowerCase())) seen.set(tag.toLowerCase(), tag);
  }
  if (seen.size > MAX_TAGS) problems.push({ field, message: `At most ${MAX_TAGS} tags per contact.` });
  return [...seen.values()];
}

export async function createContact(actor: Actor, input: CreateContactInput) {
  requirePermission(actor, 'contacts:write');
  const accountId = actor.accountId;
  const problems: FieldProblem[] = [];
  const firstName = optionalName(input.firstName, 'firstName', problems);
  const lastName = optionalName(input.lastName, 'lastName', problems);
  const tags = normaliseTags(input.tags ?? [], problems);
  const listIds = [...new Set(input.listIds ?? [])];
  const lists = await prisma.contactList.findMany({ where: { id: { in: listIds }, accountId } });
  if (lists.length !== listIds.length) throw new NotFoundError('Contact list');

  let defaultCallingCode: string | null;
  if (input.defaultCountryPrefix) {
    defaultCallingCode = parseCallingCode(input.defaultCountryPrefix);
    if (!defaultCallingCode) problems.push({ field: 'defaultCountryPrefix', message: `"${input.defaultCountryPrefix}" is not a country calling code (e.g. +33).` });
  } else {
    defaultCallingCode = listIds.map((id) => lists.find((list) => list.id === id)?.defaultCallingCode).find((code) => code) ?? null;
  }
  const parsed = parseContactNumber(input.number, defaultCallingCode);
  if (!parsed.ok) problems.push({ field: 'number', message: parsed.message });
  const definitions = await loadContactFields(prisma, accountId);
  let fieldColumns = {};
  try {
    fieldColumns = fieldColumnsFromInput(definitions, input.fields ?? []);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !parsed.ok) throw new ValidationError(problems);
  const phone = parsed.phone;

  return prisma.$transaction(async (tx) => {
    await ensureListsAccept(tx, lists, [phone.callingCode]);
    const existing = await tx.contact.findUnique({ where: { accountId_number: { accountId, number: phone.e164 } }, select: { id: true } });
    if (existing) throw new DuplicateContactError(phone.e164, existing.id);
    const created = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO contact (account_id, number, calling_code) VALUES (${accountId}::uuid, ${phone.e164}, ${phone.callingCode})
      ON CONFLICT (account_id, number) DO NOTHING RETURNING id`;
    const id = created[0]?.id;
    if (!id) {
      // Created by a concurrent request between the check and the insert.
      const winner = await tx.contact.findUniqueOrThrow({ where: { accountId_number: { accountId, number: phone.e164 } }, select: { id: true } });
      throw new DuplicateContactError(phone.e164, winner.id);
    }
    return tx.contact.update({
      where: { id },
      data: {
        firstName: firstName ?? null,
        lastName: lastName ?? null,
        ...fieldColumns,
        tags: { create: tags.map((tag) => ({ accountId, tag })) },
        memberships: { create: listIds.map((listId) => ({ listId })) },
      },
    });
  });
}

export async function updateContact(actor: Actor, contactId: string, input: UpdateContactInput) {
  requirePermission(actor, 'contacts:write');
  const accountId = actor.accountId;
  const problems: FieldProblem[] = [];
  const firstName = optionalName(input.firstName, 'firstName', problems);
  const lastName = optionalName(input.lastName, 'lastName', problems);
  const tags = input.tags ? normaliseTags(input.tags, problems) : null;
  const definitions = await loadContactFields(prisma, accountId);
  let fieldColumns = {};
  try {
    fieldColumns = fieldColumnsFromInput(definitions, input.fields ?? []);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return prisma.$transaction(async (tx) => {
    const contact = await tx.contact.findFirst({ where: { id: contactId, accountId }, select: { id: true } });
    if (!contact) throw new NotFoundError('Contact');
    if (tags) await tx.contactTag.deleteMany({ where: { contactId } });
    return tx.contact.update({
      where: { id: contactId },
      data: {
        ...(firstName !== undefined ? { firstName } : {}),
        ...(lastName !== undefined ? { lastName } : {}),
        ...fieldColumns,
        ...(tags ? { tags: { create: tags.map((tag) => ({ accountId, tag })) } } : {}),
      },
    });
  });
}

export async function deleteContact(actor: Actor, contactId: string): Promise<string> {
  requirePermission(actor, 'contacts:write');
  const deleted = await prisma.contact.deleteMany({ where: { id: contactId, accountId: actor.accountId } });
  if (deleted.count === 0) throw new NotFoundError('Contact');
  return contactId;
}

export interface ContactSearch {
  /** Start of the number: `+3361`, `3361` (E.164 digits) */
  numberPrefix?: string | null;
  /** Words found (anywhere, case-insensitively) in the first or last name. */
  name?: string | null;
  tag?: string | null;
  listId?: string | null;
  field?: { name: string; value: string } | null;
}

/** The words of a name search (at most four). */
function nameWords(search: ContactSearch | null | undefined): string[] {
  return search?.name?.trim().split(/\s+/).filter(Boolean).slice(0, 4) ?? [];
}

/**
 * The Prisma filter of a contact search, always within the account. Each criterion has an
 * index: number prefix the (account, number) btree (C collation), names the trigram index on
 * "first last" (see `searchContacts`), field values the partial (account, field_n, id) btrees,
 * tags and lists their own tables.
 */
export async function contactSearchWhere(db: Db, accountId: string, search: ContactSearch | null | undefined): Promise<Prisma.ContactWhereInput> {
  const where: Prisma.ContactWhereInput[] = [{ accountId }];
  if (!search) return where[0]!;
  if (search.numberPrefix) {
    const digits = search.numberPrefix.replace(/[\s().\-/]/g, '').replace(/^(\+|00)/, '');
    if (!/^[0-9]{1,15}$/.test(digits)) throw ValidationError.single('search.numberPrefix', 'A number prefix is digits, optionally after a +.');
    where.push({ number: { startsWith: `+${digits}` } });
  }
  if (search.name) {
    for (const word of nameWords(search)) {
      where.push({ OR: [{ firstName: { contains: word, mode: 'insensitive' } }, { lastName: { contains: word, mode: 'insensitive' } }] });
    }
  }
  if (search.tag) where.push({ tags: { some: { tag: search.tag.trim() } } });
  if (search.listId) where.push({ memberships: { some: { listId: search.listId } } });
  if (search.field) {
    const definition = findField(await loadContactFields(db, accountId), search.field.name);
    if (!definition) throw ValidationError.single('search.field.name', `Unknown field "${search.field.name}".`);
    if (search.field.value.length > MAX_FIELD_VALUE_LENGTH) throw ValidationError.single('search.field.value', `At most ${MAX_FIELD_VALUE_LENGTH} characters.`);
    where.push({ [columnOf(definition.position)]: search.field.value.trim() });
  }
  return { AND: where };
}

/** Newest contacts in which a name search looks first. */
const NAME_SEARCH_WINDOW = 2000;
/** Beyond this many contacts bearing the words, the candidates are not worth listing. */
const NAME_SEARCH_MAX_CANDIDATES = 5000;

type ContactPageArgs = Omit<Prisma.ContactFindManyArgs, 'where' | 'orderBy'>;

/**
 * A page of a contact search, newest first (`args` carries take/cursor/skip and the selection).
 *
 * A name fragment can be in 1 contact or in 80,000 of a million, and neither an id-ordered scan
 * (reads every contact when nothing matches) nor the trigram index (fetches and sorts all 80,000)
 * is bounded for both, and the planner cannot tell which case it has (words of one search are
 * correlated). So: the newest NAME_SEARCH_WINDOW contacts first, which settles frequent words in
 * a few milliseconds; when they do not fill the page the words are rare, and the trigram index
 * lists the few candidates. Either way the full filter decides, so the answer is the same.
 */
export async function searchContacts<T extends ContactPageArgs>(db: Db, accountId: string, search: ContactSearch | null | undefined, args: T) {
  const where = await contactSearchWhere(db, accountId, search);
  const words = nameWords(search);
  const take = args.take ?? 0;
  const cursorId = args.cursor?.id;
  if (words.length === 0 || take <= 0 || (args.cursor && !cursorId)) return db.contact.findMany({ ...args, where, orderBy: { id: 'desc' } });

  const beforeCursor = cursorId ? Prisma.sql`AND id <= ${cursorId}::uuid` : Prisma.empty;
  const edge = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM contact WHERE account_id = ${accountId}::uuid ${beforeCursor} ORDER BY id DESC OFFSET ${NAME_SEARCH_WINDOW - 1} LIMIT 1`;
  if (edge.length === 0) return db.contact.findMany({ ...args, where, orderBy: { id: 'desc' } });
  const recent = await db.contact.findMany({ ...args, where: { AND: [where, { id: { gte: edge[0]!.id } }] }, orderBy: { id: 'desc' } });
  if (recent.length >= take) return recent;

  // Same expression as the index contact_name_search_trgm_idx. Wildcards in a word are left
  // alone: the candidates are then a superset of the exact answer, which `where` gives.
  const matches = words.map((word) => Prisma.sql`lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) LIKE '%' || lower(${word}) || '%'`);
  const candidates = await db.$queryRaw<{ id: string }[]>`
    WITH named AS MATERIALIZED (
      SELECT id FROM contact WHERE account_id = ${accountId}::uuid ${beforeCursor} AND ${Prisma.join(matches, ' AND ')}
    )
    SELECT id FROM named LIMIT ${NAME_SEARCH_MAX_CANDIDATES + 1}`;
  if (candidates.length > NAME_SEARCH_MAX_CANDIDATES) return db.contact.findMany({ ...args, where, orderBy: { id: 'desc' } });
  return db.contact.findMany({ ...args, where: { AND: [where, { id: { in: candidates.map((candidate) => candidate.id) } }] }, orderBy: { id: 'desc' } });
}
