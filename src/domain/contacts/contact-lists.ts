/**
 * Contact lists: a number appears once per list (primary key list + contact); a list may carry
 * a default calling code applied to national-format numbers, allowed only while every number
 * of the list has that calling code, so that the prefix never silently changes a number's
 * country.
 */
import { prisma, type Db } from '../../db/client.js';
import type { ContactList } from '../../generated/prisma/client.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { ensureWithinLimit, lockAccount } from '../plans.js';
import { parseCallingCode } from './contact-numbers.js';

export const MAX_CONTACTS_PER_CALL = 1000;

export interface ContactListInput {
  name?: string | null;
  /** `+33`, `33` or `0033`; an empty string removes it. */
  defaultCountryPrefix?: string | null;
}

function listName(name: string | null | undefined): string {
  const trimmed = name?.trim() ?? '';
  if (trimmed === '' || trimmed.length > 100) throw ValidationError.single('name', 'A list name has 1 to 100 characters.');
  return trimmed;
}

function callingCodeInput(prefix: string | null | undefined): string | null | undefined {
  if (prefix === undefined) return undefined;
  if (prefix === null || prefix.trim() === '') return null;
  const code = parseCallingCode(prefix);
  if (!code) throw ValidationError.single('defaultCountryPrefix', `"${prefix}" is not a country calling code (e.g. +33).`);
  return code;
}

async function nameTaken(db: Db, accountId: string, name: string, exceptId?: string): Promise<boolean> {
  return (await db.contactList.count({ where: { accountId, name, ...(exceptId ? { id: { not: exceptId } } : {}) } })) > 0;
}

export async function createContactList(actor: Actor, input: ContactListInput): Promise<ContactList> {
  requirePermission(actor, 'contacts:write');
  const name = listName(input.name);
  const defaultCallingCode = callingCodeInput(input.defaultCountryPrefix) ?? null;
  return prisma.$transaction(async (tx) => {
    const plan = await lockAccount(tx, actor.accountId);
    await ensureWithinLimit(tx, plan, 'contactLists', await tx.contactList.count({ where: { accountId: actor.accountId } }));
    if (await nameTaken(tx, actor.accountId, name)) throw ValidationError.single('name', `A list named "${name}" already exists.`);
    return tx.contactList.create({ data: { accountId: actor.accountId, name, defaultCallingCode } });
  });
}

/** Locks the list for the transaction, so adding numbers and changing its prefix serialise. */
async function lockList(tx: Db, accountId: string, listId: string): Promise<ContactList> {
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM contact_list WHERE id = ${listId}::uuid AND account_id = ${accountId}::uuid FOR UPDATE`;
  if (locked.length === 0) throw new NotFoundError('Contact list');
  return tx.contactList.findUniqueOrThrow({ where: { id: listId } });
}

/** Calling codes of a list's numbers (at most `limit` distinct ones). */
async function listCallingCodes(tx: Db, listId: string, limit = 5): Promise<string[]> {
  const rows = await tx.$queryRaw<{ calling_code: string }[]>`
    SELECT DISTINCT c.calling_code FROM contact_list_member m JOIN contact c ON c.id = m.contact_id
     WHERE m.list_id = ${listId}::uuid LIMIT ${limit}`;
  return rows.map((row) => row.calling_code).sort();
}

export async function updateContactList(actor: Actor, listId: string, input: ContactListInput): Promise<ContactList> {
  requirePermission(actor, 'contacts:write');
  const name = input.name === undefined || input.name === null ? undefined : listName(input.name);
  const defaultCallingCode = callingCodeInput(input.defaultCountryPrefix);
  return prisma.$transaction(async (tx) => {
    await lockList(tx, actor.accountId, listId);
    if (name !== undefined && (await nameTaken(tx, actor.accountId, name, listId))) throw ValidationError.single('name', `A list named "${name}" already exists.`);
    if (defaultCallingCode) {
      const codes = await listCallingCodes(tx, listId);
      if (codes.length > 1) {
        throw ValidationError.single(
          'defaultCountryPrefix',
          `This list holds numbers of several countries (${codes.map((code) => `+${code}`).join(', ')}); a default prefix needs numbers of one country.`,
        );
      }
      if (codes.length === 1 && codes[0] !== defaultCallingCode) {
        throw ValidationError.single('defaultCountryPrefix', `This list holds +${codes[0]} numbers; its default prefix cannot be +${defaultCallingCode}.`);
      }
    }
    return tx.contactList.update({
      where: { id: listId },
      data: { ...(name !== undefined ? { name } : {}), ...(defaultCallingCode !== undefined ? { defaultCallingCode } : {}) },
    });
  });
}

/** Refuses numbers of another country in a list with a default prefix. */
export async function ensureListsAccept(_tx: Db, lists: readonly ContactList[], callingCodes: readonly string[]): Promise<void> {
  for (const list of lists) {
    if (!list.defaultCallingCode) continue;
    const foreign = [...new Set(callingCodes.filter((code) => code !== list.defaultCallingCode))];
    if (foreign.length > 0) {
      throw ValidationError.single(
        'listIds',
        `The list "${list.name}" has the default prefix +${list.defaultCallingCode} and holds only +${list.defaultCallingCode} numbers; refused: ${foreign.map((code) => `+${code}`).join(', ')} number(s).`,
      );
    }
  }
}

function contactIdsInput(contactIds: readonly string[]): string[] {
  const ids = [...new Set(contactIds)];
  if (ids.length === 0 || ids.length > MAX_CONTACTS_PER_CALL) throw ValidationError.single('contactIds', `Give 1 to ${MAX_CONTACTS_PER_CALL} contacts per call.`);
  return ids;
}

export async function addContactsToList(actor: Actor, listId: string, contactIds: readonly string[]): Promise<{ list: ContactList; added: number }> {
  requirePermission(actor, 'contacts:write');
  const ids = contactIdsInput(contactIds);
  return prisma.$transaction(async (tx) => {
    const list = await lockList(tx, actor.accountId, listId);
    const contacts = await tx.contact.findMany({ where: { id: { in: ids }, accountId: actor.accountId }, select: { id: true, callingCode: true } });
    if (contacts.length !== ids.length) throw new NotFoundError('Contact');
    await ensureListsAccept(tx, [list], contacts.map((contact) => contact.callingCode));
    const { count } = await tx.contactListMember.createMany({ data: ids.map((contactId) => ({ listId, contactId })), skipDuplicates: true });
    return { list, added: count };
  });
}

export async function removeContactsFromList(actor: Actor, listId: string, contactIds: readonly string[]): Promise<{ list: ContactList; removed: number }> {
  requirePermission(actor, 'contacts:write');
  const ids = contactIdsInput(contactIds);
  return prisma.$transaction(async (tx) => {
    const list = await lockList(tx, actor.accountId, listId);
    const { count } = await tx.contactListMember.deleteMany({ where: { listId, contactId: { in: ids } } });
    return { list, removed: count };
  });
}

/** Deletes the list and its memberships; the contacts stay in the account's global list. */
export async function deleteContactList(actor: Actor, listId: string): Promise<string> {
  requirePermission(actor, 'contacts:write');
  const deleted = await prisma.contactList.deleteMany({ where: { id: listId, accountId: actor.accountId } });
  if (deleted.count === 0) throw new NotFoundError('Contact list');
  return listId;
}
