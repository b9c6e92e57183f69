import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeDocument, PlansDocument, ActivateServiceDocument } from '../../codegen/generated/operations.js';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let tenant: Tenant;

beforeAll(async () => {
  platform = await startTestPlatform({
    GRAPHQL_MAX_DEPTH: '8',
    GRAPHQL_MAX_ALIASES: '5',
    GRAPHQL_MAX_COST: '300',
    MAX_REQUEST_BYTES: '20000',
    DATABASE_POOL_TIMEOUT_SECONDS: '2',
  });
  tenant = await createTenant(platform);
});

afterAll(async () => {
  await platform?.stop();
});

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(platform.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.accessToken}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
}

describe('query limits', () => {
  it('refuses a query deeper than the limit', async () => {
    const deep = '{ me { account { members(first: 1) { edges { node { account { members(first: 1) { edges { node { role } } } } } } } } } }';
    const { json } = await post({ query: deep });
    expect(json.data).toBeUndefined();
    expect(json.errors?.[0]?.message).toMatch(/depth/i);
  });

  it('refuses too many aliases', async () => {
    const aliases = Array.from({ length: 8 }, (_, index) => `a${index}: plans { code }`).join(' ');
    const { json } = await post({ query: `{ ${aliases} }` });
    expect(json.errors?.[0]?.message).toMatch(/alias/i);
  });

  it('refuses a query over the cost limit', async () => {
    const fields = Array.from({ length: 4 }, (_, index) => `p${index}: plans { code name liveLinks liveSharedFiles subAccounts contactLists smsTemplates openConversations monthlyDataExports teamMembers }`).join(' ');
    const repeated = Array.from({ length: 30 }, () => 'plans { code name liveLinks liveSharedFiles subAccounts contactLists smsTemplates openConversations monthlyDataExports teamMembers }').join(' ');
    const { json } = await post({ query: `{ ${fields} ${repeated} }` });
    expect(json.data).toBeUndefined();
    expect(JSON.stringify(json.errors)).toMatch(/cost/i);
  });

  it('refuses a body over the size limit before reading it', async () => {
    const { status, json } = await post({ query: '{ plans { code } }', variables: { padding: 'x'.repeat(30_000) } });
    expect(status).toBe(413);
    expect(json.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers bad credentials with a typed error code, not a masked one', async () => {
    const { status, json } = await post({ query: '{ me { role } }' }, { authorization: 'Bearer not.a.token' });
    expect(status).toBe(401);
    expect(json.errors?.[0]).toMatchObject({ message: 'Access token is not valid.', extensions: { code: 'NOT_AUTHENTICATED' } });
  });

  it('answers DATABASE_BUSY (503, Retry-After) when no database connection comes in time, then serves again', async () => {
    const { pool } = await import('../../src/db/client.js');
    // Take every connection of the process' pool (the platform's workers hold some of them now
    // and then): until one does not come within the timeout.
    const taken: { release(): void }[] = [];
    for (;;) {
      const client = await pool.connect().catch(() => null);
      if (!client) break;
      taken.push(client);
    }
    try {
      const response = await fetch(platform.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.accessToken}` },
        body: JSON.stringify({ query: '{ me { account { creditBalance } } }' }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      const json = (await response.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] };
      expect(json.errors?.[0]).toMatchObject({ message: 'The platform is busy; retry in a moment.', extensions: { code: 'DATABASE_BUSY' } });
    } finally {
      for (const client of taken) client.release();
    }
    const { status, json } = await post({ query: '{ me { account { creditBalance } } }' });
    expect(status).toBe(200);
    expect(json).toEqual({ data: { me: { account: { creditBalance: expect.any(String) } } } });
  });

  it('refuses a GET mutation and a simple cross-site request (CSRF prevention)', async () => {
    const response = await fetch(`${platform.graphqlUrl}?query=${encodeURIComponent('{ plans { code } }')}`);
    expect(response.status).toBe(403);
  });
});

describe('plans and additional services', () => {
  it('lists the four plans with the figures of SPEC section 2', async () => {
    const { plans } = await apiClient(platform.graphqlUrl).request(PlansDocument);
    expect(plans.map((plan) => [plan.code, plan.contactLists, plan.teamMembers, plan.openConversations, plan.supportResponseHours])).toEqual([
      ['STANDARD', 10, 3, 650, 48],
      ['PREMIUM', 20, 5, 5000, 24],
      ['GOLD', 50, 10, 25000, 8],
      ['ENTERPRISES', 500, 30, 1_000_000, 4],
    ]);
  });

  it('requires the legal notice for voice SMS and records the accepted version', async () => {
    const owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    const refused = await owner.request(ActivateServiceDocument, { input: { service: 'VOICE_SMS' } });
    expect(refused.activateService).toMatchObject({ __typename: 'LegalNoticeRequiredError', code: 'LEGAL_NOTICE_REQUIRED' });
    if (refused.activateService.__typename !== 'LegalNoticeRequiredError') return;
    const accepted = await owner.request(ActivateServiceDocument, { input: { service: 'VOICE_SMS', acceptedLegalNotice: refused.activateService.version } });
    expect(accepted.activateService).toMatchObject({ __typename: 'MutationActivateServiceSuccess', data: { service: 'VOICE_SMS', legalNoticeVersion: refused.activateService.version } });
    const again = await owner.request(ActivateServiceDocument, { input: { service: 'VOICE_SMS', acceptedLegalNotice: refused.activateService.version } });
    expect(again.activateService.__typename).toBe('MutationActivateServiceSuccess');
    const { me } = await owner.request(MeDocument);
    expect(me.account.services.map((service) => service.service)).toEqual(['VOICE_SMS']);
  });
});

describe('the limits module', () => {
  it('counts and consumes limits under a lock and names the plan that allows more', async () => {
    const { prisma } = await import('../../src/db/client.js');
    const { lockAccount, ensureWithinLimit, consumeMonthlyAllowance } = await import('../../src/domain/plans.js');
    const { requireService } = await import('../../src/domain/services.js');
    const { PlanLimitError, ServiceNotActiveError } = await import('../../src/domain/errors.js');

    // Team members: Standard allows 3 (owner included).
    await prisma.$transaction(async (tx) => {
      const plan = await lockAccount(tx, tenant.accountUuid);
      await ensureWithinLimit(tx, plan, 'teamMembers', 2);
      const refused = await ensureWithinLimit(tx, plan, 'teamMembers', 3).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(PlanLimitError);
      expect(refused).toMatchObject({ limit: 'teamMembers', allowed: 3, currentPlan: 'Standard', upgradePlan: 'Premium' });
      expect((refused as Error).message).toBe('Your Standard plan allows 3 team members (owner included); the Premium plan allows more.');
    });

    // Monthly exports: 3 on Standard, counted atomically even when requested concurrently.
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, () => prisma.$transaction((tx) => consumeMonthlyAllowance(tx, tenant.accountUuid, 'monthlyDataExports', new Date('2026-11-10T10:00:00Z')))),
    );
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(3);
    const rejected = attempts.find((attempt) => attempt.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ limit: 'monthlyDataExports', allowed: 3, upgradePlan: 'Premium' });
    // A new calendar month starts again.
    await expect(prisma.$transaction((tx) => consumeMonthlyAllowance(tx, tenant.accountUuid, 'monthlyDataExports', new Date('2026-12-01T00:00:00Z')))).resolves.toBe(1);

    // On the largest plan, the error says so.
    await prisma.account.update({ where: { id: tenant.accountUuid }, data: { planCode: 'ENTERPRISES' } });
    const top = await prisma.$transaction(async (tx) => ensureWithinLimit(tx, await lockAccount(tx, tenant.accountUuid), 'subAccounts', 50).catch((error: unknown) => error));
    expect(top).toMatchObject({ upgradePlan: null, message: expect.stringMatching(/largest plan/) });

    await expect(requireService(prisma, tenant.accountUuid, 'HLR_MNP')).rejects.toBeInstanceOf(ServiceNotActiveError);
  });
});
