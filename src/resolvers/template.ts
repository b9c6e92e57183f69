import { encodeGlobalID } from '@pothos/plugin-relay';
import { prisma } from '../db/client.js';
import { NotFoundError, PlanLimitError, ValidationError } from '../domain/errors.js';
import { findLibraryTemplates } from '../domain/templates/library.js';
import { createTemplate, deleteTemplate, updateTemplate } from '../domain/templates/templates.js';
import { builder } from '../schema/builder.js';
import { CreateTemplateInput, LibraryTemplateType, TemplateCategoryEnum, TemplateLanguageEnum, TemplateType, UpdateTemplateInput } from '../schema/template.js';
import { requireActor } from './actor.js';

builder.queryField('templates', (t) =>
  t.prismaConnection({
    type: TemplateType,
    cursor: 'id',
    description: 'Templates of the account, newest first.',
    authScopes: { permission: 'campaigns:read' },
    args: { search: t.arg.string({ description: 'Text found in the name (case-insensitive).' }) },
    resolve: (query, _root, { search }, context) =>
      prisma.template.findMany({
        ...query,
        where: { accountId: requireActor(context).accountId, ...(search?.trim() ? { name: { contains: search.trim(), mode: 'insensitive' } } : {}) },
        orderBy: { id: 'desc' },
      }),
  }),
);

builder.queryField('templateLibrary', (t) =>
  t.field({
    type: [LibraryTemplateType],
    description: 'Built-in example templates, in French and English.',
    authScopes: { permission: 'campaigns:read' },
    args: { language: t.arg({ type: TemplateLanguageEnum }), category: t.arg({ type: TemplateCategoryEnum }) },
    resolve: (_root, args) => findLibraryTemplates(args),
  }),
);

builder.mutationField('createTemplate', (t) =>
  t.prismaField({
    type: TemplateType,
    authScopes: { permission: 'campaigns:write' },
    args: { input: t.arg({ type: CreateTemplateInput, required: true }) },
    errors: { types: [ValidationError, PlanLimitError] },
    resolve: async (query, _root, { input }, context) => {
      const created = await createTemplate(requireActor(context), input);
      return prisma.template.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
);

builder.mutationField('updateTemplate', (t) =>
  t.prismaField({
    type: TemplateType,
    authScopes: { permission: 'campaigns:write' },
    args: { input: t.arg({ type: UpdateTemplateInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError] },
    resolve: async (query, _root, { input }, context) => {
      const updated = await updateTemplate(requireActor(context), input.id.id, input);
      return prisma.template.findUniqueOrThrow({ ...query, where: { id: updated.id } });
    },
  }),
);

builder.mutationField('deleteTemplate', (t) =>
  t.field({
    type: 'ID',
    description: 'Deletes a template; returns its id.',
    authScopes: { permission: 'campaigns:write' },
    args: { id: t.arg.globalID({ required: true, for: [TemplateType] }) },
    errors: { types: [NotFoundError] },
    resolve: async (_root, { id }, context) => {
      await deleteTemplate(requireActor(context), id.id);
      return encodeGlobalID('Template', id.id);
    },
  }),
);
