import type { DataExport } from '../generated/prisma/client.js';
import { builder } from './builder.js';
import { ContactSearchInput, ContactListType } from './contact.js';
import { actorAccountId } from './context.js';

export const DataExportStatusEnum = builder.enumType('DataExportStatus', {
  values: {
    PENDING: { description: 'Waiting for a worker.' },
    RUNNING: { description: '`rowCount` grows as pages of rows are written.' },
    READY: { description: 'The file can be downloaded by its link until `expiresAt`.' },
    FAILED: { description: 'See `failure`. An unexpected stop is retried automatically.' },
    EXPIRED: { description: 'The download window ended; the file is deleted.' },
  } as const,
});

export const DataExportKindEnum = builder.enumType('DataExportKind', { values: ['CONTACTS'] as const });

export const DataExportType = builder.prismaNode('DataExport', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  description: 'A CSV export produced in the background; one of the plan\'s monthly data exports.',
  fields: (t) => ({
    kind: t.expose('kind', { type: DataExportKindEnum }),
    status: t.expose('status', { type: DataExportStatusEnum }),
    rowCount: t.exposeInt('rowCount', { description: 'Rows written (header excluded); final when READY.' }),
    byteSize: t.int({ nullable: true, select: { byteSize: true }, resolve: (row) => (row.byteSize === null ? null : Number(row.byteSize)) }),
    failure: t.exposeString('failure', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'End of the download window, set when READY.' }),
  }),
});

/** An export with its download link; the link's secret is shown only in this answer. */
export const DataExportLinkType = builder.objectRef<{ export: DataExport; downloadUrl: string }>('DataExportLink').implement({
  description:
    'The download link carries a secret stored only hashed: it is shown once, here. It answers 409 until the export is READY, then the CSV until `expiresAt`, then 410. Lost it? `renewExportDownloadLink`.',
  fields: (t) => ({
    export: t.field({ type: DataExportType, resolve: (link) => link.export }),
    downloadUrl: t.exposeString('downloadUrl'),
  }),
});

export const ExportContactsInput = builder.inputType('ExportContactsInput', {
  description: 'What to export: a list, search criteria, or both (AND); neither exports every contact.',
  fields: (t) => ({
    listId: t.globalID({ for: [ContactListType] }),
    search: t.field({ type: ContactSearchInput }),
  }),
});
