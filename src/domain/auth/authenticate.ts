import { NotAuthenticatedError } from '../errors.js';
import type { Actor } from './actor.js';
import { verifyAccessToken } from './access-tokens.js';
import { authenticateApiKey, looksLikeApiKey } from './api-keys.js';

/**
 * Turns the credentials of an HTTP request or a WebSocket `connection_init` into an actor.
 * Accepts `Bearer <access token>`, `Bearer sk_...` or a bare API key. No credentials gives null
 * (public operations such as `logIn` still work); bad credentials are an error, never silently
 * anonymous.
 */
export async function authenticate(authorization: string | null | undefined): Promise<Actor | null> {
  if (!authorization?.trim()) return null;
  const token = credentialOf(authorization);
  if (!token) throw new NotAuthenticatedError('The authorization header is empty.');
  if (looksLikeApiKey(token)) return authenticateApiKey(token);
  const claims = await verifyAccessToken(token);
  return { kind: 'USER', accountId: claims.accountId, role: claims.role, userId: claims.userId, apiKeyId: null, expiresAt: claims.expiresAt };
}

/** The token or key of an authorization value (`Bearer ...`, `ApiKey ...` or bare). */
export function credentialOf(authorization: string): string {
  return authorization.replace(/^(Bearer|ApiKey)\s+/i, '').trim();
}
