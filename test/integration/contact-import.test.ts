import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContactImportErrorReportDocument,
  ContactImportProgressDocument,
  ContactImportsDocument,
  ContactsDocument,
  CreateContactListDocument,
  SetContactFieldsDocument,
} from '../../codegen/generated/operations.js';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { apiClient, collect, startTestPlatform, wsClient, type ApiClient, type TestPlatform } from '../support/platform.js';
import { uploadContacts } from '../support/upload.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform?.stop();
});

async function tenantWithApi(): Promise<{ tenant: Tenant; api: ApiClient }> {
  const tenant = await createTenant(platform);
  return { tenant, api: apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`) };
}

async function newList(api: ApiClient, name: string, defaultCountryPrefix?: string): Promise<string> {
  const result = await api.request(CreateContactListDocument, { input: { name, defaultCountryPrefix } });
  if (result.createContactList.__typename !== 'MutationCreateContactListSuccess') throw new Error(JSON.stringify(result));
  return result.createContactList.data.id;
}

async function waitForImport(api: ApiClient, id: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { contactImports } = await api.request(ContactImportsDocument);
    const found = contactImports.edges.map((edge) => edge.node).find((node) => node.id === id);
    if (found && (found.status === 'COMPLETED' || found.status === 'FAILED')) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('import did not finish');
}

async function importOk(tenant: Tenant, content: string | Uint8Array, input: Record<string, unknown> = {}) {
  const uploaded = await uploadContacts(platform.graphqlUrl, tenant.accessToken, { name: 'contacts.csv', content }, input);
  const result = uploaded.json.data?.['importContacts'] as { __typename: string; data?: { id: string; encoding: string } };
  if (result?.__typename !== 'MutationImportContactsSuccess') throw new Error(JSON.stringify(uploaded.json));
  return result.data!;
}

async function importRefused(tenant: Tenant, content: string | Uint8Array, input: Record<string, unknown> = {}): Promise<string> {
  const uploaded = await uploadContacts(platform.graphqlUrl, tenant.accessToken, { name: 'bad.csv', content }, input);
  const result = uploaded.json.data?.['importContacts'] as { __typename: string; message?: string };
  expect(result?.__typename, JSON.stringify(uploaded.json)).toBe('ValidationError');
  return result.message ?? '';
}

describe('CSV import', () => {
  it('imports through a multipart upload and a background job, with progress, de-duplication and an error report', async () => {
    const { tenant, api } = await tenantWithApi();
    await api.request(SetContactFieldsDocument, { input: { names: ['City'] } });
    const listId = await newList(api, 'Customers', '+33');
    const subscriber = wsClient(platform.wsUrl, `Bearer ${tenant.accessToken}`);
    const progress = collect(subscriber, ContactImportProgressDocument);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const csv = [
      'Phone;Prénom;Nom;City;Tags',
      '06 12 34 56 01;Zoé;Lefèvre;Paris;vip|new',
      '+33 6 12 34 56 02;Jean;Martin;Lyon;',
      '0033612345601;Zoé;Doublon;;', // duplicate of row 1 in the file
      'not a number;X;Y;;',
      '+44 7400 123456;John;Smith;London;', // another country in a +33 list
      `0612345603;Long;Field;${'x'.repeat(200)};`,
      '=HYPERLINK("http://evil");A;B;;',
      '',
    ].join('\r\n');
    const started = await importOk(tenant, '\uFEFF' + csv, { listId });
    expect(started.encoding).toBe('UTF-8 with BOM');
    const done = await waitForImport(api, started.id);
    expect(done).toMatchObject({ status: 'COMPLETED', delimiter: ';', totalRows: 7, processedRows: 7, created: 2, addedToList: 2, duplicatesInFile: 1, errorRows: 4 });

    const events = await progress.next(1);
    expect(events.at(-1)?.contactImportProgress.id).toBe(started.id);
    progress.unsubscribe();
    await subscriber.dispose();

    const { contacts } = await api.request(ContactsDocument, { search: { listId }, first: 10 });
    expect(contacts.edges.map((edge) => edge.node).map((c) => [c.number, c.firstName, c.lastName, c.fields[0]?.value, c.tags])).toEqual([
      ['+33612345602', 'Jean', 'Martin', 'Lyon', []],
      ['+33612345601', 'Zoé', 'Lefèvre', 'Paris', ['new', 'vip']],
    ]);

    const { contactImportErrorReport: report } = await api.request(ContactImportErrorReportDocument, { importId: started.id });
    const lines = report.trim().split('\n');
    expect(lines[0]).toBe('row,value,reason,message');
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 3).join(','))).toEqual([
      '4,not a number,NOT_A_NUMBER',
      "5,'+44 7400 123456,OTHER_COUNTRY",
      `6,${'x'.repeat(200)},VALUE_TOO_LONG`,
      `7,"'=HYPERLINK(""http://evil"")",NOT_A_NUMBER`,
    ]);

    // The same file again: nothing new, nothing duplicated.
    const again = await importOk(tenant, '\uFEFF' + csv, { listId });
    expect(await waitForImport(api, again.id)).toMatchObject({ status: 'COMPLETED', created: 0, updated: 0, addedToList: 0, duplicatesInFile: 1, errorRows: 4 });
  });

  it('reads Latin-1 files and says so', async () => {
    const { tenant, api } = await tenantWithApi();
    const latin1 = Buffer.from('numero,prenom,nom\n+33611111111,Hélène,Bérénice\n', 'latin1');
    const started = await importOk(tenant, latin1);
    expect(started.encoding).toBe('ISO-8859-1');
    expect(await waitForImport(api, started.id)).toMatchObject({ status: 'COMPLETED', created: 1 });
    const { contacts } = await api.request(ContactsDocument, { first: 5 });
    expect(contacts.edges[0]?.node).toMatchObject({ firstName: 'Hélène', lastName: 'Bérénice' });
  });

  it('refuses bad files before importing anything', async () => {
    const { tenant, api } = await tenantWithApi();
    expect(await importRefused(tenant, '')).toMatch(/empty/);
    expect(await importRefused(tenant, 'phone,first name\n')).toMatch(/header line but no data rows/);
    expect(await importRefused(tenant, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))).toMatch(/not a CSV text file/);
    expect(await importRefused(tenant, new Uint8Array([0xff, 0xfe, 0x70, 0x00]))).toMatch(/UTF-16/);
    const garbage = Array.from({ length: 5 }, (_, row) => Array.from({ length: 10 }, (_, column) => `g${row}${column}#`).join(',')).join('\n');
    expect(await importRefused(tenant, garbage)).toMatch(/No column holds phone numbers/);
    expect(await importRefused(tenant, 'phone,x\nabc,1\ndef,2\n', { columns: [{ column: 'x', target: 'NUMBER' }] })).toMatch(/holds no valid phone number/);
    expect(await importRefused(tenant, 'phone,x\n+33611111111,1\n', { columns: [{ column: 'missing', target: 'NUMBER' }] })).toMatch(/no column "missing"/);

    await api.request(SetContactFieldsDocument, { input: { names: ['a', 'b', 'c', 'd', 'e'] } });
    expect(await importRefused(tenant, 'phone,colour\n+33611111111,red\n', { columns: [{ column: 'phone', target: 'NUMBER' }, { column: 'colour', target: 'FIELD' }] })).toMatch(
      /at most 5 dynamic fields \(existing: a, b, c, d, e\); cannot add "colour"/,
    );
    const { contactImports } = await api.request(ContactImportsDocument);
    expect(contactImports.edges).toEqual([]);
    const { contacts } = await api.request(ContactsDocument, { first: 5 });
    expect(contacts.edges).toEqual([]);
  });
});
