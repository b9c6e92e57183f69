/**
 * Platform operators: staff of the platform itself, not of a customer account. They log in as
 * any user does (an operator is also a member of some account, usually the platform's own);
 * being an operator is a row in `platform_operator`, read on each request that needs it, so a
 * revocation takes effect at once. Granted and revoked from the command line (`npm run
 * operators`), never through the API: no customer role can make an operator.
 */
import { prisma } from '../../db/client.js';
import { normaliseEmail } from '../accounts/sign-up-rules.js';
import { NotFoundError, PermissionDeniedError } from '../errors.js';
import type { Actor } from '../auth/actor.js';

export async function isPlatformOperator(actor: Actor | null): Promise<boolean> {
  if (actor === null || actor.kind !== 'USER' || actor.userId === null) return false;
  return (await prisma.platformOperator.count({ where: { userId: actor.userId } })) === 1;
}

export async function requirePlatformOperator(actor: Actor): Promise<string> {
  if (!(await isPlatformOperator(actor))) throw new PermissionDeniedError('platform operator', actor.role);
  return actor.userId!;
}

async function userIdOf(email: string): Promise<string> {
  const user = await prisma.user.findUnique({ where: { email: normaliseEmail(email) }, select: { id: true } });
  if (!user) throw new NotFoundError('User');
  return user.id;
}

/** Makes the user with this e-mail an operator; true when they were not one already. */
export async function grantPlatformOperator(email: string): Promise<boolean> {
  const userId = await userIdOf(email);
  const created = await prisma.platformOperator.createMany({ data: [{ userId }], skipDuplicates: true });
  return created.count === 1;
}

/** True when the user was an operator. */
export async function revokePlatformOperator(email: string): Promise<boolean> {
  const userId = await userIdOf(email);
  return (await prisma.platformOperator.deleteMany({ where: { userId } })).count === 1;
}

export async function listPlatformOperators(): Promise<{ email: string; grantedAt: Date }[]> {
  const rows = await prisma.platformOperator.findMany({ orderBy: { grantedAt: 'asc' }, select: { grantedAt: true, user: { select: { email: true } } } });
  return rows.map((row) => ({ email: row.user.email, grantedAt: row.grantedAt }));
}
