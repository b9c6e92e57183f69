/**
 * Data exports in general (contacts today; campaigns, messages and replies later, SPEC section
 * 17): the expiring download link and the purge of expired files. A link is `/exports/<id>?token=`
 * with a random token of 256 bits stored only as its SHA-256, so the database alone never gives
 * a working link; it works from the moment the file is ready until `expiresAt`.
 */
import { config } from '../../config.js';
import { prisma } from '../../db/client.js';
import type { DataExport } from '../../generated/prisma/client.js';
import { exportFiles } from '../../gateways/export-files.js';
import { randomToken, safeEqual, sha256 } from '../auth/secrets.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { NotFoundError } from '../errors.js';

export interface DownloadToken {
  /** Shown once, in the answer that created it. */
  token: string;
  tokenHash: string;
}

export function newDownloadToken(): DownloadToken {
  const token = randomToken(32);
  return { token, tokenHash: sha256(token) };
}

/** The end of the download window of an export that is ready now. */
export function downloadWindowEnd(readyAt: Date): Date {
  return new Date(readyAt.getTime() + config.exports.linkTtlHours * 3600_000);
}

export type DownloadLookup =
  | { ok: true; export: DataExport }
  | { ok: false; reason: 'NOT_FOUND' | 'NOT_READY' | 'EXPIRED' | 'FAILED' };

/**
 * What a download link leads to. A wrong token is the same answer as an unknown export, so a
 * link cannot be used to learn which export ids exist.
 */
export async function findDownload(exportId: string, token: string, now = new Date()): Promise<DownloadLookup> {
  if (!/^[0-9a-f-]{36}$/.test(exportId) || token === '') return { ok: false, reason: 'NOT_FOUND' };
  const found = await prisma.dataExport.findUnique({ where: { id: exportId } });
  if (!found || !safeEqual(found.tokenHash, sha256(token))) return { ok: false, reason: 'NOT_FOUND' };
  if (found.status === 'EXPIRED' || (found.expiresAt !== null && found.expiresAt <= now)) return { ok: false, reason: 'EXPIRED' };
  if (found.status === 'FAILED') return { ok: false, reason: 'FAILED' };
  if (found.status !== 'READY') return { ok: false, reason: 'NOT_READY' };
  return { ok: true, export: found };
}

/**
 * A new link for an export of the account (the previous one stops working), for a user who
 * lost the first. The download window does not move: it still ends `expiresAt`.
 */
export async function renewDownloadLink(actor: Actor, exportId: string): Promise<{ export: DataExport; token: string }> {
  requirePermission(actor, 'exports:create');
  const { token, tokenHash } = newDownloadToken();
  const { count } = await prisma.dataExport.updateMany({
    where: { id: exportId, accountId: actor.accountId, status: { not: 'EXPIRED' } },
    data: { tokenHash },
  });
  if (count === 0) throw new NotFoundError('Export');
  return { export: await prisma.dataExport.findUniqueOrThrow({ where: { id: exportId } }), token };
}

/** Deletes the files of exports whose window ended and marks them EXPIRED. Safe to run twice. */
export async function purgeExpiredExports(now = new Date()): Promise<number> {
  const expired = await prisma.dataExport.findMany({
    where: { status: 'READY', expiresAt: { lte: now } },
    select: { id: true },
    take: 1000,
  });
  for (const { id } of expired) {
    await exportFiles.remove(id);
    await prisma.dataExport.update({ where: { id }, data: { status: 'EXPIRED' } });
  }
  return expired.length;
}
