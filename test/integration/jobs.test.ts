import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignUpDocument } from '../../codegen/generated/operations.js';
import { createTenant, signUpInput } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform?.stop();
});

describe('jobs', () => {
  it('creates every queue with its retry, expiry and dead-letter policy', async () => {
    const { boss } = await import('../../src/jobs/boss.js');
    const queue = await boss.getQueue('purge-expired-auth');
    expect(queue).toMatchObject({ retryLimit: 3, expireInSeconds: 300, deadLetter: 'dead-letters', policy: 'singleton' });
    expect(await boss.getQueue('dead-letters')).toMatchObject({ retryLimit: 0 });
  });

  it('purges expired refresh tokens and stale unconfirmed sign-ups, through a real pg-boss worker, and is safe to run twice', async () => {
    const { prisma } = await import('../../src/db/client.js');
    const { enqueue } = await import('../../src/jobs/boss.js');
    const kept = await createTenant(platform);

    const stale = signUpInput();
    const staleResult = await apiClient(platform.graphqlUrl).request(SignUpDocument, { input: stale });
    expect(staleResult.signUp.__typename).toBe('MutationSignUpSuccess');
    const fresh = signUpInput();
    await apiClient(platform.graphqlUrl).request(SignUpDocument, { input: fresh });
    // Age the first sign-up past the limit, and one of the confirmed user's refresh tokens.
    await prisma.user.update({ where: { email: stale.email }, data: { createdAt: new Date(Date.now() - 72 * 3600 * 1000) } });
    await prisma.refreshToken.updateMany({ where: { userId: kept.userUuid }, data: { expiresAt: new Date(Date.now() - 48 * 3600 * 1000) } });

    await enqueue('purge-expired-auth', {});
    await expect.poll(() => prisma.user.count({ where: { email: stale.email } }), { timeout: 15_000, interval: 200 }).toBe(0);
    expect(await prisma.account.count({ where: { name: stale.companyName } })).toBe(0);
    expect(await prisma.user.count({ where: { email: fresh.email } })).toBe(1);
    expect(await prisma.user.count({ where: { email: kept.email } })).toBe(1);
    await expect.poll(() => prisma.refreshToken.count({ where: { userId: kept.userUuid } }), { timeout: 15_000 }).toBe(0);

    // Running it again finds nothing to do and changes nothing.
    const { purgeExpiredAuth } = await import('../../src/jobs/purge-expired-auth.js');
    await expect(purgeExpiredAuth()).resolves.toEqual({ refreshTokens: 0, signUps: 0 });
    expect(await prisma.user.count({ where: { email: fresh.email } })).toBe(1);
  });
});
