import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContactsDocument, type ContactsQuery } from '../../codegen/generated/operations.js';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';

// More contacts than the name search's window of newest contacts (2,000), so both of its ways
// are used: frequent words found among the newest, rare ones through the trigram index.
const CONTACTS = 3000;
const FIRST = ['Jean', 'Marie', 'Pierre'];
const LAST = ['Martin', 'Dubois', 'Petit', 'Leroy'];

let platform: TestPlatform;
let tenant: Tenant;
let api: ApiClient;
/** Inserted contacts, newest first (ids are uuidv7). */
let contacts: { id: string; first_name: string; last_name: string }[];

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await createTenant(platform);
  api = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
  const { pool } = await import('../../src/db/client.js');
  // One statement per row keeps the uuidv7 ids in insertion order; the three oldest are the only Zoé.
  const values = Array.from({ length: CONTACTS }, (_, row) => ({
    number: `+3361${String(row).padStart(7, '0')}`,
    first: row < 3 ? 'Zoé' : FIRST[row % FIRST.length]!,
    last: LAST[row % LAST.length]!,
  }));
  await pool.query(
    `INSERT INTO contact (account_id, number, calling_code, first_name, last_name)
     SELECT $1::uuid, number, '33', first, last FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS v(number, first, last, n) ORDER BY n`,
    [tenant.accountUuid, values.map((v) => v.number), values.map((v) => v.first), values.map((v) => v.last)],
  );
  await pool.query('ANALYZE contact');
  contacts = (await pool.query(`SELECT id, first_name, last_name FROM contact WHERE account_id = $1 ORDER BY id DESC`, [tenant.accountUuid])).rows;
});

afterAll(async () => {
  await platform?.stop();
});

function expected(words: string[]): string[] {
  return contacts
    .filter((contact) => words.every((word) => `${contact.first_name} ${contact.last_name}`.toLowerCase().split(' ').some((name) => name.includes(word.toLowerCase()))))
    .map((contact) => contact.id);
}

async function pages(name: string, first: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < count; page++) {
    const result: ContactsQuery = await api.request(ContactsDocument, { search: { name }, first, after });
    ids.push(...result.contacts.edges.map((edge) => Buffer.from(edge.node.id, 'base64').toString().split(':')[1]!));
    if (!result.contacts.pageInfo.hasNextPage) break;
    after = result.contacts.pageInfo.endCursor ?? null;
  }
  return ids;
}

describe('contact search by name', () => {
  it('pages frequent words newest first, as the full filter would', async () => {
    expect(await pages('jean', 20, 3)).toEqual(expected(['jean']).slice(0, 60));
    expect(await pages('ARTI ean', 25, 2)).toEqual(expected(['arti', 'ean']).slice(0, 50));
  });

  it('finds words that only old contacts bear, and nothing for absent ones', async () => {
    const zoe = expected(['zoé']);
    expect(zoe).toHaveLength(3);
    expect(await pages('Zoé', 20, 1)).toEqual(zoe);
    expect(await pages('zoé mart', 20, 1)).toEqual(expected(['zoé', 'mart']));
    expect(await pages('Jean Petit', 20, 1)).toEqual(expected(['jean', 'petit']).slice(0, 20));
    expect(await pages('nobody', 20, 1)).toEqual([]);
  });
});
