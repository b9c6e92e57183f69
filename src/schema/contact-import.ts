import { GraphQLError } from 'graphql';
import { builder } from './builder.js';
import { ContactListType } from './contact.js';
import { actorAccountId } from './context.js';

builder.scalarType('File', {
  description: 'A file sent with the GraphQL multipart request spec. Input only.',
  serialize: () => {
    throw new GraphQLError('File is an input-only scalar');
  },
  parseValue: (value) => {
    if (typeof value !== 'object' || value === null || typeof (value as File).arrayBuffer !== 'function') {
      throw new GraphQLError('File must be uploaded as a multipart request part');
    }
    return value as File;
  },
});

export const ContactImportStatusEnum = builder.enumType('ContactImportStatus', {
  values: {
    PENDING: { description: 'Waiting for a worker.' },
    RUNNING: {},
    COMPLETED: {},
    FAILED: { description: 'Stopped: see `failure`. Committed batches stay imported; an unexpected stop resumes automatically.' },
  } as const,
});

export const ImportTargetEnum = builder.enumType('ImportTarget', {
  values: ['NUMBER', 'FIRST_NAME', 'LAST_NAME', 'FIELD', 'TAGS', 'IGNORE'] as const,
});

export const ImportColumnInput = builder.inputType('ImportColumnInput', {
  fields: (t) => ({
    column: t.string({ required: true, description: 'Header text of the column.' }),
    target: t.field({ type: ImportTargetEnum, required: true }),
    fieldName: t.string({ description: 'For FIELD: the dynamic field (created if the account has fewer than 5); defaults to the header.' }),
  }),
});

export const ImportContactsInput = builder.inputType('ImportContactsInput', {
  fields: (t) => ({
    file: t.field({ type: 'File', required: true, description: 'CSV in UTF-8 (with or without BOM) or Latin-1; `,` `;` tab or `|` separated; first line is the header.' }),
    listId: t.globalID({ for: [ContactListType], description: 'List the contacts are added to; its default prefix applies to national numbers.' }),
    columns: t.field({
      type: [ImportColumnInput],
      description: 'Column mapping; without it, columns named phone/number/mobile, first name, last name, tags and existing field names are used.',
    }),
  }),
});

export const ContactImportType = builder.prismaNode('ContactImport', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  fields: (t) => ({
    status: t.expose('status', { type: ContactImportStatusEnum }),
    fileName: t.exposeString('fileName'),
    encoding: t.exposeString('encoding', { description: 'Encoding detected: `UTF-8`, `UTF-8 with BOM` or `ISO-8859-1` (Latin-1).' }),
    delimiter: t.exposeString('delimiter'),
    list: t.relation('list', { nullable: true }),
    processedRows: t.exposeInt('committedRows', { description: 'Data rows (header excluded) whose batch is committed.' }),
    totalRows: t.exposeInt('totalRows', { nullable: true, description: 'Data rows of the file, known when completed.' }),
    created: t.exposeInt('created', { description: 'New contacts.' }),
    updated: t.exposeInt('updated', { description: 'Existing contacts whose names or fields changed.' }),
    addedToList: t.exposeInt('addedToList'),
    duplicatesInFile: t.exposeInt('duplicatesInFile', { description: 'Rows whose number appeared earlier in the file (skipped).' }),
    errorRows: t.exposeInt('errorRows', { description: 'Rows refused; see errorReportCsv.' }),
    failure: t.exposeString('failure', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});
