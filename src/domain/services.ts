import { prisma, type Db } from '../db/client.js';
import type { AccountService } from '../generated/prisma/client.js';
import type { AdditionalService } from '../generated/prisma/enums.js';
import { publishEvent } from '../events/bus.js';
import { requirePermission, type Actor } from './auth/actor.js';
import { LegalNoticeRequiredError, ServiceNotActiveError } from './errors.js';

/** Services whose activation records acceptance of a legal notice, and its current version. */
export const LEGAL_NOTICES: Partial<Record<AdditionalService, string>> = {
  VOICE_SMS: 'vms-2026-01',
};

/**
 * Switches an additional service on (idempotent). Voice SMS requires accepting its legal
 * notice; the version accepted is recorded.
 */
export async function activateService(
  actor: Actor,
  input: { service: AdditionalService; acceptedLegalNotice?: string | null },
): Promise<AccountService> {
  requirePermission(actor, 'services:manage');
  const requiredNotice = LEGAL_NOTICES[input.service];
  if (requiredNotice && input.acceptedLegalNotice !== requiredNotice) {
    throw new LegalNoticeRequiredError(input.service, requiredNotice);
  }
  const existing = await prisma.accountService.findUnique({
    where: { accountId_service: { accountId: actor.accountId, service: input.service } },
  });
  if (existing) return existing;
  const activated = await prisma.accountService.upsert({
    where: { accountId_service: { accountId: actor.accountId, service: input.service } },
    update: {},
    create: {
      accountId: actor.accountId,
      service: input.service,
      activatedById: actor.userId,
      legalNoticeVersion: requiredNotice ?? null,
      legalNoticeAcceptedAt: requiredNotice ? new Date() : null,
    },
  });
  publishEvent('accountUpdated', actor.accountId, { accountId: actor.accountId, change: 'SERVICE_ACTIVATED' });
  return activated;
}

/** Every feature behind an additional service calls this before doing anything. */
export async function requireService(db: Db, accountId: string, service: AdditionalService): Promise<void> {
  const active = await db.accountService.findUnique({ where: { accountId_service: { accountId, service } }, select: { id: true } });
  if (!active) throw new ServiceNotActiveError(service);
}
