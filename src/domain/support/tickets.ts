import { createHash } from 'node:crypto';
import { config } from '../../config.js';
import { prisma } from '../../db/client.js';
import { uuid7 } from '../../db/uuid7.js';
import type { SupportTicket, SupportTicketComment } from '../../generated/prisma/client.js';
import type { SupportTicketCategory } from '../../generated/prisma/enums.js';
import { attachmentStore } from '../../gateways/attachment-store.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { NotFoundError, ValidationError, type FieldProblem } from '../errors.js';
import { responseDueAt } from './response-target.js';

/**
 * Support tickets (SPEC section 18). Every role may ask for help (`account:read`); the answer
 * goes to the account e-mail copied on the ticket. Attachments are stored through the
 * attachment store before the ticket row is written, and removed again if that write fails.
 */
const DESCRIPTION_MAX = 10_000;
const PAYLOAD_SAMPLE_MAX = 100_000;
const COMMENT_MAX = 10_000;
const MAX_ATTACHMENTS = 5;

export interface CreateTicketInput {
  category: SupportTicketCategory;
  description: string;
  payloadSample?: string | null;
  attachments?: readonly File[] | null;
}

function cleanFileName(name: string): string {
  // Path separators and control characters never reach the store or a download header.
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[\p{Cc}"]/gu, '').trim();
  return cleaned.slice(0, 200) || 'attachment';
}

export async function createSupportTicket(actor: Actor, input: CreateTicketInput, now = new Date()): Promise<SupportTicket> {
  requirePermission(actor, 'account:read');
  const description = input.description.trim();
  const payloadSample = input.payloadSample?.trim() || null;
  const files = input.attachments ?? [];
  const problems: FieldProblem[] = [];
  if (description.length < 10 || description.length > DESCRIPTION_MAX) {
    problems.push({ field: 'description', message: `must be 10 to ${DESCRIPTION_MAX} characters` });
  }
  if (payloadSample && payloadSample.length > PAYLOAD_SAMPLE_MAX) problems.push({ field: 'payloadSample', message: `must be at most ${PAYLOAD_SAMPLE_MAX} characters` });
  if (files.length > MAX_ATTACHMENTS) problems.push({ field: 'attachments', message: `at most ${MAX_ATTACHMENTS} files` });
  files.forEach((file, index) => {
    if (file.size === 0) problems.push({ field: `attachments.${index}`, message: `${cleanFileName(file.name)} is empty` });
    if (file.size > config.support.attachmentMaxBytes) {
      problems.push({ field: `attachments.${index}`, message: `${cleanFileName(file.name)} is over ${config.support.attachmentMaxBytes} bytes (10 MB)` });
    }
  });
  if (problems.length > 0) throw new ValidationError(problems);

  const account = await prisma.account.findUniqueOrThrow({
    where: { id: actor.accountId },
    include: { plan: true, memberships: { where: { role: 'OWNER' }, orderBy: { createdAt: 'asc' }, take: 1, include: { user: true } } },
  });
  const author = actor.userId ? await prisma.user.findUnique({ where: { id: actor.userId } }) : null;
  const contactEmail = author?.email ?? account.memberships[0]?.user.email;
  if (!contactEmail) throw ValidationError.single('account', 'this account has no e-mail to answer to');

  const ticketId = uuid7();
  const stored: { id: string; key: string; fileName: string; contentType: string; sizeBytes: number; sha256: string }[] = [];
  try {
    for (const file of files) {
      const id = uuid7();
      const key = `${ticketId}/${id}`;
      const content = new Uint8Array(await file.arrayBuffer());
      await attachmentStore.save(key, content);
      stored.push({
        id,
        key,
        fileName: cleanFileName(file.name),
        contentType: file.type || 'application/octet-stream',
        sizeBytes: content.byteLength,
        sha256: createHash('sha256').update(content).digest('hex'),
      });
    }
    return await prisma.supportTicket.create({
      data: {
        id: ticketId,
        accountId: actor.accountId,
        category: input.category,
        description,
        payloadSample,
        contactEmail,
        responseDueAt: responseDueAt(now, account.plan.supportResponseHours),
        createdById: actor.userId,
        createdAt: now,
        attachments: {
          create: stored.map(({ id, key, fileName, contentType, sizeBytes, sha256 }) => ({ id, storageKey: key, fileName, contentType, sizeBytes, sha256 })),
        },
      },
    });
  } catch (error) {
    await Promise.all(stored.map((file) => attachmentStore.remove(file.key).catch(() => undefined)));
    throw error;
  }
}

async function ownTicket(actor: Actor, ticketId: string): Promise<SupportTicket> {
  const ticket = await prisma.supportTicket.findFirst({ where: { id: ticketId, accountId: actor.accountId } });
  if (!ticket) throw new NotFoundError('Support ticket');
  return ticket;
}

export async function commentSupportTicket(actor: Actor, input: { ticketId: string; body: string }): Promise<SupportTicketComment> {
  requirePermission(actor, 'account:read');
  const body = input.body.trim();
  if (!body || body.length > COMMENT_MAX) throw ValidationError.single('body', `must be 1 to ${COMMENT_MAX} characters`);
  const ticket = await ownTicket(actor, input.ticketId);
  if (ticket.state === 'CLOSED') throw ValidationError.single('ticketId', 'this ticket is closed; open a new one');
  return prisma.supportTicketComment.create({ data: { ticketId: ticket.id, authorId: actor.userId, body } });
}

export async function closeSupportTicket(actor: Actor, ticketId: string): Promise<SupportTicket> {
  requirePermission(actor, 'account:read');
  const ticket = await ownTicket(actor, ticketId);
  if (ticket.state === 'CLOSED') return ticket;
  return prisma.supportTicket.update({ where: { id: ticket.id }, data: { state: 'CLOSED', closedAt: new Date() } });
}
