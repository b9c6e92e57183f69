import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { errors as joseErrors } from 'jose';
import { config } from '../../config.js';
import type { Role } from '../../generated/prisma/enums.js';
import { NotAuthenticatedError } from '../errors.js';
import { randomToken, readOrCreateFile } from './secrets.js';

/** Algorithms we sign with; anything else (including `none`) is refused at verification. */
const ALGORITHMS = ['Ed25519', 'EdDSA', 'ES256'];

export interface AccessClaims {
  userId: string;
  accountId: string;
  role: Role;
}

interface SigningKeys {
  kid: string;
  alg: string;
  privateKey: CryptoKey | Uint8Array;
  verify: JWTVerifyGetKey;
}

let keysPromise: Promise<SigningKeys> | undefined;

/**
 * The first configured key signs; every configured key verifies, so a new key is rolled out
 * by prepending it and an old one retired by removing it after one access-token lifetime.
 */
function signingKeys(): Promise<SigningKeys> {
  keysPromise ??= loadSigningKeys();
  return keysPromise;
}

async function loadSigningKeys(): Promise<SigningKeys> {
  let text = config.auth.privateKeys;
  if (!text) {
    // Development and tests: an Ed25519 key generated on first start and kept under DATA_DIR.
    const generated = await generateSigningJwk();
    text = readOrCreateFile(config.auth.keyFile, () => JSON.stringify([generated]));
  }
  const jwks = parseKeys(text);
  const [first] = jwks;
  if (!first?.kid || !first.alg) throw new Error('JWT_PRIVATE_KEYS: the first key needs a "kid" and an "alg"');
  const publicKeys = jwks.map(({ d: _private, ...publicPart }) => publicPart);
  return {
    kid: first.kid,
    alg: first.alg,
    privateKey: await importJWK(first, first.alg),
    verify: createLocalJWKSet({ keys: publicKeys }),
  };
}

function parseKeys(text: string): JWK[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('JWT_PRIVATE_KEYS: not valid JSON (expected an array of private JWKs)');
  }
  if (!Array.isArray(parsed)) throw new Error('JWT_PRIVATE_KEYS: expected an array of private JWKs');
  return parsed as JWK[];
}

/** A new private JWK for JWT_PRIVATE_KEYS (also used by `npm run keys:generate`). */
export async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: 'Ed25519', kid: randomToken(9), use: 'sig' };
}

export async function issueAccessToken(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }> {
  const keys = await signingKeys();
  const expiresAt = new Date(Date.now() + config.auth.accessTokenTtlSeconds * 1000);
  const token = await new SignJWT({ acc: claims.accountId, role: claims.role })
    .setProtectedHeader({ alg: keys.alg, kid: keys.kid, typ: 'at+jwt' })
    .setSubject(claims.userId)
    .setIssuer(config.auth.issuer)
    .setAudience(config.auth.audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(keys.privateKey);
  return { token, expiresAt };
}

/** Verifies signature, algorithm, key id, issuer, audience and lifetime; gives the claims and when the token expires (epoch ms). */
export async function verifyAccessToken(token: string): Promise<AccessClaims & { expiresAt: number | null }> {
  const keys = await signingKeys();
  try {
    const { payload } = await jwtVerify(token, keys.verify, {
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      algorithms: ALGORITHMS,
      typ: 'at+jwt',
    });
    if (typeof payload.sub !== 'string' || typeof payload.acc !== 'string' || typeof payload.role !== 'string') {
      throw new NotAuthenticatedError('Access token is missing claims.');
    }
    return { userId: payload.sub, accountId: payload.acc, role: payload.role as Role, expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null };
  } catch (error) {
    if (error instanceof NotAuthenticatedError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new NotAuthenticatedError('Access token expired: refresh the session.');
    if (error instanceof joseErrors.JOSEError) throw new NotAuthenticatedError('Access token is not valid.');
    throw error;
  }
}
