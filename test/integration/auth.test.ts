import { SignJWT, UnsecuredJWT, generateKeyPair, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeysDocument,
  ConfirmMobileDocument,
  CreateApiKeyDocument,
  LogInDocument,
  LogOutDocument,
  MeDocument,
  RefreshSessionDocument,
  RevokeApiKeyDocument,
  SignUpDocument,
} from '../../codegen/generated/operations.js';
import { createTenant, lastCodeSentTo, randomFrenchMobile, signUpInput, type Tenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform?.stop();
});

const sql = <Row extends object>(text: string, values: unknown[] = []) => platform.sql<Row>(text, values);

describe('sign-up, confirmation, log-in, me, API keys over HTTP', () => {
  it('runs the whole journey and `me` works with the API key', async () => {
    const anonymous = apiClient(platform.graphqlUrl);
    const input = signUpInput({ mobile: randomFrenchMobile().replace('+33', '0') });
    const signedUp = await anonymous.request(SignUpDocument, { input });
    expect(signedUp.signUp.__typename).toBe('MutationSignUpSuccess');
    if (signedUp.signUp.__typename !== 'MutationSignUpSuccess') return;

    const [user] = await sql<{ mobile: string; password_hash: string }>(`SELECT mobile, password_hash FROM "user" WHERE email = $1`, [input.email]);
    expect(user?.mobile).toBe(input.mobile.replace(/^0/, '+33'));
    expect(user?.password_hash).toMatch(/^\$argon2id\$/);

    // Not confirmed yet: logging in is refused with a precise error.
    const early = await anonymous.request(LogInDocument, { input: { email: input.email, password: input.password } });
    expect(early.logIn).toMatchObject({ __typename: 'MobileNotConfirmedError', code: 'MOBILE_NOT_CONFIRMED' });

    const code = await lastCodeSentTo(platform, user!.mobile);
    const confirmed = await anonymous.request(ConfirmMobileDocument, { input: { confirmationId: signedUp.signUp.data.confirmationId, code } });
    expect(confirmed.confirmMobile).toMatchObject({ __typename: 'MutationConfirmMobileSuccess', data: { role: 'OWNER', account: { status: 'ACTIVE' } } });

    const loggedIn = await anonymous.request(LogInDocument, { input: { email: input.email.toUpperCase(), password: input.password } });
    if (loggedIn.logIn.__typename !== 'MutationLogInSuccess') throw new Error(JSON.stringify(loggedIn));
    const session = loggedIn.logIn.data;
    expect(decodeProtectedHeader(session.accessToken)).toMatchObject({ alg: 'Ed25519', kid: expect.any(String) });

    const owner = apiClient(platform.graphqlUrl, `Bearer ${session.accessToken}`);
    const me = await owner.request(MeDocument);
    expect(me.me).toMatchObject({
      kind: 'USER',
      role: 'OWNER',
      user: { email: input.email, mobile: user!.mobile, mobileConfirmed: true },
      account: { name: input.companyName, companyNumber: '73282932000074', status: 'ACTIVE', creditBalance: '0.00', plan: { code: 'STANDARD', teamMembers: 3 } },
      apiKey: null,
    });

    const created = await owner.request(CreateApiKeyDocument, { input: { name: 'Back office', role: 'MANAGER' } });
    if (created.createApiKey.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(created));
    const { secret, apiKey } = created.createApiKey.data;
    expect(secret).toMatch(/^sk_[\w-]{12}_[\w-]{43}$/);
    const [stored] = await sql<{ secret_hash: string }>(`SELECT secret_hash FROM api_key WHERE prefix = $1`, [apiKey.prefix]);
    expect(stored?.secret_hash).not.toContain(secret.split('_').at(-1));

    const partner = apiClient(platform.graphqlUrl, `Bearer ${secret}`);
    const viaKey = await partner.request(MeDocument);
    expect(viaKey.me).toMatchObject({ kind: 'API_KEY', role: 'MANAGER', user: null, apiKey: { id: apiKey.id, name: 'Back office' }, account: { name: input.companyName } });

    // Last use is recorded (asynchronously, so poll briefly).
    await expect.poll(async () => (await sql<{ last_used_at: Date | null }>(`SELECT last_used_at FROM api_key WHERE id IS NOT NULL AND prefix = $1`, [apiKey.prefix]))[0]?.last_used_at).not.toBeNull();
    const keys = await owner.request(ApiKeysDocument);
    expect(keys.me.account.apiKeys?.edges.map((edge) => edge.node.name)).toEqual(['Back office']);
  });
});

describe('bad sign-up input gets a clear error and changes nothing', () => {
  const cases: [string, Parameters<typeof signUpInput>[0], string, RegExp][] = [
    ['free web-mail address', { email: 'someone@gmail.com' }, 'email', /professional/],
    ['malformed e-mail', { email: 'not-an-email' }, 'email', /not a valid e-mail/],
    ['fixed-line number', { mobile: '01 42 68 53 00' }, 'mobile', /must be a mobile number/],
    ['malformed mobile', { mobile: '06 12 ab' }, 'mobile', /./],
    ['SIRET failing Luhn', { companyNumber: '73282932000075' }, 'companyNumber', /checksum/],
    ['SIREN failing Luhn', { companyNumber: '732829321' }, 'companyNumber', /checksum/],
    ['missing street', { address: { street: '', postalCode: '75002', city: 'Paris', country: 'FR' } }, 'address.street', /required/],
    ['missing city', { address: { street: '1 rue', postalCode: '75002', city: ' ', country: 'FR' } }, 'address.city', /required/],
    ['bad postal code', { address: { street: '1 rue', postalCode: '7500', city: 'Paris', country: 'FR' } }, 'address.postalCode', /postal code/],
    ['short password', { password: 'short' }, 'password', /at least 10/],
    ['no consent', { acceptServiceMessages: false }, 'acceptServiceMessages', /accepted/],
  ];

  it.each(cases)('%s', async (_name, overrides, field, message) => {
    const input = signUpInput(overrides);
    const result = await apiClient(platform.graphqlUrl).request(SignUpDocument, { input });
    expect(result.signUp.__typename).toBe('ValidationError');
    if (result.signUp.__typename !== 'ValidationError') return;
    expect(result.signUp.problems).toContainEqual({ field, message: expect.stringMatching(message) });
    expect(await sql(`SELECT 1 FROM "user" WHERE email = $1`, [input.email.toLowerCase()])).toHaveLength(0);
  });

  it('sends at most 5 confirmation codes to one number per hour, whoever signs up with it (SMS pumping)', async () => {
    const mobile = randomFrenchMobile();
    for (let i = 0; i < 5; i++) {
      const accepted = await apiClient(platform.graphqlUrl).request(SignUpDocument, { input: signUpInput({ mobile }) });
      expect(accepted.signUp.__typename).toBe('MutationSignUpSuccess');
    }
    const input = signUpInput({ mobile });
    const refused = await apiClient(platform.graphqlUrl).request(SignUpDocument, { input });
    expect(refused.signUp).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'mobile', message: expect.stringMatching(/5 confirmation codes .* last hour/) }] });
    // Nothing of the refused sign-up was written.
    expect(await sql(`SELECT 1 FROM "user" WHERE email = $1`, [input.email.toLowerCase()])).toHaveLength(0);
    // Another number is not affected.
    const other = await apiClient(platform.graphqlUrl).request(SignUpDocument, { input: signUpInput() });
    expect(other.signUp.__typename).toBe('MutationSignUpSuccess');
  });

  it('refuses a duplicate e-mail', async () => {
    const tenant = await createTenant(platform);
    const again = await apiClient(platform.graphqlUrl).request(SignUpDocument, { input: signUpInput({ email: tenant.email.toUpperCase() }) });
    expect(again.signUp).toMatchObject({ __typename: 'EmailTakenError', code: 'EMAIL_TAKEN' });
    expect(await sql(`SELECT 1 FROM "user" WHERE email = $1`, [tenant.email])).toHaveLength(1);
  });
});

describe('confirmation codes', () => {
  it('counts wrong codes, then refuses after the maximum, and an expired code', async () => {
    const anonymous = apiClient(platform.graphqlUrl);
    const input = signUpInput();
    const signedUp = await anonymous.request(SignUpDocument, { input });
    if (signedUp.signUp.__typename !== 'MutationSignUpSuccess') throw new Error(JSON.stringify(signedUp));
    const confirmationId = signedUp.signUp.data.confirmationId;
    const right = await lastCodeSentTo(platform, input.mobile);
    const wrong = right === '000000' ? '111111' : '000000';

    const first = await anonymous.request(ConfirmMobileDocument, { input: { confirmationId, code: wrong } });
    expect(first.confirmMobile).toMatchObject({ __typename: 'ConfirmationCodeError', reason: 'WRONG_CODE', attemptsLeft: 4 });
    for (let attempt = 0; attempt < 4; attempt++) await anonymous.request(ConfirmMobileDocument, { input: { confirmationId, code: wrong } });
    const locked = await anonymous.request(ConfirmMobileDocument, { input: { confirmationId, code: right } });
    expect(locked.confirmMobile).toMatchObject({ __typename: 'ConfirmationCodeError', reason: 'TOO_MANY_ATTEMPTS' });
    expect((await sql<{ status: string }>(`SELECT a.status FROM account a JOIN membership m ON m.account_id = a.id JOIN "user" u ON u.id = m.user_id WHERE u.email = $1`, [input.email]))[0]?.status).toBe('PENDING_CONFIRMATION');

    const other = signUpInput();
    const second = await anonymous.request(SignUpDocument, { input: other });
    if (second.signUp.__typename !== 'MutationSignUpSuccess') throw new Error(JSON.stringify(second));
    await sql(`UPDATE mobile_confirmation SET expires_at = now() - interval '1 second' WHERE id = $1`, [second.signUp.data.confirmationId]);
    const expired = await anonymous.request(ConfirmMobileDocument, {
      input: { confirmationId: second.signUp.data.confirmationId, code: await lastCodeSentTo(platform, other.mobile) },
    });
    expect(expired.confirmMobile).toMatchObject({ __typename: 'ConfirmationCodeError', reason: 'EXPIRED' });
  });
});

describe('log-in and sessions', () => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await createTenant(platform);
  });

  it('gives the same answer for a wrong password and an unknown e-mail', async () => {
    const anonymous = apiClient(platform.graphqlUrl);
    const wrongPassword = await anonymous.request(LogInDocument, { input: { email: tenant.email, password: 'wrong password here' } });
    const unknownEmail = await anonymous.request(LogInDocument, { input: { email: `nobody-${Date.now()}@acme.fr`, password: 'wrong password here' } });
    expect(wrongPassword.logIn).toEqual(unknownEmail.logIn);
    expect(wrongPassword.logIn).toMatchObject({ __typename: 'InvalidCredentialsError', code: 'INVALID_CREDENTIALS' });
  });

  it('rotates refresh tokens and revokes the family when an old one is reused', async () => {
    const anonymous = apiClient(platform.graphqlUrl);
    const first = await anonymous.request(RefreshSessionDocument, { input: { refreshToken: tenant.refreshToken } });
    if (first.refreshSession.__typename !== 'MutationRefreshSessionSuccess') throw new Error(JSON.stringify(first));
    const rotated = first.refreshSession.data.refreshToken;
    expect(rotated).not.toBe(tenant.refreshToken);

    const reused = await anonymous.request(RefreshSessionDocument, { input: { refreshToken: tenant.refreshToken } });
    expect(reused.refreshSession).toMatchObject({ __typename: 'InvalidSessionError', code: 'INVALID_SESSION' });
    // The reuse revoked the whole family, including the token issued by the legitimate rotation.
    const afterReuse = await anonymous.request(RefreshSessionDocument, { input: { refreshToken: rotated } });
    expect(afterReuse.refreshSession).toMatchObject({ __typename: 'InvalidSessionError' });
  });

  it('logs out by revoking the refresh token', async () => {
    const anonymous = apiClient(platform.graphqlUrl);
    const session = await anonymous.request(LogInDocument, { input: { email: tenant.email, password: tenant.password } });
    if (session.logIn.__typename !== 'MutationLogInSuccess') throw new Error(JSON.stringify(session));
    expect((await anonymous.request(LogOutDocument, { input: { refreshToken: session.logIn.data.refreshToken } })).logOut).toBe(true);
    const refreshed = await anonymous.request(RefreshSessionDocument, { input: { refreshToken: session.logIn.data.refreshToken } });
    expect(refreshed.refreshSession.__typename).toBe('InvalidSessionError');
  });
});

describe('bad credentials are refused', () => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await createTenant(platform);
  });

  async function meErrorWith(authorization: string) {
    return apiClient(platform.graphqlUrl, authorization).errors(MeDocument);
  }

  it('refuses an expired JWT', async () => {
    // Signed with the platform's real key, already past its expiry.
    const { issueAccessToken } = await import('../../src/domain/auth/access-tokens.js');
    const { config } = await import('../../src/config.js');
    const ttl = config.auth.accessTokenTtlSeconds;
    config.auth.accessTokenTtlSeconds = -10;
    const expired = await issueAccessToken({ userId: tenant.userUuid, accountId: tenant.accountUuid, role: 'OWNER' }).finally(() => {
      config.auth.accessTokenTtlSeconds = ttl;
    });
    const errors = await meErrorWith(`Bearer ${expired.token}`);
    expect(errors[0]).toMatchObject({ message: expect.stringMatching(/expired/), extensions: { code: 'NOT_AUTHENTICATED' } });
  });

  it('refuses a tampered JWT', async () => {
    const [head, payload, signature] = tenant.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'OWNER', acc: '00000000-0000-0000-0000-000000000001' })).toString('base64url');
    const errors = await meErrorWith(`Bearer ${head}.${forged}.${signature}`);
    expect(errors[0]?.extensions).toMatchObject({ code: 'NOT_AUTHENTICATED' });
  });

  it('refuses alg: none', async () => {
    const claims = JSON.parse(Buffer.from(tenant.accessToken.split('.')[1]!, 'base64url').toString());
    const unsigned = new UnsecuredJWT(claims).encode();
    const errors = await meErrorWith(`Bearer ${unsigned}`);
    expect(errors[0]?.extensions).toMatchObject({ code: 'NOT_AUTHENTICATED' });
  });

  it('refuses a JWT signed by an unknown key id', async () => {
    const claims = JSON.parse(Buffer.from(tenant.accessToken.split('.')[1]!, 'base64url').toString());
    const { privateKey } = await generateKeyPair('Ed25519');
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'Ed25519', kid: 'someone-else', typ: 'at+jwt' }).sign(privateKey);
    const errors = await meErrorWith(`Bearer ${foreign}`);
    expect(errors[0]?.extensions).toMatchObject({ code: 'NOT_AUTHENTICATED' });
  });

  it('refuses a revoked API key', async () => {
    const owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    const created = await owner.request(CreateApiKeyDocument, { input: { name: 'Temporary', role: 'MANAGER' } });
    if (created.createApiKey.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(created));
    const { secret, apiKey } = created.createApiKey.data;
    expect((await apiClient(platform.graphqlUrl, secret).request(MeDocument)).me.role).toBe('MANAGER');
    const revoked = await owner.request(RevokeApiKeyDocument, { input: { id: apiKey.id } });
    expect(revoked.revokeApiKey).toMatchObject({ __typename: 'MutationRevokeApiKeySuccess', data: { revokedAt: expect.any(String) } });
    const errors = await meErrorWith(`Bearer ${secret}`);
    expect(errors[0]).toMatchObject({ message: expect.stringMatching(/revoked/), extensions: { code: 'NOT_AUTHENTICATED' } });
  });

  it('does not let an API key create API keys, nor an analyst key revoke one', async () => {
    const owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    const created = await owner.request(CreateApiKeyDocument, { input: { name: 'Reporting', role: 'ANALYST' } });
    if (created.createApiKey.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(created));
    const analyst = apiClient(platform.graphqlUrl, created.createApiKey.data.secret);
    const errors = await analyst.errors(CreateApiKeyDocument, { input: { name: 'Escalation', role: 'ADMIN' } });
    expect(errors[0]?.extensions).toMatchObject({ code: 'PERMISSION_DENIED' });
    // Field-level rights: an analyst sees the account but not its credit.
    const analystMe = await analyst.errors(MeDocument);
    expect(analystMe).toEqual([expect.objectContaining({ path: ['me', 'account', 'creditBalance'], extensions: { code: 'PERMISSION_DENIED' } })]);
    expect(analystMe[0]?.message).toMatch(/billing:read/);
    const revokeErrors = await analyst.errors(RevokeApiKeyDocument, { input: { id: created.createApiKey.data.apiKey.id } });
    expect(revokeErrors[0]?.extensions).toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('lets an API key run persisted operations only', async () => {
    const owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    const created = await owner.request(CreateApiKeyDocument, { input: { name: 'Partner', role: 'MANAGER' } });
    if (created.createApiKey.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(created));
    const secret = created.createApiKey.data.secret;
    const post = async (body: unknown) =>
      (await fetch(platform.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
        body: JSON.stringify(body),
      }).then((response) => response.json())) as { data?: { me?: { role: string } }; errors?: { extensions?: { code?: string } }[] };

    const arbitrary = await post({ query: '{ me { role } }' });
    expect(arbitrary.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    const unknown = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const { operationId } = await import('../../codegen/persisted-operations.js');
    const persisted = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: operationId(MeDocument) } } });
    expect(persisted.data?.me?.role).toBe('MANAGER');
    // A logged-in user (the dashboard) may still send documents.
    expect((await owner.request(MeDocument)).me.role).toBe('OWNER');
  });

  it('asks for authentication on guarded fields', async () => {
    const errors = await apiClient(platform.graphqlUrl).errors(MeDocument);
    expect(errors[0]?.extensions).toMatchObject({ code: 'NOT_AUTHENTICATED' });
  });
});

describe('Relay node lookups', () => {
  it("return the caller's own objects and never another account's", async () => {
    const { NodeDocument } = await import('../../codegen/generated/operations.js');
    const alice = await createTenant(platform);
    const bob = await createTenant(platform);
    const asAlice = apiClient(platform.graphqlUrl, `Bearer ${alice.accessToken}`);
    const own = await asAlice.request(NodeDocument, { id: alice.accountId });
    expect(own.node).toMatchObject({ __typename: 'Account', id: alice.accountId });
    const created = await apiClient(platform.graphqlUrl, `Bearer ${bob.accessToken}`).request(CreateApiKeyDocument, {
      input: { name: 'Bob key', role: 'ADMIN' },
    });
    if (created.createApiKey.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(created));
    for (const foreignId of [bob.accountId, bob.userId, created.createApiKey.data.apiKey.id]) {
      const foreign = await asAlice.request(NodeDocument, { id: foreignId });
      expect(foreign.node).toBeNull();
    }
  });
});
