import type { Role } from '../generated/prisma/enums.js';

/**
 * The rights of each role, written once. The schema enforces them through scope-auth
 * (`authScopes: { permission: ... }`) and the domain checks them with `requirePermission`.
 */
export const PERMISSIONS = [
  'account:read',
  'account:manage',
  'team:manage',
  'apiKeys:manage',
  'services:manage',
  'billing:read',
  'billing:manage',
  'contacts:read',
  'contacts:write',
  'campaigns:read',
  'campaigns:write',
  'messages:send',
  'conversations:read',
  'conversations:reply',
  'conversations:assign',
  'analytics:read',
  'exports:create',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const ALL: readonly Permission[] = PERMISSIONS;

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  OWNER: ALL,
  ADMIN: ALL,
  MANAGER: [
    'account:read',
    'contacts:read',
    'contacts:write',
    'campaigns:read',
    'campaigns:write',
    'messages:send',
    'conversations:read',
    'conversations:reply',
    'conversations:assign',
    'analytics:read',
    'exports:create',
    'billing:read',
  ],
  AGENT: ['account:read', 'contacts:read', 'conversations:read', 'conversations:reply'],
  ANALYST: ['account:read', 'campaigns:read', 'analytics:read', 'exports:create'],
  BILLING: ['account:read', 'billing:read', 'billing:manage'],
};

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
