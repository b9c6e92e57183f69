import { loadContactFields } from '../domain/contacts/contact-fields.js';
import type { SegmentCount } from '../domain/messaging/segments.js';
import { TEMPLATE_CATEGORIES, TEMPLATE_LANGUAGES, type LibraryTemplate } from '../domain/templates/library.js';
import { summariseTemplate } from '../domain/templates/templates.js';
import { prisma } from '../db/client.js';
import { builder } from './builder.js';
import { actorAccountId, type Context } from './context.js';
import { MessageTypeEnum, SmsEncodingEnum } from './message-preview.js';

/** The account's dynamic field names, read once per request however many templates are shown. */
const fieldNames = new WeakMap<Context, Promise<string[]>>();
function dynamicFieldsOf(context: Context): Promise<string[]> {
  let found = fieldNames.get(context);
  if (!found) {
    found = loadContactFields(prisma, actorAccountId(context)).then((fields) => fields.map((field) => field.name));
    fieldNames.set(context, found);
  }
  return found;
}

export const TemplateLengthType = builder.objectRef<SegmentCount>('TemplateLength').implement({
  description: 'What the text takes before personalisation, each placeholder at its default (empty without one); recipients\' values add to it.',
  fields: (t) => ({
    encoding: t.field({ type: SmsEncodingEnum, resolve: (count) => count.encoding }),
    characters: t.exposeInt('characters'),
    segments: t.exposeInt('segments', { description: 'Number of SMS.' }),
    remaining: t.exposeInt('remaining', { description: 'Characters (units) left in the last SMS.' }),
  }),
});

export const TemplateType = builder.prismaNode('Template', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  description: 'A saved text with placeholders, to use in campaigns.',
  fields: (t) => ({
    name: t.exposeString('name'),
    text: t.exposeString('body'),
    placeholders: t.stringList({
      description: 'Placeholders used, each once (`firstname`, `link`, dynamic field names).',
      select: { body: true },
      resolve: async (template, _args, context) => [...summariseTemplate(template.body, await dynamicFieldsOf(context)).placeholders],
    }),
    length: t.field({
      type: TemplateLengthType,
      select: { body: true },
      resolve: async (template, _args, context) => summariseTemplate(template.body, await dynamicFieldsOf(context)).length,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const TemplateLanguageEnum = builder.enumType('TemplateLanguage', { values: TEMPLATE_LANGUAGES });
export const TemplateCategoryEnum = builder.enumType('TemplateCategory', { values: TEMPLATE_CATEGORIES });

export const LibraryTemplateType = builder.objectRef<LibraryTemplate>('LibraryTemplate').implement({
  description: 'A built-in example template; copy it into the account with `createTemplate(input: { fromLibrary: id })`.',
  fields: (t) => ({
    id: t.exposeString('id', { description: 'Stable identifier, e.g. `fr-appointment-reminder`.' }),
    name: t.exposeString('name'),
    category: t.field({ type: TemplateCategoryEnum, resolve: (template) => template.category }),
    language: t.field({ type: TemplateLanguageEnum, resolve: (template) => template.language }),
    type: t.field({ type: MessageTypeEnum, resolve: (template) => template.type }),
    text: t.exposeString('text'),
    placeholders: t.stringList({ resolve: (template) => [...summariseTemplate(template.text, []).placeholders] }),
    length: t.field({ type: TemplateLengthType, resolve: (template) => summariseTemplate(template.text, []).length }),
  }),
});

export const CreateTemplateInput = builder.inputType('CreateTemplateInput', {
  description: 'Either `name` and `text`, or `fromLibrary` (whose name and text are used where `name` or `text` is not given).',
  fields: (t) => ({
    name: t.string({ description: 'Unique in the account (case-insensitive), at most 100 characters.' }),
    text: t.string({ description: 'Placeholders: {firstname}, {lastname}, {link}, {code} and the account\'s dynamic fields; `{name|default}`.' }),
    fromLibrary: t.string({ description: 'Id of a library template to copy.' }),
  }),
});

export const UpdateTemplateInput = builder.inputType('UpdateTemplateInput', {
  fields: (t) => ({
    id: t.globalID({ required: true, for: [TemplateType] }),
    name: t.string(),
    text: t.string(),
  }),
});
