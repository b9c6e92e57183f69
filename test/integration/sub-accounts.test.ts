import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActivateServiceDocument,
  ClosedSubAccountsDocument,
  CreateApiKeyDocument,
  CreateSubAccountDocument,
  CreditBalanceDocument,
  DeleteSubAccountDocument,
  LedgerEntriesDocument,
  RefreshSessionDocument,
  RenameSubAccountDocument,
  SubAccountLedgerEntriesDocument,
  SubAccountsDocument,
  SwitchAccountDocument,
  TopUpCreditDocument,
  TransferCreditDocument,
} from '../../codegen/generated/operations.js';
import { createTenant, databaseId, type Tenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform?.stop();
});

const sql = <Row extends object>(text: string, values: unknown[] = []) => platform.sql<Row>(text, values);

interface Main {
  tenant: Tenant;
  owner: ApiClient;
}

async function mainAccount(topUp?: string): Promise<Main> {
  const tenant = await createTenant(platform);
  const owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
  await owner.request(ActivateServiceDocument, { input: { service: 'SUB_ACCOUNTS' } });
  if (topUp) {
    const { topUpCredit } = await owner.request(TopUpCreditDocument, { input: { amount: topUp } });
    if (topUpCredit.__typename !== 'MutationTopUpCreditSuccess') throw new Error(JSON.stringify(topUpCredit));
  }
  return { tenant, owner };
}

async function createSub(owner: ApiClient, name = 'Agence Lyon'): Promise<string> {
  const { createSubAccount } = await owner.request(CreateSubAccountDocument, { input: { name } });
  if (createSubAccount.__typename !== 'MutationCreateSubAccountSuccess') throw new Error(JSON.stringify(createSubAccount));
  return createSubAccount.data.id;
}

async function transfer(owner: ApiClient, subAccountId: string, amount: string, direction: 'TO_SUB_ACCOUNT' | 'TO_MAIN_ACCOUNT' = 'TO_SUB_ACCOUNT', idempotencyKey?: string) {
  return (await owner.request(TransferCreditDocument, { input: { subAccountId, amount, direction, idempotencyKey } })).transferCredit;
}

async function balance(client: ApiClient): Promise<string> {
  return (await client.request(CreditBalanceDocument)).creditBalance.available;
}

async function actIn(owner: ApiClient, accountId: string): Promise<ApiClient> {
  const { switchAccount } = await owner.request(SwitchAccountDocument, { input: { accountId } });
  if (switchAccount.__typename !== 'MutationSwitchAccountSuccess') throw new Error(JSON.stringify(switchAccount));
  return apiClient(platform.graphqlUrl, `Bearer ${switchAccount.data.accessToken}`);
}

describe('sub-accounts', () => {
  it('needs the SUB_ACCOUNTS service', async () => {
    const tenant = await createTenant(platform);
    const owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    const { createSubAccount } = await owner.request(CreateSubAccountDocument, { input: { name: 'Lyon' } });
    expect(createSubAccount).toMatchObject({ __typename: 'ServiceNotActiveError', code: 'SERVICE_NOT_ACTIVE' });
  });

  it('creates, lists and renames sub-accounts up to the plan limit', async () => {
    const { tenant, owner } = await mainAccount();
    const ids = [await createSub(owner, 'Lyon'), await createSub(owner, 'Lille'), await createSub(owner, 'Nantes')];
    const fourth = (await owner.request(CreateSubAccountDocument, { input: { name: 'Brest' } })).createSubAccount;
    expect(fourth).toMatchObject({ __typename: 'PlanLimitError', limit: 'subAccounts', allowed: 3, upgradePlan: 'Premium' });

    const renamed = (await owner.request(RenameSubAccountDocument, { input: { subAccountId: ids[1] ?? '', name: ' Lille Nord ' } })).renameSubAccount;
    expect(renamed).toMatchObject({ data: { name: 'Lille Nord' } });
    const emptyName = (await owner.request(RenameSubAccountDocument, { input: { subAccountId: ids[1] ?? '', name: '  ' } })).renameSubAccount;
    expect(emptyName).toMatchObject({ __typename: 'ValidationError' });

    const { subAccounts } = await owner.request(SubAccountsDocument, { first: 10 });
    expect(subAccounts.edges.map(({ node }) => [node.name, node.status, node.creditBalance, node.parent?.id])).toEqual([
      ['Lyon', 'ACTIVE', '0.00', tenant.accountId],
      ['Lille Nord', 'ACTIVE', '0.00', tenant.accountId],
      ['Nantes', 'ACTIVE', '0.00', tenant.accountId],
    ]);
  });

  it("lets the main account's users act in a sub-account, whose data and credit stay separate", async () => {
    const { owner } = await mainAccount('100');
    const subId = await createSub(owner);
    await transfer(owner, subId, '40');
    const inSub = await actIn(owner, subId);
    expect(await balance(inSub)).toBe('40.00');
    const subLedger = (await inSub.request(LedgerEntriesDocument, {})).ledgerEntries.edges.map(({ node }) => [node.kind, node.amount]);
    expect(subLedger).toEqual([['TRANSFER_IN', '40.00']]);
    // A sub-account is credited by its main account, not by top-ups, and manages no sub-accounts.
    const topUp = (await inSub.request(TopUpCreditDocument, { input: { amount: '10' } })).topUpCredit;
    expect(topUp).toMatchObject({ __typename: 'ValidationError' });
    expect((await inSub.request(CreateSubAccountDocument, { input: { name: 'nested' } })).createSubAccount).toMatchObject({
      __typename: 'ValidationError',
    });
    expect(await balance(owner)).toBe('60.00');
  });

  it("cannot switch into another account's sub-account; an API key cannot switch at all", async () => {
    const first = await mainAccount();
    const subId = await createSub(first.owner);
    const other = await mainAccount();
    const refused = (await other.owner.request(SwitchAccountDocument, { input: { accountId: subId } })).switchAccount;
    expect(refused).toMatchObject({ __typename: 'NotFoundError' });

    const key = (await first.owner.request(CreateApiKeyDocument, { input: { name: 'k', role: 'ADMIN' } })).createApiKey;
    if (key.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(key));
    const apiKey = apiClient(platform.graphqlUrl, `Bearer ${key.data.secret}`);
    const denied = await apiKey.errors(SwitchAccountDocument, { input: { accountId: subId } });
    expect(denied[0]?.extensions).toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('keeps a sub-account session alive through refresh', async () => {
    const { owner } = await mainAccount();
    const subId = await createSub(owner);
    const { switchAccount } = await owner.request(SwitchAccountDocument, { input: { accountId: subId } });
    if (switchAccount.__typename !== 'MutationSwitchAccountSuccess') throw new Error(JSON.stringify(switchAccount));
    const refreshed = await apiClient(platform.graphqlUrl).request(RefreshSessionDocument, { input: { refreshToken: switchAccount.data.refreshToken } });
    expect(refreshed.refreshSession).toMatchObject({ __typename: 'MutationRefreshSessionSuccess' });
  });
});

describe('transfers', () => {
  it('moves credit to a sub-account and back, with a ledger entry on each side', async () => {
    const { owner } = await mainAccount('100');
    const subId = await createSub(owner);
    const out = await transfer(owner, subId, '30');
    expect(out).toMatchObject({
      data: {
        amount: '30.00',
        subAccount: { creditBalance: '30.00' },
        debitEntry: { kind: 'TRANSFER_OUT', amount: '-30.00', balanceAfter: '70.00' },
        creditEntry: { kind: 'TRANSFER_IN', amount: '30.00', balanceAfter: '30.00' },
      },
    });
    // Back to the main account: no minimum.
    expect(await transfer(owner, subId, '12.5', 'TO_MAIN_ACCOUNT')).toMatchObject({ data: { subAccount: { creditBalance: '17.50' } } });
    expect(await balance(owner)).toBe('82.50');
  });

  it.each([
    ['29.99', 'TO_SUB_ACCOUNT', /at least 30/],
    ['30.001', 'TO_SUB_ACCOUNT', /at most 2 decimals/],
    ['0', 'TO_MAIN_ACCOUNT', /more than 0/],
    ['-40', 'TO_SUB_ACCOUNT', /more than 0/],
  ] as const)('refuses %s (%s)', async (amount, direction, message) => {
    const { owner } = await mainAccount('100');
    const subId = await createSub(owner);
    const refused = await transfer(owner, subId, amount, direction);
    if (refused.__typename !== 'ValidationError') throw new Error(JSON.stringify(refused));
    expect(refused.problems).toEqual([{ field: 'amount', message: expect.stringMatching(message) }]);
    expect(await balance(owner)).toBe('100.00');
  });

  it('refuses more than the balance, with the amount missing', async () => {
    const { owner } = await mainAccount('50');
    const subId = await createSub(owner);
    expect(await transfer(owner, subId, '80')).toMatchObject({ __typename: 'InsufficientCreditError', missing: '30.00' });
    expect(await transfer(owner, subId, '1', 'TO_MAIN_ACCOUNT')).toMatchObject({ __typename: 'InsufficientCreditError', missing: '1.00' });
  });

  it("refuses a transfer to another account's sub-account", async () => {
    const first = await mainAccount('100');
    const other = await mainAccount();
    const othersSub = await createSub(other.owner);
    expect(await transfer(first.owner, othersSub, '30')).toMatchObject({ __typename: 'NotFoundError' });
    expect(await transfer(first.owner, othersSub, '30', 'TO_MAIN_ACCOUNT')).toMatchObject({ __typename: 'NotFoundError' });
    expect(await balance(first.owner)).toBe('100.00');
  });

  it('replays a transfer with the same idempotency key and refuses the key with another amount', async () => {
    const { owner } = await mainAccount('100');
    const subId = await createSub(owner);
    await transfer(owner, subId, '30', 'TO_SUB_ACCOUNT', 'transfer-key-1');
    await transfer(owner, subId, '30', 'TO_SUB_ACCOUNT', 'transfer-key-1');
    expect(await transfer(owner, subId, '35', 'TO_SUB_ACCOUNT', 'transfer-key-1')).toMatchObject({ __typename: 'IdempotencyKeyReusedError' });
    expect(await balance(owner)).toBe('70.00');
  });

  it('lets only roles with billing rights transfer', async () => {
    const { owner } = await mainAccount('100');
    const subId = await createSub(owner);
    const key = (await owner.request(CreateApiKeyDocument, { input: { name: 'm', role: 'MANAGER' } })).createApiKey;
    if (key.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(key));
    const manager = apiClient(platform.graphqlUrl, `Bearer ${key.data.secret}`);
    const denied = await manager.errors(TransferCreditDocument, { input: { subAccountId: subId, amount: '30', direction: 'TO_SUB_ACCOUNT' } });
    expect(denied[0]?.extensions).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await manager.errors(CreateSubAccountDocument, { input: { name: 'x' } }))[0]?.extensions).toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});

describe('deleting a sub-account', () => {
  it('returns its remaining credit to the main account in the same transaction', async () => {
    const { owner, tenant } = await mainAccount('100');
    const subId = await createSub(owner, 'Lyon');
    await transfer(owner, subId, '45.5');
    const { deleteSubAccount } = await owner.request(DeleteSubAccountDocument, { input: { subAccountId: subId } });
    expect(deleteSubAccount).toMatchObject({ data: { subAccountId: subId, name: 'Lyon', returnedCredit: '45.50' } });
    expect(await balance(owner)).toBe('100.00');
    const entries = (await owner.request(LedgerEntriesDocument, {})).ledgerEntries.edges.map(({ node }) => [node.kind, node.amount, node.balanceAfter]);
    expect(entries[0]).toEqual(['TRANSFER_IN', '45.50', '100.00']);
    expect((await owner.request(SubAccountsDocument, {})).subAccounts.edges).toEqual([]);
    expect(await sql(`SELECT id FROM account WHERE parent_id = $1`, [tenant.accountUuid])).toEqual([]);
    expect((await owner.request(DeleteSubAccountDocument, { input: { subAccountId: subId } })).deleteSubAccount).toMatchObject({
      __typename: 'NotFoundError',
    });
  });

  it("keeps the deleted sub-account's ledger for the main account: its entries, ending at zero, and who deleted it when", async () => {
    const { owner, tenant } = await mainAccount('100');
    const subId = await createSub(owner, 'Bordeaux');
    await transfer(owner, subId, '60');
    await transfer(owner, subId, '12.25', 'TO_MAIN_ACCOUNT');
    // A charge its balance could not cover, kept for an operator (a safety net; written directly here).
    await sql(`INSERT INTO uncharged_amount (account_id, amount, reason) VALUES ($1::uuid, 0.045, '1 SMS handed to the carrier')`, [databaseId(subId)]);
    expect((await owner.request(DeleteSubAccountDocument, { input: { subAccountId: subId } })).deleteSubAccount).toMatchObject({ data: { returnedCredit: '47.75' } });

    const closed = (await owner.request(ClosedSubAccountsDocument, {})).closedSubAccounts.edges.map(({ node }) => node);
    expect(closed).toEqual([
      {
        id: subId,
        name: 'Bordeaux',
        openedAt: expect.any(String),
        closedAt: expect.any(String),
        closedByUserId: tenant.userUuid,
        closedByApiKeyId: null,
        returnedCredit: '47.75',
      },
    ]);
    // The uncovered charge is the main account's to settle now.
    expect(await sql(`SELECT account_id::text AS account, trim_scale(amount)::text AS amount, reason FROM uncharged_amount WHERE account_id = $1::uuid`, [tenant.accountUuid])).toEqual([
      { account: tenant.accountUuid, amount: '0.045', reason: '1 SMS handed to the carrier (deleted sub-account "Bordeaux")' },
    ]);
    const trail = (await owner.request(SubAccountLedgerEntriesDocument, { subAccountId: subId })).ledgerEntries.edges.map(({ node }) => [node.kind, node.amount, node.balanceAfter]);
    expect(trail).toEqual([
      ['TRANSFER_OUT', '-47.75', '0.00'],
      ['TRANSFER_OUT', '-12.25', '47.75'],
      ['TRANSFER_IN', '60.00', '60.00'],
    ]);

    // Only the main account reads it.
    const other = await mainAccount();
    expect((await other.owner.errors(SubAccountLedgerEntriesDocument, { subAccountId: subId }))[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect((await other.owner.request(ClosedSubAccountsDocument, {})).closedSubAccounts.edges).toEqual([]);
    // A sub-account still open is read the same way.
    const openSub = await createSub(owner, 'Nantes');
    await transfer(owner, openSub, '30');
    expect((await owner.request(SubAccountLedgerEntriesDocument, { subAccountId: openSub })).ledgerEntries.edges.map(({ node }) => node.amount)).toEqual(['30.00']);
  });

  it('replays a deletion retried with the same idempotency key instead of reporting it missing', async () => {
    const { owner } = await mainAccount('100');
    const subId = await createSub(owner, 'Nice');
    await transfer(owner, subId, '30');
    const input = { subAccountId: subId, idempotencyKey: 'delete-sub-key-1' };
    const first = (await owner.request(DeleteSubAccountDocument, { input })).deleteSubAccount;
    const retry = (await owner.request(DeleteSubAccountDocument, { input })).deleteSubAccount;
    expect(first).toMatchObject({ data: { name: 'Nice', returnedCredit: '30.00' } });
    expect(retry).toEqual(first);
    expect(await balance(owner)).toBe('100.00');
  });

  it("refuses to delete another account's sub-account", async () => {
    const first = await mainAccount();
    const other = await mainAccount();
    const othersSub = await createSub(other.owner);
    expect((await first.owner.request(DeleteSubAccountDocument, { input: { subAccountId: othersSub } })).deleteSubAccount).toMatchObject({
      __typename: 'NotFoundError',
    });
  });

  it('a transfer and a deletion running at the same time lose or create no money', async () => {
    for (let round = 0; round < 8; round++) {
      const { owner, tenant } = await mainAccount('200');
      const subId = await createSub(owner);
      await transfer(owner, subId, '50');
      const [moved, deleted] = await Promise.all([
        round % 2 === 0 ? transfer(owner, subId, '30') : transfer(owner, subId, '20', 'TO_MAIN_ACCOUNT'),
        owner.request(DeleteSubAccountDocument, { input: { subAccountId: subId } }),
      ]);
      expect(deleted.deleteSubAccount.__typename).toBe('MutationDeleteSubAccountSuccess');
      // Either the transfer ran first (and its money came back with the deletion), or it found
      // the sub-account gone.
      expect(['MutationTransferCreditSuccess', 'NotFoundError']).toContain(moved.__typename);
      expect(await balance(owner)).toBe('200.00');
      const [sums] = await sql<{ balance: string; ledger: string }>(
        `SELECT a.credit_balance::text AS balance, (SELECT sum(amount) FROM ledger_entry WHERE account_id = a.id)::text AS ledger
           FROM account a WHERE a.id = $1`,
        [tenant.accountUuid],
      );
      expect(Number(sums?.balance)).toBe(200);
      expect(Number(sums?.ledger)).toBe(200);
    }
  });
});
