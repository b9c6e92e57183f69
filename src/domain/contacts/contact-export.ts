/**
 * CSV export of a contact list or of a contact search (SPEC section 12), produced by a
 * background job and downloaded by an expiring link (src/domain/exports/data-exports.ts).
 *
 * `requestContactExport` checks the criteria, uses one of the plan's monthly data exports and
 * queues the job in the same transaction. `runContactExport` (the job) walks the contacts in id
 * order by keyset pages of EXPORT_BATCH_ROWS, so memory stays flat whatever the size, and streams
 * the rows through csv-stringify into the export store. Every text cell goes through
 * `spreadsheetSafe`, so a name such as `=HYPERLINK(...)` is shown, never run, by a spreadsheet.
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { prisma } from '../../db/client.js';
import type { DataExport, Prisma } from '../../generated/prisma/client.js';
import { publishEvent } from '../../events/bus.js';
import { exportFiles } from '../../gateways/export-files.js';
import { enqueue } from '../../jobs/boss.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { DomainError, NotFoundError, ValidationError } from '../errors.js';
import { downloadWindowEnd, newDownloadToken } from '../exports/data-exports.js';
import { consumeMonthlyAllowance } from '../plans.js';
import { blacklistedAmong } from './blacklist.js';
import { columnOf, loadContactFields } from './contact-fields.js';
import { contactSearchWhere, type ContactSearch } from './contacts.js';
import { spreadsheetSafe } from './csv.js';

export const EXPORT_BATCH_ROWS = 5000;

/** The criteria of an export: a list, search criteria, or both (combined with AND); none exports every contact. */
export interface ContactExportCriteria {
  listId?: string | null;
  search?: ContactSearch | null;
}

function searchOf(criteria: ContactExportCriteria): ContactSearch {
  return { ...(criteria.search ?? {}), listId: criteria.listId ?? criteria.search?.listId ?? null };
}

/**
 * Starts an export; returns it with the download token, which is shown only now (stored hashed).
 * The link works once the export is READY.
 */
export async function requestContactExport(actor: Actor, criteria: ContactExportCriteria): Promise<{ export: DataExport; token: string }> {
  requirePermission(actor, 'contacts:read');
  requirePermission(actor, 'exports:create');
  const accountId = actor.accountId;
  const searchListId = criteria.search?.listId ?? null;
  if (criteria.listId && searchListId && searchListId !== criteria.listId) {
    throw ValidationError.single('search.listId', 'Give the list once: listId and search.listId name different lists.');
  }
  criteria = { listId: criteria.listId ?? searchListId, search: criteria.search ? { ...criteria.search, listId: null } : null };
  if (criteria.listId) {
    const list = await prisma.contactList.findFirst({ where: { id: criteria.listId, accountId }, select: { id: true } });
    if (!list) throw new NotFoundError('Contact list');
  }
  // Refuses bad criteria (unknown field, malformed prefix) before using up an export.
  await contactSearchWhere(prisma, accountId, searchOf(criteria));
  const stored: ContactExportCriteria = { listId: criteria.listId ?? null, search: criteria.search ?? null };
  const { token, tokenHash } = newDownloadToken();
  const created = await prisma.$transaction(async (tx) => {
    await consumeMonthlyAllowance(tx, accountId, 'monthlyDataExports');
    const row = await tx.dataExport.create({
      data: { accountId, createdById: actor.userId, kind: 'CONTACTS', criteria: stored as Prisma.InputJsonValue, tokenHash },
    });
    // In the transaction: no export without its job, no job for an export that was rolled back.
    await enqueue('export-contacts', { exportId: row.id }, {
      db: { executeSql: async (text: string, values?: unknown[]) => ({ rows: await tx.$queryRawUnsafe<unknown[]>(text, ...(values ?? [])) }) },
    });
    return row;
  });
  return { export: created, token };
}

const CONTACT_SELECT = {
  id: true,
  number: true,
  firstName: true,
  lastName: true,
  field1: true,
  field2: true,
  field3: true,
  field4: true,
  field5: true,
  createdAt: true,
  tags: { select: { tag: true }, orderBy: { tag: 'asc' } },
} satisfies Prisma.ContactSelect;

/**
 * The rows of the file, header first, read page by page (keyset on id); `onPage` is told the
 * running total after each page.
 */
async function* contactExportRows(accountId: string, criteria: ContactExportCriteria, onPage: (rows: number) => Promise<void>): AsyncGenerator<string[]> {
  const definitions = await loadContactFields(prisma, accountId);
  yield ['number', 'first_name', 'last_name', ...definitions.map((definition) => definition.name), 'tags', 'blacklisted', 'created_at'].map(spreadsheetSafe);
  const where = await contactSearchWhere(prisma, accountId, searchOf(criteria));
  let after: string | null = null;
  let total = 0;
  for (;;) {
    const page: Prisma.ContactGetPayload<{ select: typeof CONTACT_SELECT }>[] = await prisma.contact.findMany({
      where: after === null ? where : { AND: [where, { id: { gt: after } }] },
      orderBy: { id: 'asc' },
      take: EXPORT_BATCH_ROWS,
      select: CONTACT_SELECT,
    });
    if (page.length === 0) break;
    const blacklisted = await blacklistedAmong(accountId, page.map((contact) => contact.number));
    for (const contact of page) {
      yield [
        contact.number,
        contact.firstName ?? '',
        contact.lastName ?? '',
        ...definitions.map((definition) => contact[columnOf(definition.position)] ?? ''),
        contact.tags.map((tag) => tag.tag).join(', '),
        blacklisted.has(contact.number) ? 'yes' : 'no',
        contact.createdAt.toISOString(),
      ].map(spreadsheetSafe);
    }
    total += page.length;
    after = page[page.length - 1]!.id;
    await onPage(total);
    if (page.length < EXPORT_BATCH_ROWS) break;
  }
}

export type RunExportResult = 'READY' | 'FAILED' | 'ALREADY_DONE';

/** The job: safe to run twice (a re-run writes the whole file again and replaces it). */
export async function runContactExport(exportId: string): Promise<RunExportResult> {
  const job = await prisma.dataExport.findUnique({ where: { id: exportId } });
  if (!job || job.status === 'READY' || job.status === 'EXPIRED') return 'ALREADY_DONE';
  const accountId = job.accountId;
  const criteria = job.criteria as ContactExportCriteria;
  const progress = () => publishEvent('dataExportUpdated', accountId, { accountId, exportId });
  if (criteria.listId && !(await prisma.contactList.findFirst({ where: { id: criteria.listId, accountId }, select: { id: true } }))) {
    await failExport(job, 'The list was deleted before the export ran.');
    return 'FAILED';
  }
  await prisma.dataExport.update({ where: { id: exportId }, data: { status: 'RUNNING', startedAt: new Date(), rowCount: 0, failure: null } });
  progress();
  let rowCount = 0;
  try {
    const rows = contactExportRows(accountId, criteria, async (total) => {
      rowCount = total;
      await prisma.dataExport.update({ where: { id: exportId }, data: { rowCount } });
      progress();
    });
    // A BOM so that Excel reads the file as UTF-8 (accents, non-Latin names).
    const byteSize = await exportFiles.save(exportId, Readable.from(rows).pipe(stringify({ bom: true, eof: true })));
    const readyAt = new Date();
    await prisma.dataExport.update({
      where: { id: exportId },
      data: { status: 'READY', rowCount, byteSize: BigInt(byteSize), finishedAt: readyAt, expiresAt: downloadWindowEnd(readyAt) },
    });
    progress();
    return 'READY';
  } catch (error) {
    if (error instanceof DomainError) {
      // The criteria stopped making sense (e.g. a searched field was removed): retrying won't help.
      await failExport(job, error.message);
      return 'FAILED';
    }
    await prisma.dataExport
      .update({ where: { id: exportId }, data: { status: 'FAILED', failure: 'The export stopped unexpectedly; it is retried automatically.' } })
      .catch(() => undefined);
    progress();
    throw error;
  }
}

async function failExport(job: DataExport, failure: string): Promise<void> {
  await prisma.dataExport.update({ where: { id: job.id }, data: { status: 'FAILED', failure, finishedAt: new Date() } });
  publishEvent('dataExportUpdated', job.accountId, { accountId: job.accountId, exportId: job.id });
}
