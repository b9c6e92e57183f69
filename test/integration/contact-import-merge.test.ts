import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateContactListDocument, SetContactFieldsDocument } from '../../codegen/generated/operations.js';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { uploadContacts } from '../support/upload.js';

// API role only: no worker picks the jobs up, so each test runs its import with its options.
let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ ROLE: 'api' });
});

afterAll(async () => {
  await platform?.stop();
});

async function newList(tenant: Tenant, name: string): Promise<string> {
  const api = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
  const result = await api.request(CreateContactListDocument, { input: { name, defaultCountryPrefix: '+33' } });
  if (result.createContactList.__typename !== 'MutationCreateContactListSuccess') throw new Error(JSON.stringify(result));
  return result.createContactList.data.id;
}

async function upload(tenant: Tenant, csv: string, listId: string): Promise<string> {
  const uploaded = await uploadContacts(platform.graphqlUrl, tenant.accessToken, { name: 'contacts.csv', content: csv }, { listId });
  const data = uploaded.json.data?.['importContacts'] as { __typename: string; data?: { id: string } } | undefined;
  if (data?.__typename !== 'MutationImportContactsSuccess') throw new Error(JSON.stringify(uploaded.json));
  return Buffer.from(data.data!.id, 'base64').toString().split(':')[1]!;
}

const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64').toString().split(':')[1]!;

/** The account's contacts with their lists and tags, by number. */
function contactsOf(tenant: Tenant) {
  return platform.sql<{ number: string; first_name: string; last_name: string; field_1: string | null; lists: string[]; tags: string[] }>(
    `SELECT c.number, c.first_name, c.last_name, c.field_1,
            ARRAY(SELECT l.name FROM contact_list_member m JOIN contact_list l ON l.id = m.list_id WHERE m.contact_id = c.id ORDER BY l.name)::text[] AS lists,
            ARRAY(SELECT t.tag FROM contact_tag t WHERE t.contact_id = c.id ORDER BY t.tag)::text[] AS tags
       FROM contact c WHERE c.account_id = $1 ORDER BY c.number`,
    [tenant.accountUuid],
  );
}

describe('CSV import into an account that has contacts already', () => {
  it.each([
    ['foreign-key checks skipped where the import makes them unnecessary', false],
    ['every foreign-key check kept', true],
  ])('merges values, lists and tags (%s)', async (_mode, keepForeignKeyChecks) => {
    const tenant = await createTenant(platform);
    const api = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    await api.request(SetContactFieldsDocument, { input: { names: ['City'] } });
    const first = await newList(tenant, 'First');
    const second = await newList(tenant, 'Second');
    const { runContactImport } = await import('../../src/domain/contacts/contact-import.js');

    const before = await upload(
      tenant,
      ['phone;first name;last name;city;tags', '0600000001;Zoé;Martin;Paris;vip', '0600000002;Luc;Petit;Lyon;', '0600000003;Léa;Durand;;'].join('\n'),
      first,
    );
    expect(await runContactImport(before, { batchRows: 2, keepForeignKeyChecks })).toBe('COMPLETED');

    // Row 1 renames, row 2 adds a tag and leaves the name blank, row 3 changes nothing, rows 4-5 are new.
    const again = await upload(
      tenant,
      [
        'phone;first name;last name;city;tags',
        '+33600000001;Zoé;Lefèvre;;new',
        '06 00 00 00 02;;;;gold',
        '0600000003;Léa;Durand;;',
        '0600000004;Max;Roux;Nice;',
        '0600000005;Ana;Blanc;;gold',
      ].join('\n'),
      second,
    );
    expect(await runContactImport(again, { batchRows: 2, keepForeignKeyChecks })).toBe('COMPLETED');

    const job = await platform.sql<{ created: number; updated: number; added_to_list: number; error_rows: number }>(
      'SELECT created, updated, added_to_list, error_rows FROM contact_import WHERE id = $1',
      [again],
    );
    expect(job).toEqual([{ created: 2, updated: 1, added_to_list: 5, error_rows: 0 }]);
    const contacts = await contactsOf(tenant);
    expect(contacts).toEqual([
      { number: '+33600000001', first_name: 'Zoé', last_name: 'Lefèvre', field_1: 'Paris', lists: ['First', 'Second'], tags: ['new', 'vip'] },
      { number: '+33600000002', first_name: 'Luc', last_name: 'Petit', field_1: 'Lyon', lists: ['First', 'Second'], tags: ['gold'] },
      { number: '+33600000003', first_name: 'Léa', last_name: 'Durand', field_1: null, lists: ['First', 'Second'], tags: [] },
      { number: '+33600000004', first_name: 'Max', last_name: 'Roux', field_1: 'Nice', lists: ['Second'], tags: [] },
      { number: '+33600000005', first_name: 'Ana', last_name: 'Blanc', field_1: null, lists: ['Second'], tags: ['gold'] },
    ]);

    // Into a list that holds them all: only a changed value is written.
    const third = await upload(tenant, ['phone;first name;last name;city', '0600000002;Lucas;;', '0600000003;Léa;Durand;', '0600000005;;;Lille'].join('\n'), second);
    expect(await runContactImport(third, { batchRows: 2, keepForeignKeyChecks })).toBe('COMPLETED');
    expect(await platform.sql('SELECT created, updated, added_to_list FROM contact_import WHERE id = $1', [third])).toEqual([{ created: 0, updated: 2, added_to_list: 0 }]);
    const after = await contactsOf(tenant);
    expect(after).toEqual([
      { number: '+33600000001', first_name: 'Zoé', last_name: 'Lefèvre', field_1: 'Paris', lists: ['First', 'Second'], tags: ['new', 'vip'] },
      { number: '+33600000002', first_name: 'Lucas', last_name: 'Petit', field_1: 'Lyon', lists: ['First', 'Second'], tags: ['gold'] },
      { number: '+33600000003', first_name: 'Léa', last_name: 'Durand', field_1: null, lists: ['First', 'Second'], tags: [] },
      { number: '+33600000004', first_name: 'Max', last_name: 'Roux', field_1: 'Nice', lists: ['Second'], tags: [] },
      { number: '+33600000005', first_name: 'Ana', last_name: 'Blanc', field_1: 'Lille', lists: ['Second'], tags: ['gold'] },
    ]);
  });

  it('does not add to the list a contact deleted while the import adds it (the batch is retried)', async () => {
    const tenant = await createTenant(platform);
    const first = await newList(tenant, 'First');
    const second = await newList(tenant, 'Second');
    const { runContactImport } = await import('../../src/domain/contacts/contact-import.js');
    const { pool } = await import('../../src/db/client.js');
    expect(await runContactImport(await upload(tenant, 'phone\n0600000001\n0600000002\n', first))).toBe('COMPLETED');
    const [doomed] = await platform.sql<{ id: string }>('SELECT id FROM contact WHERE account_id = $1 AND number = $2', [tenant.accountUuid, '+33600000001']);

    // Someone deletes the contact in a transaction that commits while the import waits for it.
    const deleter = await pool.connect();
    try {
      await deleter.query('BEGIN');
      await deleter.query('DELETE FROM contact WHERE id = $1', [doomed!.id]);
      const run = runContactImport(await upload(tenant, 'phone\n0600000001\n0600000002\n0600000003\n', second));
      for (let attempt = 0; ; attempt++) {
        const [waiting] = await platform.sql<{ count: number }>(
          "SELECT count(*)::int AS count FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR KEY SHARE%'",
        );
        if (waiting!.count > 0) break;
        if (attempt > 200) throw new Error('the import never waited for the deleted contact');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await deleter.query('COMMIT');
      expect(await run).toBe('COMPLETED');
    } finally {
      deleter.release();
    }
    const members = await platform.sql<{ number: string; dangling: boolean }>(
      `SELECT c.number, c.id IS NULL AS dangling FROM contact_list_member m LEFT JOIN contact c ON c.id = m.contact_id
        WHERE m.list_id = $1 ORDER BY c.number`,
      [uuidOf(second)],
    );
    // Found deleted, the contact was created again rather than referenced.
    expect(members).toEqual([
      { number: '+33600000001', dangling: false },
      { number: '+33600000002', dangling: false },
      { number: '+33600000003', dangling: false },
    ]);
  });

  it('stores backslashes and tabs as written, and sees them unchanged the second time', async () => {
    const tenant = await createTenant(platform);
    const listId = await newList(tenant, 'Escapes');
    const { runContactImport } = await import('../../src/domain/contacts/contact-import.js');
    const csv = 'phone;first name;last name\n0640000001;A\\B;C\tD\n0640000002;\\N;x\n';
    expect(await runContactImport(await upload(tenant, csv, listId))).toBe('COMPLETED');
    const again = await upload(tenant, csv, listId);
    expect(await runContactImport(again)).toBe('COMPLETED');
    expect(await platform.sql('SELECT created, updated FROM contact_import WHERE id = $1', [again])).toEqual([{ created: 0, updated: 0 }]);
    expect((await contactsOf(tenant)).map((contact) => [contact.first_name, contact.last_name])).toEqual([
      ['A\\B', 'C\tD'],
      ['\\N', 'x'],
    ]);
  });

  it('keeps the triggers someone adds to the contact tables', async () => {
    const tenant = await createTenant(platform);
    const listId = await newList(tenant, 'Audited');
    await platform.sql('CREATE TABLE contact_audit (contact_id uuid NOT NULL)');
    await platform.sql("CREATE FUNCTION contact_audit_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO contact_audit VALUES (NEW.id); RETURN NEW; END $$");
    await platform.sql('CREATE TRIGGER contact_audit AFTER INSERT ON contact FOR EACH ROW EXECUTE FUNCTION contact_audit_insert()');
    try {
      const { runContactImport } = await import('../../src/domain/contacts/contact-import.js');
      expect(await runContactImport(await upload(tenant, 'phone\n0630000001\n0630000002\n0630000003\n', listId))).toBe('COMPLETED');
      const [audited] = await platform.sql<{ count: number }>(
        'SELECT count(*)::int AS count FROM contact_audit a JOIN contact c ON c.id = a.contact_id WHERE c.account_id = $1',
        [tenant.accountUuid],
      );
      expect(audited!.count).toBe(3);
    } finally {
      await platform.sql('DROP TRIGGER contact_audit ON contact');
      await platform.sql('DROP FUNCTION contact_audit_insert()');
      await platform.sql('DROP TABLE contact_audit');
    }
  });

  it('stops, saying why, when the list is deleted during the import', async () => {
    const tenant = await createTenant(platform);
    const listId = await newList(tenant, 'Doomed');
    // Enough batches that the deletion (not awaited by the import) lands before the end.
    const rows = Array.from({ length: 400 }, (_, index) => `0610000${String(index).padStart(3, '0')}`);
    const importId = await upload(tenant, `phone\n${rows.join('\n')}\n`, listId);
    const { runContactImport } = await import('../../src/domain/contacts/contact-import.js');
    let deletion: Promise<unknown> | undefined;
    const result = await runContactImport(importId, {
      batchRows: 2,
      afterBatchCommitted: (batch) => {
        if (batch === 1) deletion = platform.sql('DELETE FROM contact_list WHERE id = $1', [uuidOf(listId)]);
      },
    });
    await deletion;
    expect(result).toBe('FAILED');
    const [job] = await platform.sql<{ status: string; failure: string; committed_rows: number }>('SELECT status, failure, committed_rows FROM contact_import WHERE id = $1', [importId]);
    expect(job).toMatchObject({ status: 'FAILED', failure: 'The target list was deleted during the import.' });
    expect(job!.committed_rows).toBeGreaterThanOrEqual(2);
    expect(job!.committed_rows).toBeLessThan(400);
    const [counts] = await platform.sql<{ contacts: number; members: number }>(
      'SELECT (SELECT count(*) FROM contact WHERE account_id = $1)::int AS contacts, (SELECT count(*) FROM contact_list_member WHERE list_id = $2)::int AS members',
      [tenant.accountUuid, uuidOf(listId)],
    );
    expect(counts).toEqual({ contacts: job!.committed_rows, members: 0 });
  });

  it('imports the rows before a CSV fault, and names its line', async () => {
    const tenant = await createTenant(platform);
    const listId = await newList(tenant, 'Broken');
    // Past the sample checked at upload (256 KB), so the job meets the fault.
    const rows = Array.from({ length: 12_000 }, (_, index) => `0620${String(index).padStart(6, '0')};Name${index}`);
    const importId = await upload(tenant, `phone;first name\n${rows.join('\n')}\n"0629999999;never closed\n0629999998;x\n`, listId);
    const { runContactImport } = await import('../../src/domain/contacts/contact-import.js');
    expect(await runContactImport(importId, { batchRows: 5000 })).toBe('FAILED');
    const [job] = await platform.sql<{ failure: string; committed_rows: number; created: number }>('SELECT failure, committed_rows, created FROM contact_import WHERE id = $1', [importId]);
    expect(job).toMatchObject({ committed_rows: 12_000, created: 12_000 });
    expect(job!.failure).toBe('The file stops being valid CSV at line 12002: A quoted value is never closed. Rows before it were imported; fix the file and import the rest.');
  });

  it('refuses at upload a file whose sample is not CSV', async () => {
    const tenant = await createTenant(platform);
    const uploaded = await uploadContacts(platform.graphqlUrl, tenant.accessToken, { name: 'bad.csv', content: 'phone;name\n0600000001;a\n"0600000002;b\n' });
    expect(uploaded.json.data?.['importContacts']).toMatchObject({
      __typename: 'ValidationError',
      message: 'file: This is not a readable CSV file: A quoted value is never closed at line 3.',
    });
  });
});
