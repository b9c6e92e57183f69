import DataLoader from 'dataloader';
import { prisma } from '../db/client.js';
import { blacklistedAmong } from '../domain/contacts/blacklist.js';
import { fieldValuesOf, loadContactFields, type ContactFieldDefinition } from '../domain/contacts/contact-fields.js';
import { formatCallingCode } from '../domain/contacts/contact-numbers.js';
import { builder } from './builder.js';
import { actorAccountId, type Context } from './context.js';

/**
 * Per-request loaders: a page of contacts asks once for the account's field names and once for
 * which of its numbers are blacklisted, whatever the page size.
 */
const loaders = new WeakMap<Context, { blacklisted: DataLoader<string, boolean>; fields: DataLoader<string, ContactFieldDefinition[]> }>();
function loadersOf(context: Context) {
  let found = loaders.get(context);
  if (!found) {
    const accountId = actorAccountId(context);
    found = {
      blacklisted: new DataLoader(async (numbers: readonly string[]) => {
        const blacklisted = await blacklistedAmong(accountId, numbers);
        return numbers.map((number) => blacklisted.has(number));
      }),
      fields: new DataLoader(async (accountIds: readonly string[]) => Promise.all(accountIds.map((id) => loadContactFields(prisma, id)))),
    };
    loaders.set(context, found);
  }
  return found;
}

export const ContactFieldDefinitionType = builder.objectRef<ContactFieldDefinition>('ContactFieldDefinition').implement({
  description: "One of the account's dynamic contact fields, usable as a `{name}` placeholder.",
  fields: (t) => ({
    position: t.exposeInt('position', { description: '1 to 5.' }),
    name: t.exposeString('name'),
  }),
});

const ContactFieldValue = builder.objectRef<{ name: string; value: string | null }>('ContactFieldValue').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    value: t.exposeString('value', { nullable: true }),
  }),
});

export const ContactListType = builder.prismaNode('ContactList', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  fields: (t) => ({
    name: t.exposeString('name'),
    defaultCountryPrefix: t.string({
      nullable: true,
      description: 'Calling code (`+33`) applied to national-format numbers; the list then holds only numbers of that country.',
      select: { defaultCallingCode: true },
      resolve: (list) => formatCallingCode(list.defaultCallingCode),
    }),
    contactCount: t.int({
      // Counted on demand rather than through Pothos' relationCount, which needs every resolver
      // returning a list (mutations included) to spread the query selection.
      select: { id: true },
      resolve: (list) => prisma.contactListMember.count({ where: { listId: list.id } }),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const ContactType = builder.prismaNode('Contact', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  description: "A contact of the account's global list (one per number).",
  fields: (t) => ({
    number: t.expose('number', { type: 'Phone' }),
    firstName: t.exposeString('firstName', { nullable: true }),
    lastName: t.exposeString('lastName', { nullable: true }),
    fields: t.field({
      type: [ContactFieldValue],
      description: "Values of the account's dynamic fields, in position order.",
      select: { accountId: true, field1: true, field2: true, field3: true, field4: true, field5: true },
      resolve: async (contact, _args, context) => fieldValuesOf(await loadersOf(context).fields.load(contact.accountId), contact),
    }),
    tags: t.stringList({
      select: { tags: { select: { tag: true }, orderBy: { tag: 'asc' } } },
      resolve: (contact) => contact.tags.map((tag) => tag.tag),
    }),
    lists: t.field({
      type: [ContactListType],
      select: { memberships: { select: { list: true }, orderBy: { addedAt: 'asc' } } },
      resolve: (contact) => contact.memberships.map((membership) => membership.list),
    }),
    blacklisted: t.boolean({
      description: "The number is on the account's blacklist: nothing is sent to it.",
      select: { number: true },
      resolve: (contact, _args, context) => loadersOf(context).blacklisted.load(contact.number),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const BlacklistSourceEnum = builder.enumType('BlacklistSource', {
  values: {
    MANUAL: { description: 'Added by a user.' },
    STOP_REPLY: { description: 'The recipient answered STOP.' },
    IMPORT: { description: 'Marked in an imported file.' },
  } as const,
});

export const BlacklistEntryType = builder.prismaNode('BlacklistEntry', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  fields: (t) => ({
    number: t.expose('number', { type: 'Phone' }),
    reason: t.exposeString('reason', { nullable: true }),
    source: t.expose('source', { type: BlacklistSourceEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const FieldValueInput = builder.inputType('FieldValueInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'A field name of the account.' }),
    value: t.string({ description: 'At most 100 characters; null or blank clears it.' }),
  }),
});

export const CreateContactInput = builder.inputType('CreateContactInput', {
  fields: (t) => ({
    number: t.string({ required: true, description: 'International format, or national with a default prefix (argument or list).' }),
    defaultCountryPrefix: t.string({ description: 'Calling code for a national-format number, e.g. `+33`; defaults to the first list\'s.' }),
    firstName: t.string(),
    lastName: t.string(),
    fields: t.field({ type: [FieldValueInput] }),
    tags: t.stringList(),
    listIds: t.globalIDList({ for: [ContactListType], description: 'Lists to add the contact to.' }),
  }),
});

export const UpdateContactInput = builder.inputType('UpdateContactInput', {
  fields: (t) => ({
    id: t.globalID({ required: true, for: [ContactType] }),
    firstName: t.string(),
    lastName: t.string(),
    fields: t.field({ type: [FieldValueInput] }),
    tags: t.stringList({ description: "Replaces the contact's tags." }),
  }),
});

export const ContactFieldSearch = builder.inputType('ContactFieldSearch', {
  fields: (t) => ({
    name: t.string({ required: true }),
    value: t.string({ required: true, description: 'Exact value.' }),
  }),
});

export const ContactSearchInput = builder.inputType('ContactSearch', {
  description: 'Criteria combine with AND.',
  fields: (t) => ({
    numberPrefix: t.string({ description: 'Start of the E.164 number, e.g. `+3361`.' }),
    name: t.string({ description: 'Words found in the first or last name (case-insensitive).' }),
    tag: t.string(),
    listId: t.globalID({ for: [ContactListType] }),
    field: t.field({ type: ContactFieldSearch }),
  }),
});

export const ContactListInput = builder.inputType('ContactListInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    defaultCountryPrefix: t.string({ description: 'e.g. `+33`: applied to national-format numbers.' }),
  }),
});

export const UpdateContactListInput = builder.inputType('UpdateContactListInput', {
  fields: (t) => ({
    id: t.globalID({ required: true, for: [ContactListType] }),
    name: t.string(),
    defaultCountryPrefix: t.string({ description: 'An empty string removes it.' }),
  }),
});

export const ListContactsInput = builder.inputType('ListContactsInput', {
  fields: (t) => ({
    listId: t.globalID({ required: true, for: [ContactListType] }),
    contactIds: t.globalIDList({ required: true, for: [ContactType], description: '1 to 1000 contacts.' }),
  }),
});

export const ListMembershipPayload = builder.objectRef<{ list: { id: string }; count: number }>('ListMembershipPayload').implement({
  fields: (t) => ({
    list: t.field({ type: ContactListType, resolve: (payload) => prisma.contactList.findUniqueOrThrow({ where: { id: payload.list.id } }) }),
    count: t.exposeInt('count', { description: 'Contacts added (or removed); those already in (or not in) the list are not counted.' }),
  }),
});

export const BlacklistNumberInput = builder.inputType('BlacklistNumberInput', {
  fields: (t) => ({
    number: t.string({ required: true }),
    reason: t.string(),
    defaultCountryPrefix: t.string({ description: 'For a national-format number, e.g. `+33`.' }),
  }),
});

export const UnblacklistPayload = builder.objectRef<{ number: string; removed: boolean }>('UnblacklistPayload').implement({
  fields: (t) => ({
    number: t.exposeString('number'),
    removed: t.exposeBoolean('removed', { description: 'False when the number was not blacklisted.' }),
  }),
});

export const ContactFieldsInput = builder.inputType('ContactFieldsInput', {
  fields: (t) => ({
    names: t.stringList({ required: true, description: 'Up to 5 names; the n-th name is field n. A position left out is cleared on every contact.' }),
  }),
});
