import { randomBytes } from 'node:crypto';
import {
  ConfirmMobileDocument,
  LogInDocument,
  SignUpDocument,
  type SignUpInput,
} from '../../codegen/generated/operations.js';
import { apiClient, type TestPlatform } from './platform.js';

/** A valid SIRET (Luhn) and French mobile, with an e-mail unique to this call. */
export function signUpInput(overrides: Partial<SignUpInput> = {}): SignUpInput {
  const unique = randomBytes(5).toString('hex');
  return {
    email: `owner-${unique}@acme-${unique}.fr`,
    password: 'correct horse battery staple',
    firstName: 'Jeanne',
    lastName: 'Martin',
    mobile: randomFrenchMobile(),
    companyName: `Acme ${unique}`,
    companyNumber: '73282932000074',
    address: { street: '1 rue de la Paix', postalCode: '75002', city: 'Paris', country: 'FR' },
    acceptServiceMessages: true,
    ...overrides,
  };
}

/** A French mobile number in E.164, random so tenants never share one. */
export function randomFrenchMobile(): string {
  return `+33612${String(randomBytes(4).readUInt32BE() % 1_000_000).padStart(6, '0')}`;
}

/** Reads the last confirmation code sent to a number: the platform's own SERVICE messages. */
export async function lastCodeSentTo(platform: TestPlatform, mobile: string): Promise<string> {
  const rows = await platform.sql<{ text: string }>(
    `SELECT text FROM message WHERE recipient = $1 AND kind = 'SERVICE' ORDER BY id DESC LIMIT 1`,
    [mobile],
  );
  const code = /^(\d{6}) /.exec(rows[0]?.text ?? '')?.[1];
  if (!code) throw new Error(`no confirmation code was sent to ${mobile}`);
  return code;
}

export interface Tenant {
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** Relay global ids, as the API returns them. */
  accountId: string;
  userId: string;
  /** Database ids, for tests that call the domain directly. */
  accountUuid: string;
  userUuid: string;
}

export function databaseId(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString('utf8').split(':')[1] ?? '';
}

/** Signs up, confirms the mobile and returns a logged-in owner of a fresh account. */
export async function createTenant(platform: TestPlatform, overrides: Partial<SignUpInput> = {}): Promise<Tenant> {
  const anonymous = apiClient(platform.graphqlUrl);
  const input = signUpInput(overrides);
  const signedUp = await anonymous.request(SignUpDocument, { input });
  if (signedUp.signUp.__typename !== 'MutationSignUpSuccess') throw new Error(`sign-up failed: ${JSON.stringify(signedUp)}`);
  const code = await lastCodeSentTo(platform, input.mobile);
  const confirmed = await anonymous.request(ConfirmMobileDocument, {
    input: { confirmationId: signedUp.signUp.data.confirmationId, code },
  });
  if (confirmed.confirmMobile.__typename !== 'MutationConfirmMobileSuccess') throw new Error(`confirmation failed: ${JSON.stringify(confirmed)}`);
  const loggedIn = await anonymous.request(LogInDocument, { input: { email: input.email, password: input.password } });
  if (loggedIn.logIn.__typename !== 'MutationLogInSuccess') throw new Error(`log-in failed: ${JSON.stringify(loggedIn)}`);
  const session = loggedIn.logIn.data;
  return {
    email: input.email,
    password: input.password,
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
    accountId: session.account.id,
    userId: session.user.id,
    accountUuid: databaseId(session.account.id),
    userUuid: databaseId(session.user.id),
  };
}
