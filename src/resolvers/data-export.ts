import { prisma } from '../db/client.js';
import { requestContactExport } from '../domain/contacts/contact-export.js';
import { NotFoundError, PlanLimitError, ValidationError } from '../domain/errors.js';
import { renewDownloadLink } from '../domain/exports/data-exports.js';
import { pubSub } from '../events/bus.js';
import { exportDownloadUrl } from '../http/exports.js';
import { builder } from '../schema/builder.js';
import { DataExportLinkType, DataExportType, ExportContactsInput } from '../schema/data-export.js';
import { requireActor } from './actor.js';

builder.mutationField('exportContacts', (t) =>
  t.field({
    type: DataExportLinkType,
    description: "Exports contacts as CSV in the background (one of the plan's monthly data exports); follow it with `dataExport` or `dataExportUpdated`.",
    authScopes: { $all: { permission: 'contacts:read', $all: { permission: 'exports:create' } } },
    args: { input: t.arg({ type: ExportContactsInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, PlanLimitError] },
    resolve: async (_root, { input }, context) => {
      const started = await requestContactExport(requireActor(context), {
        listId: input.listId?.id ?? null,
        search: input.search ? { ...input.search, listId: input.search.listId?.id ?? null } : null,
      });
      return { export: started.export, downloadUrl: exportDownloadUrl(started.export.id, started.token) };
    },
  }),
);

builder.mutationField('renewExportDownloadLink', (t) =>
  t.field({
    type: DataExportLinkType,
    description: 'A new link for an export (the previous one stops working); the download window does not move.',
    authScopes: { permission: 'exports:create' },
    args: { id: t.arg.globalID({ required: true, for: [DataExportType] }) },
    errors: { types: [NotFoundError] },
    resolve: async (_root, { id }, context) => {
      const renewed = await renewDownloadLink(requireActor(context), id.id);
      return { export: renewed.export, downloadUrl: exportDownloadUrl(renewed.export.id, renewed.token) };
    },
  }),
);

builder.queryField('dataExport', (t) =>
  t.prismaField({
    type: DataExportType,
    nullable: true,
    description: 'One export of the account, to follow its status.',
    authScopes: { permission: 'exports:create' },
    args: { id: t.arg.globalID({ required: true, for: [DataExportType] }) },
    resolve: (query, _root, { id }, context) => prisma.dataExport.findFirst({ ...query, where: { id: id.id, accountId: requireActor(context).accountId } }),
  }),
);

builder.queryField('dataExports', (t) =>
  t.prismaConnection({
    type: DataExportType,
    cursor: 'id',
    description: 'Exports of the account, newest first.',
    authScopes: { permission: 'exports:create' },
    resolve: (query, _root, _args, context) =>
      prisma.dataExport.findMany({ ...query, where: { accountId: requireActor(context).accountId }, orderBy: { id: 'desc' } }),
  }),
);

builder.subscriptionField('dataExportUpdated', (t) =>
  t.prismaField({
    type: DataExportType,
    description: 'Fires when an export of the account starts, writes a page of rows, becomes READY or fails.',
    authScopes: { permission: 'exports:create' },
    subscribe: (_root, _args, context) => pubSub.subscribe('dataExportUpdated', requireActor(context).accountId),
    resolve: (query, event) => prisma.dataExport.findUniqueOrThrow({ ...query, where: { id: event.exportId } }),
  }),
);
