/**
 * GET /exports/<id>?token=<token>: the download of a finished export, by its expiring link
 * (src/domain/exports/data-exports.ts). No session needed: the token is the credential, so the
 * answer is never cached and never sent as a referrer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { findDownload } from '../domain/exports/data-exports.js';
import { exportFiles } from '../gateways/export-files.js';

export const EXPORTS_PATH = '/exports/';

let baseUrl = '';

/** The server's public URL, known once it listens (the port may be chosen by the system). */
export function setExportsBaseUrl(url: string): void {
  baseUrl = url.replace(/\/$/, '');
}

export function exportDownloadUrl(exportId: string, token: string): string {
  return `${baseUrl}${EXPORTS_PATH}${exportId}?token=${encodeURIComponent(token)}`;
}

export function isExportDownload(request: IncomingMessage): boolean {
  return request.url?.startsWith(EXPORTS_PATH) === true;
}

const FAILURES: Record<'NOT_FOUND' | 'NOT_READY' | 'FAILED' | 'EXPIRED', [status: number, message: string]> = {
  NOT_FOUND: [404, 'No export at this link.'],
  NOT_READY: [409, 'This export is still being produced; try again in a moment.'],
  FAILED: [409, 'This export failed; request a new one.'],
  EXPIRED: [410, 'This download link has expired; request a new export.'],
};

export async function serveExportDownload(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const headers = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' };
  const reply = (status: number, message: string, extra: Record<string, string> = {}) =>
    response.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', ...extra }).end(`${message}\n`);
  if (request.method !== 'GET' && request.method !== 'HEAD') return void reply(405, 'Use GET.', { allow: 'GET, HEAD' });
  try {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const exportId = url.pathname.slice(EXPORTS_PATH.length);
    const found = await findDownload(exportId, url.searchParams.get('token') ?? '');
    if (!found.ok) return void reply(...FAILURES[found.reason]);
    const file = await exportFiles.open(found.export.id);
    if (!file) return void reply(...FAILURES.EXPIRED);
    const day = found.export.createdAt.toISOString().slice(0, 10);
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="contacts-${day}.csv"`,
      ...(found.export.byteSize !== null ? { 'content-length': String(found.export.byteSize) } : {}),
    });
    if (request.method === 'HEAD') {
      file.destroy();
      return void response.end();
    }
    await pipeline(file, response);
  } catch (error) {
    console.error('[exports] download failed:', (error as Error).message);
    if (!response.headersSent) reply(500, 'The download failed; try again.');
    else response.destroy();
  }
}
