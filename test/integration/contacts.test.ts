import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddContactsToListDocument,
  BlacklistDocument,
  BlacklistNumberDocument,
  ContactsDocument,
  CreateContactDocument,
  CreateContactListDocument,
  DeleteContactDocument,
  RemoveContactsFromListDocument,
  SetContactFieldsDocument,
  UnblacklistNumberDocument,
  UpdateContactDocument,
  UpdateContactListDocument,
} from '../../codegen/generated/operations.js';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let tenant: Tenant;
let api: ApiClient;

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await createTenant(platform);
  api = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
});

afterAll(async () => {
  await platform?.stop();
});

async function newList(name: string, defaultCountryPrefix?: string) {
  const result = await api.request(CreateContactListDocument, { input: { name, defaultCountryPrefix } });
  if (result.createContactList.__typename !== 'MutationCreateContactListSuccess') throw new Error(JSON.stringify(result));
  return result.createContactList.data;
}

async function newContact(input: Record<string, unknown>) {
  const result = await api.request(CreateContactDocument, { input: input as never });
  if (result.createContact.__typename !== 'MutationCreateContactSuccess') throw new Error(JSON.stringify(result));
  return result.createContact.data;
}

async function search(criteria: Record<string, unknown>) {
  const result = await api.request(ContactsDocument, { search: criteria as never, first: 50 });
  return result.contacts.edges.map((edge) => edge.node);
}

describe('contacts', () => {
  it('stores a number once per account, applies the list prefix to national numbers, and searches every way', async () => {
    const fields = await api.request(SetContactFieldsDocument, { input: { names: ['City', 'Shop'] } });
    expect(fields.setContactFields).toMatchObject({ data: [{ position: 1, name: 'City' }, { position: 2, name: 'Shop' }] });
    const paris = await newList('Paris', '+33');
    expect(paris.defaultCountryPrefix).toBe('+33');

    const jeanne = await newContact({
      number: '06 12 34 56 78',
      firstName: 'Jeanne',
      lastName: 'Dupont',
      fields: [{ name: 'city', value: 'Paris' }],
      tags: ['VIP', 'vip', ' new '],
      listIds: [paris.id],
    });
    expect(jeanne).toMatchObject({
      number: '+33612345678',
      fields: [{ name: 'City', value: 'Paris' }, { name: 'Shop', value: null }],
      tags: ['VIP', 'new'],
      lists: [{ name: 'Paris' }],
      blacklisted: false,
    });
    await newContact({ number: '+44 7400 123456', firstName: 'John', lastName: 'Smith', fields: [{ name: 'City', value: 'London' }] });

    const duplicate = await api.request(CreateContactDocument, { input: { number: '+33 6 12 34 56 78' } });
    expect(duplicate.createContact).toMatchObject({ __typename: 'DuplicateContactError', code: 'DUPLICATE_CONTACT', existingContactId: jeanne.id });

    const national = await api.request(CreateContactDocument, { input: { number: '0612345679' } });
    expect(national.createContact).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'number' }] });
    const tooLong = await api.request(CreateContactDocument, { input: { number: '+33612345670', fields: [{ name: 'City', value: 'x'.repeat(200) }, { name: 'Colour', value: 'red' }] } });
    expect(tooLong.createContact).toMatchObject({ __typename: 'ValidationError' });
    expect(JSON.stringify(tooLong)).toMatch(/200 characters; at most 100/);
    expect(JSON.stringify(tooLong)).toMatch(/Unknown field \\"Colour\\"/);

    expect((await search({ numberPrefix: '+336' })).map((c) => c.number)).toEqual(['+33612345678']);
    expect((await search({ numberPrefix: '44' })).map((c) => c.number)).toEqual(['+447400123456']);
    expect((await search({ name: 'dup' })).map((c) => c.firstName)).toEqual(['Jeanne']);
    expect((await search({ name: 'smith john' })).map((c) => c.firstName)).toEqual(['John']);
    expect((await search({ tag: 'VIP' })).map((c) => c.firstName)).toEqual(['Jeanne']);
    expect((await search({ listId: paris.id })).map((c) => c.firstName)).toEqual(['Jeanne']);
    expect((await search({ field: { name: 'City', value: 'London' } })).map((c) => c.firstName)).toEqual(['John']);
    expect((await search({})).length).toBe(2);

    const updated = await api.request(UpdateContactDocument, { input: { id: jeanne.id, lastName: 'Durand', tags: ['gold'], fields: [{ name: 'Shop', value: 'Lyon 2' }] } });
    expect(updated.updateContact).toMatchObject({ data: { lastName: 'Durand', tags: ['gold'], fields: [{ value: 'Paris' }, { value: 'Lyon 2' }] } });
    expect((await search({ tag: 'VIP' })).length).toBe(0);
  });

  it('refuses a sixth dynamic field', async () => {
    const result = await api.request(SetContactFieldsDocument, { input: { names: ['a', 'b', 'c', 'd', 'e', 'f'] } });
    expect(result.setContactFields).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(result)).toMatch(/at most 5 dynamic fields/);
  });

  it('keeps a list with a default prefix to numbers of one country', async () => {
    const mixed = await newList('Mixed');
    const french = await newContact({ number: '+33611111111' });
    const british = await newContact({ number: '+447400111111' });
    const added = await api.request(AddContactsToListDocument, { input: { listId: mixed.id, contactIds: [french.id, british.id, french.id] } });
    expect(added.addContactsToList).toMatchObject({ data: { count: 2, list: { contactCount: 2 } } });
    const again = await api.request(AddContactsToListDocument, { input: { listId: mixed.id, contactIds: [french.id] } });
    expect(again.addContactsToList).toMatchObject({ data: { count: 0, list: { contactCount: 2 } } });

    const refused = await api.request(UpdateContactListDocument, { input: { id: mixed.id, defaultCountryPrefix: '+33' } });
    expect(refused.updateContactList).toMatchObject({ __typename: 'ValidationError' });
    expect(JSON.stringify(refused)).toMatch(/several countries \(\+33, \+44\)/);

    const removed = await api.request(RemoveContactsFromListDocument, { input: { listId: mixed.id, contactIds: [british.id] } });
    expect(removed.removeContactsFromList).toMatchObject({ data: { count: 1, list: { contactCount: 1 } } });
    const accepted = await api.request(UpdateContactListDocument, { input: { id: mixed.id, defaultCountryPrefix: '0033' } });
    expect(accepted.updateContactList).toMatchObject({ data: { defaultCountryPrefix: '+33' } });
    const foreign = await api.request(AddContactsToListDocument, { input: { listId: mixed.id, contactIds: [british.id] } });
    expect(foreign.addContactsToList).toMatchObject({ __typename: 'ValidationError' });
    expect(JSON.stringify(foreign)).toMatch(/default prefix \+33.*refused: \+44/);
  });

  it('flags blacklisted contacts and lists the blacklist with reason and source', async () => {
    const contact = await newContact({ number: '+33622222222', firstName: 'Stop' });
    const added = await api.request(BlacklistNumberDocument, { input: { number: '06 22 22 22 22', defaultCountryPrefix: '+33', reason: 'asked by phone' } });
    expect(added.blacklistNumber).toMatchObject({ data: { number: '+33622222222', reason: 'asked by phone', source: 'MANUAL' } });
    expect((await search({ name: 'Stop' }))[0]?.blacklisted).toBe(true);
    const listed = await api.request(BlacklistDocument);
    expect(listed.blacklist.edges.map((edge) => edge.node)).toEqual([{ number: '+33622222222', reason: 'asked by phone', source: 'MANUAL' }]);
    const removed = await api.request(UnblacklistNumberDocument, { input: { number: '+33622222222' } });
    expect(removed.unblacklistNumber).toMatchObject({ data: { removed: true } });
    expect((await search({ name: 'Stop' }))[0]?.blacklisted).toBe(false);
    const deleted = await api.request(DeleteContactDocument, { id: contact.id });
    expect(deleted.deleteContact.__typename).toBe('MutationDeleteContactSuccess');
    expect(await search({ name: 'Stop' })).toEqual([]);
  });

  it('applies the plan limit on contact lists', async () => {
    const other = await createTenant(platform);
    const client = apiClient(platform.graphqlUrl, `Bearer ${other.accessToken}`);
    for (let index = 0; index < 10; index++) {
      const created = await client.request(CreateContactListDocument, { input: { name: `List ${index}` } });
      expect(created.createContactList.__typename).toBe('MutationCreateContactListSuccess');
    }
    const refused = await client.request(CreateContactListDocument, { input: { name: 'One too many' } });
    expect(refused.createContactList).toMatchObject({ __typename: 'PlanLimitError', limit: 'contactLists', allowed: 10 });
  });
});
