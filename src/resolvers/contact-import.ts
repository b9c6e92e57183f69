import { prisma } from '../db/client.js';
import { importErrorReport, startContactImport } from '../domain/contacts/contact-import.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { pubSub } from '../events/bus.js';
import { builder } from '../schema/builder.js';
import { ContactImportType, ImportContactsInput } from '../schema/contact-import.js';
import { requireActor } from './actor.js';

builder.mutationField('importContacts', (t) =>
  t.prismaField({
    type: ContactImportType,
    description: 'Uploads a CSV of contacts (multipart request) and imports it in the background; follow it with contactImportProgress.',
    authScopes: { permission: 'contacts:write' },
    args: { input: t.arg({ type: ImportContactsInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError] },
    resolve: async (query, _root, { input }, context) => {
      const content = new Uint8Array(await input.file.arrayBuffer());
      const created = await startContactImport(requireActor(context), {
        fileName: input.file.name,
        content,
        listId: input.listId?.id ?? null,
        columns: input.columns ?? null,
      });
      return prisma.contactImport.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
);

builder.queryField('contactImports', (t) =>
  t.prismaConnection({
    type: ContactImportType,
    cursor: 'id',
    description: 'Imports of the account, newest first.',
    authScopes: { permission: 'contacts:read' },
    resolve: (query, _root, _args, context) =>
      prisma.contactImport.findMany({ ...query, where: { accountId: requireActor(context).accountId }, orderBy: { id: 'desc' } }),
  }),
);

builder.queryField('contactImportErrorReport', (t) =>
  t.string({
    description: 'The rows an import refused, as CSV (row, value, reason, message), safe to open in a spreadsheet.',
    authScopes: { permission: 'contacts:read' },
    args: { importId: t.arg.globalID({ required: true, for: [ContactImportType] }) },
    resolve: (_root, { importId }, context) => importErrorReport(requireActor(context).accountId, importId.id),
  }),
);

builder.subscriptionField('contactImportProgress', (t) =>
  t.prismaField({
    type: ContactImportType,
    description: 'Fires after each committed batch of an import of the account, and when it finishes.',
    authScopes: { permission: 'contacts:read' },
    subscribe: (_root, _args, context) => pubSub.subscribe('contactImportProgress', requireActor(context).accountId),
    resolve: (query, event) => prisma.contactImport.findUniqueOrThrow({ ...query, where: { id: event.importId } }),
  }),
);
