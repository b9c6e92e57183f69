/**
 * Helpers of the campaign tests: contacts written straight into the database (hundreds at a
 * time, as an import would leave them), and the API calls every campaign test makes.
 */
import { expect } from 'vitest';
import {
  CampaignDocument,
  CreateCampaignDocument,
  CreateContactListDocument,
  CreditBalanceDocument,
  SendCampaignDocument,
  TopUpCreditDocument,
  type CreateCampaignInput,
  type SendCampaignInput,
} from '../../codegen/generated/operations.js';
import { databaseId, type Tenant } from '../support/fixtures.js';
import type { ApiClient, TestPlatform } from '../support/platform.js';

export interface SeedContact {
  number: string;
  firstName?: string | null;
  /** Value of the account's first dynamic field. */
  field1?: string | null;
  tags?: string[];
}

/** Creates a list through the API and puts the contacts in it (created when new). Returns the list's global id. */
export async function seedList(platform: TestPlatform, tenant: Tenant, client: ApiClient, name: string, contacts: SeedContact[]): Promise<string> {
  const created = await client.request(CreateContactListDocument, { input: { name } });
  if (created.createContactList.__typename !== 'MutationCreateContactListSuccess') throw new Error(JSON.stringify(created));
  const listId = created.createContactList.data.id;
  await seedContacts(platform, tenant, contacts, databaseId(listId));
  return listId;
}

export async function seedContacts(platform: TestPlatform, tenant: Tenant, contacts: SeedContact[], listUuid: string | null = null): Promise<void> {
  await platform.sql(
    `WITH c AS (
       INSERT INTO contact (account_id, number, calling_code, first_name, field_1)
       SELECT $1::uuid, t.number, substr(t.number, 2, 2), t.first_name, t.field_1
         FROM unnest($2::text[], $3::text[], $4::text[]) AS t(number, first_name, field_1)
       ON CONFLICT (account_id, number) DO UPDATE SET first_name = excluded.first_name
       RETURNING id
     )
     INSERT INTO contact_list_member (list_id, contact_id) SELECT $5::uuid, id FROM c WHERE $5::uuid IS NOT NULL`,
    [tenant.accountUuid, contacts.map((c) => c.number), contacts.map((c) => c.firstName ?? null), contacts.map((c) => c.field1 ?? null), listUuid],
  );
  for (const tag of new Set(contacts.flatMap((c) => c.tags ?? []))) {
    await platform.sql(
      `INSERT INTO contact_tag (contact_id, account_id, tag) SELECT id, account_id, $3 FROM contact WHERE account_id = $1::uuid AND number = ANY($2::text[])
       ON CONFLICT DO NOTHING`,
      [tenant.accountUuid, contacts.filter((c) => c.tags?.includes(tag)).map((c) => c.number), tag],
    );
  }
}

/** `count` French mobiles from `first` (E.164 digits), by `step`: `numbers('+33655200100', 3, 10)`. */
export function numbers(first: string, count: number, step = 1): string[] {
  const start = BigInt(first.slice(1));
  return Array.from({ length: count }, (_, i) => `+${start + BigInt(i * step)}`);
}

export async function createCampaign(client: ApiClient, input: CreateCampaignInput) {
  const result = await client.request(CreateCampaignDocument, { input });
  if (result.createCampaign.__typename !== 'MutationCreateCampaignSuccess') throw new Error(`campaign refused: ${JSON.stringify(result)}`);
  return result.createCampaign.data;
}

export async function sendCampaign(client: ApiClient, input: SendCampaignInput) {
  const result = await client.request(SendCampaignDocument, { input });
  if (result.sendCampaign.__typename !== 'MutationSendCampaignSuccess') throw new Error(`send refused: ${JSON.stringify(result)}`);
  return result.sendCampaign.data;
}

export async function topUp(client: ApiClient, amount: string): Promise<void> {
  const result = await client.request(TopUpCreditDocument, { input: { amount } });
  expect(result.topUpCredit.__typename).toBe('MutationTopUpCreditSuccess');
}

export async function balanceOf(client: ApiClient) {
  return (await client.request(CreditBalanceDocument)).creditBalance;
}

export async function campaignOf(client: ApiClient, id: string, messagesFirst = 0) {
  const { campaign } = await client.request(CampaignDocument, { id, messagesFirst });
  if (!campaign) throw new Error(`campaign ${id} not found`);
  return campaign;
}

/** The account's balance equals the sum of its ledger, and what it was charged. */
export async function ledgerOf(platform: TestPlatform, tenant: Tenant) {
  const [row] = await platform.sql<{ balance: string; ledger: string; charged: string }>(
    `SELECT a.credit_balance::text AS balance, (SELECT COALESCE(sum(amount), 0) FROM ledger_entry e WHERE e.account_id = a.id)::text AS ledger,
            (SELECT COALESCE(-sum(amount), 0) FROM ledger_entry e WHERE e.account_id = a.id AND e.kind = 'CHARGE')::text AS charged
       FROM account a WHERE a.id = $1::uuid`,
    [tenant.accountUuid],
  );
  return row!;
}

/** Sum of the prices of a campaign's messages that were charged, and of those that were not. */
export async function chargedPricesOf(platform: TestPlatform, campaignId: string) {
  const [row] = await platform.sql<{ charged: string; count: number }>(
    `SELECT COALESCE(sum(price) FILTER (WHERE charged), 0)::text AS charged, count(*)::int AS count FROM message WHERE campaign_id = $1::uuid`,
    [databaseId(campaignId)],
  );
  return row!;
}

/** Exact micro-euros of a decimal string. */
export { parseEuros as micros } from '../../src/domain/messaging/prices.js';
