import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateContactListDocument } from '../../codegen/generated/operations.js';
import { createTenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { uploadContacts } from '../support/upload.js';

// API role only: no worker picks the job up, so the test runs it, crashes it and resumes it.
let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ ROLE: 'api' });
});

afterAll(async () => {
  await platform?.stop();
});

describe('CSV import after a crash', () => {
  it('resumes after the last committed batch without duplicating or losing rows', async () => {
    const tenant = await createTenant(platform);
    const api = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    const list = await api.request(CreateContactListDocument, { input: { name: 'Resume', defaultCountryPrefix: '+33' } });
    if (list.createContactList.__typename !== 'MutationCreateContactListSuccess') throw new Error(JSON.stringify(list));
    // 20 rows: 16 valid distinct numbers, 2 duplicates (rows 9 and 15), 2 invalid (rows 5 and 17).
    const rows = Array.from({ length: 20 }, (_, index) => {
      const row = index + 1;
      if (row === 5 || row === 17) return `bad-${row},Name${row}`;
      if (row === 9) return '06 00 00 00 01,Again';
      if (row === 15) return '+33600000002,Again';
      return `06000000${String(row).padStart(2, '0')},Name${row}`;
    });
    const uploaded = await uploadContacts(platform.graphqlUrl, tenant.accessToken, { name: 'resume.csv', content: `phone,first name\n${rows.join('\n')}\n` }, {
      listId: list.createContactList.data.id,
    });
    const importId = Buffer.from((uploaded.json.data?.['importContacts'] as { data: { id: string } }).data.id, 'base64').toString().split(':')[1]!;

    const { runContactImport } = await import('../../src/domain/contacts/contact-import.js');
    const { prisma } = await import('../../src/db/client.js');
    const crash = new Error('simulated crash after batch 2');
    await expect(
      runContactImport(importId, {
        batchRows: 3,
        afterBatchCommitted: (batch) => {
          if (batch === 2) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    const crashed = await prisma.contactImport.findUniqueOrThrow({ where: { id: importId } });
    expect(crashed).toMatchObject({ status: 'FAILED', committedRows: 6, committedBatches: 2, created: 5, errorRows: 1 });
    expect(await prisma.contact.count({ where: { accountId: tenant.accountUuid } })).toBe(5);

    expect(await runContactImport(importId, { batchRows: 3 })).toBe('COMPLETED');
    expect(await runContactImport(importId, { batchRows: 3 })).toBe('ALREADY_DONE');
    const done = await prisma.contactImport.findUniqueOrThrow({ where: { id: importId } });
    expect(done).toMatchObject({ status: 'COMPLETED', committedRows: 20, totalRows: 20, created: 16, addedToList: 16, duplicatesInFile: 2, errorRows: 2, failure: null });
    expect(await prisma.contact.count({ where: { accountId: tenant.accountUuid } })).toBe(16);
    expect(await prisma.contactListMember.count({ where: { listId: done.listId! } })).toBe(16);
    expect((await prisma.contactImportError.findMany({ where: { importId }, orderBy: { row: 'asc' } })).map((error) => error.row)).toEqual([5, 17]);
  });

  it('lets only one run work at a time', async () => {
    const tenant = await createTenant(platform);
    const rows = Array.from({ length: 50 }, (_, index) => `+336100000${String(index).padStart(2, '0')}`);
    const uploaded = await uploadContacts(platform.graphqlUrl, tenant.accessToken, { name: 'twice.csv', content: `phone\n${rows.join('\n')}\n` });
    const importId = Buffer.from((uploaded.json.data?.['importContacts'] as { data: { id: string } }).data.id, 'base64').toString().split(':')[1]!;
    const { runContactImport } = await import('../../src/domain/contacts/contact-import.js');
    const { prisma } = await import('../../src/db/client.js');
    const results = await Promise.all([runContactImport(importId, { batchRows: 7 }), runContactImport(importId, { batchRows: 7 })]);
    expect(results.filter((result) => result === 'COMPLETED')).toHaveLength(1);
    expect(await prisma.contact.count({ where: { accountId: tenant.accountUuid } })).toBe(50);
    expect(await prisma.contactImport.findUniqueOrThrow({ where: { id: importId } })).toMatchObject({ created: 50, committedRows: 50 });
  });
});
