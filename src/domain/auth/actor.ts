import type { Role } from '../../generated/prisma/enums.js';
import { PermissionDeniedError } from '../errors.js';
import { can, type Permission } from '../permissions.js';

/** Who is acting: a logged-in user, or a partner's API key, always within one account. */
export interface Actor {
  kind: 'USER' | 'API_KEY';
  accountId: string;
  role: Role;
  /** The user, for a session; null for an API key. */
  userId: string | null;
  apiKeyId: string | null;
  /** When a session's access token expires (epoch ms): long-lived connections end then. Absent for an API key. */
  expiresAt?: number | null;
}

export function requirePermission(actor: Actor, permission: Permission): void {
  if (!can(actor.role, permission)) throw new PermissionDeniedError(permission, actor.role);
}
