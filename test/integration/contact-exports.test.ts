import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BlacklistNumberDocument,
  CreateContactDocument,
  CreateContactListDocument,
  DataExportDocument,
  ExportContactsDocument,
  RenewExportDownloadLinkDocument,
  SetContactFieldsDocument,
} from '../../codegen/generated/operations.js';
import { createTenant, databaseId } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform?.stop();
});

async function newApi(): Promise<ApiClient> {
  const tenant = await createTenant(platform);
  return apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
}

async function startExport(api: ApiClient, input: Record<string, unknown>) {
  const result = await api.request(ExportContactsDocument, { input: input as never });
  if (result.exportContacts.__typename !== 'MutationExportContactsSuccess') throw new Error(JSON.stringify(result));
  return result.exportContacts.data;
}

async function waitUntilSettled(api: ApiClient, id: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { dataExport } = await api.request(DataExportDocument, { id });
    if (dataExport && dataExport.status !== 'PENDING' && dataExport.status !== 'RUNNING') return dataExport;
    if (Date.now() > deadline) throw new Error(`export still ${dataExport?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('contact exports', () => {
  it('exports a list as CSV with formula-looking cells escaped, downloadable by its link', async () => {
    const api = await newApi();
    await api.request(SetContactFieldsDocument, { input: { names: ['City'] } });
    const list = await api.request(CreateContactListDocument, { input: { name: 'VIP', defaultCountryPrefix: '+33' } });
    if (list.createContactList.__typename !== 'MutationCreateContactListSuccess') throw new Error(JSON.stringify(list));
    const listId = list.createContactList.data.id;
    const contacts = [
      { number: '0612345678', firstName: '=HYPERLINK("http://evil.example","click")', lastName: 'Dupont', fields: [{ name: 'City', value: '@Paris' }], tags: ['vip', 'client'] },
      { number: '0698765432', firstName: 'Élodie', lastName: 'Martin, "la grande"', fields: [{ name: 'City', value: 'Lyon' }] },
    ];
    for (const contact of contacts) {
      const created = await api.request(CreateContactDocument, { input: { ...contact, listIds: [listId] } });
      expect(created.createContact.__typename).toBe('MutationCreateContactSuccess');
    }
    // Not in the list: must not be exported.
    await api.request(CreateContactDocument, { input: { number: '+33611111111', firstName: 'Outside' } });
    await api.request(BlacklistNumberDocument, { input: { number: '+33698765432' } });

    const started = await startExport(api, { listId });
    expect(started.export).toMatchObject({ kind: 'CONTACTS', status: expect.stringMatching(/PENDING|RUNNING|READY/) });
    expect(started.downloadUrl).toMatch(new RegExp(`^${platform.url}/exports/[0-9a-f-]{36}\\?token=[A-Za-z0-9_-]{43}$`));
    const done = await waitUntilSettled(api, started.export.id);
    expect(done).toMatchObject({ status: 'READY', rowCount: 2, failure: null });
    expect(Date.parse(done.expiresAt!) - Date.now()).toBeGreaterThan(23 * 3600_000);

    const response = await fetch(started.downloadUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="contacts-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.text();
    const rows = parse(body, { bom: true }) as string[][];
    expect(rows[0]).toEqual(['number', 'first_name', 'last_name', 'City', 'tags', 'blacklisted', 'created_at']);
    expect(rows.slice(1).map((row) => row.slice(0, 6))).toEqual([
      ["'+33612345678", `'=HYPERLINK("http://evil.example","click")`, 'Dupont', "'@Paris", 'client, vip', 'no'],
      ["'+33698765432", 'Élodie', 'Martin, "la grande"', 'Lyon', '', 'yes'],
    ]);
    expect(body).not.toMatch(/(^|,)=HYPERLINK/m);
    expect(Buffer.byteLength(body) + 3).toBe(done.byteSize); // + the BOM, which text() drops
  });

  it('exports search results, and refuses wrong, renewed and expired links', async () => {
    const api = await newApi();
    for (const [number, tag] of [['+33612000001', 'lyon'], ['+33612000002', 'paris'], ['+33612000003', 'lyon']] as const) {
      await api.request(CreateContactDocument, { input: { number, tags: [tag] } });
    }
    const started = await startExport(api, { search: { tag: 'lyon' } });
    const done = await waitUntilSettled(api, started.export.id);
    expect(done).toMatchObject({ status: 'READY', rowCount: 2 });
    const rows = parse(await (await fetch(started.downloadUrl)).text(), { bom: true }) as string[][];
    expect(rows.slice(1).map((row) => row[0])).toEqual(["'+33612000001", "'+33612000003"]);

    const url = new URL(started.downloadUrl);
    const wrongToken = new URL(url);
    wrongToken.searchParams.set('token', 'A'.repeat(43));
    expect((await fetch(wrongToken)).status).toBe(404);
    const noToken = new URL(url);
    noToken.search = '';
    expect((await fetch(noToken)).status).toBe(404);
    expect((await fetch(`${platform.url}/exports/not-an-id?token=x`)).status).toBe(404);

    // A renewed link replaces the old one.
    const renewed = await api.request(RenewExportDownloadLinkDocument, { id: started.export.id });
    if (renewed.renewExportDownloadLink.__typename !== 'MutationRenewExportDownloadLinkSuccess') throw new Error(JSON.stringify(renewed));
    expect((await fetch(started.downloadUrl)).status).toBe(404);
    const newUrl = renewed.renewExportDownloadLink.data.downloadUrl;
    expect((await fetch(newUrl)).status).toBe(200);

    // Past its window the link answers 410, and the purge job deletes the file.
    const { prisma } = await import('../../src/db/client.js');
    const { purgeExpiredExports } = await import('../../src/domain/exports/data-exports.js');
    await prisma.dataExport.update({ where: { id: databaseId(started.export.id) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await fetch(newUrl);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toMatch(/expired/);
    expect(await purgeExpiredExports()).toBeGreaterThanOrEqual(1);
    expect((await api.request(DataExportDocument, { id: started.export.id })).dataExport?.status).toBe('EXPIRED');
    expect((await fetch(newUrl)).status).toBe(410);
  });

  it("counts against the plan's monthly data exports and refuses bad criteria without using one", async () => {
    const api = await newApi();
    const badField = await api.request(ExportContactsDocument, { input: { search: { field: { name: 'Nope', value: 'x' } } } });
    expect(badField.exportContacts).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'search.field.name' }] });
    const badList = await api.request(ExportContactsDocument, { input: { listId: Buffer.from('ContactList:0190e0e0-0000-7000-8000-000000000000').toString('base64') } });
    expect(badList.exportContacts).toMatchObject({ __typename: 'NotFoundError' });

    for (let index = 0; index < 3; index++) await startExport(api, {});
    const refused = await api.request(ExportContactsDocument, { input: {} });
    expect(refused.exportContacts).toMatchObject({
      __typename: 'PlanLimitError',
      limit: 'monthlyDataExports',
      allowed: 3,
      currentPlan: 'Standard',
      upgradePlan: 'Premium',
    });
  });
});
