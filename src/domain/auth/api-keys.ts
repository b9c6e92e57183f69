import { config } from '../../config.js';
import { prisma } from '../../db/client.js';
import type { ApiKey } from '../../generated/prisma/client.js';
import type { Role } from '../../generated/prisma/enums.js';
import { NotAuthenticatedError, NotFoundError, ValidationError } from '../errors.js';
import { requirePermission, type Actor } from './actor.js';
import { randomToken, safeEqual, sha256 } from './secrets.js';

/**
 * Partner API keys look like `sk_<prefix>_<secret>`: the prefix finds the row and is shown in
 * lists; only a hash of the secret is stored, so the full key is shown once, at creation.
 */
const KEY_SHAPE = /^sk_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('sk_');
}

export async function createApiKey(actor: Actor, input: { name: string; role: Role }): Promise<{ apiKey: ApiKey; secret: string }> {
  requirePermission(actor, 'apiKeys:manage');
  if (!actor.userId) throw ValidationError.single('role', 'API keys are created by a logged-in user, not by another key');
  const name = input.name.trim();
  if (!name || name.length > 100) throw ValidationError.single('name', 'must be 1 to 100 characters');
  if (input.role === 'OWNER') throw ValidationError.single('role', 'an API key cannot have the owner role; use ADMIN or a narrower role');
  const prefix = randomToken(9);
  const secretPart = randomToken(32);
  const apiKey = await prisma.apiKey.create({
    data: {
      accountId: actor.accountId,
      name,
      role: input.role,
      prefix,
      secretHash: sha256(secretPart),
      createdById: actor.userId,
    },
  });
  return { apiKey, secret: `sk_${prefix}_${secretPart}` };
}

export async function revokeApiKey(actor: Actor, apiKeyId: string): Promise<ApiKey> {
  requirePermission(actor, 'apiKeys:manage');
  const key = await prisma.apiKey.findFirst({ where: { id: apiKeyId, accountId: actor.accountId } });
  if (!key) throw new NotFoundError('API key');
  if (key.revokedAt) return key;
  return prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
}

/** Resolves a presented key to its actor; records the last use at most once a resolution period. */
export async function authenticateApiKey(token: string): Promise<Actor> {
  const match = KEY_SHAPE.exec(token);
  if (!match) throw new NotAuthenticatedError('API key is malformed.');
  const [, prefix = '', secretPart = ''] = match;
  const key = await prisma.apiKey.findUnique({ where: { prefix }, include: { account: { select: { status: true } } } });
  if (!key || !safeEqual(sha256(secretPart), key.secretHash)) throw new NotAuthenticatedError('API key is not valid.');
  if (key.revokedAt) throw new NotAuthenticatedError('API key has been revoked.');
  if (key.account.status !== 'ACTIVE') throw new NotAuthenticatedError('The account of this API key is not active.');

  const resolutionMs = config.auth.apiKeyLastUsedResolutionSeconds * 1000;
  if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() >= resolutionMs) {
    // Not awaited: bookkeeping must not slow the request or fail it.
    prisma.apiKey
      .updateMany({
        where: { id: key.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(Date.now() - resolutionMs) } }] },
        data: { lastUsedAt: new Date() },
      })
      .catch((error: unknown) => console.error('[api-key] could not record last use', error));
  }
  return { kind: 'API_KEY', accountId: key.accountId, role: key.role, userId: null, apiKeyId: key.id };
}
