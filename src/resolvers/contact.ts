import { encodeGlobalID } from '@pothos/plugin-relay';
import { prisma } from '../db/client.js';
import { loadContactFields, setContactFields } from '../domain/contacts/contact-fields.js';
import { createContact, searchContacts, deleteContact, updateContact } from '../domain/contacts/contacts.js';
import { DuplicateContactError, NotFoundError, ValidationError } from '../domain/errors.js';
import { builder } from '../schema/builder.js';
import { ContactFieldDefinitionType, ContactFieldsInput, ContactSearchInput, ContactType, CreateContactInput, UpdateContactInput } from '../schema/contact.js';
import { requireActor } from './actor.js';

builder.queryField('contacts', (t) =>
  t.prismaConnection({
    type: ContactType,
    cursor: 'id',
    description: 'Contacts of the account, newest first, filtered by the search criteria.',
    authScopes: { permission: 'contacts:read' },
    args: { search: t.arg({ type: ContactSearchInput }) },
    resolve: async (query, _root, { search }, context) => {
      const accountId = requireActor(context).accountId;
      return searchContacts(prisma, accountId, search && { ...search, listId: search.listId?.id ?? null }, query);
    },
  }),
);

builder.queryField('contactFields', (t) =>
  t.field({
    type: [ContactFieldDefinitionType],
    description: "The account's dynamic contact fields.",
    authScopes: { permission: 'contacts:read' },
    resolve: (_root, _args, context) => loadContactFields(prisma, requireActor(context).accountId),
  }),
);

builder.mutationField('setContactFields', (t) =>
  t.field({
    type: [ContactFieldDefinitionType],
    authScopes: { permission: 'contacts:write' },
    args: { input: t.arg({ type: ContactFieldsInput, required: true }) },
    errors: { types: [ValidationError] },
    resolve: (_root, { input }, context) => setContactFields(requireActor(context), input.names),
  }),
);

builder.mutationField('createContact', (t) =>
  t.prismaField({
    type: ContactType,
    authScopes: { permission: 'contacts:write' },
    args: { input: t.arg({ type: CreateContactInput, required: true }) },
    errors: { types: [ValidationError, DuplicateContactError, NotFoundError] },
    resolve: async (query, _root, { input }, context) => {
      const created = await createContact(requireActor(context), { ...input, listIds: input.listIds?.map((listId) => listId.id) ?? null });
      return prisma.contact.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
);

builder.mutationField('updateContact', (t) =>
  t.prismaField({
    type: ContactType,
    authScopes: { permission: 'contacts:write' },
    args: { input: t.arg({ type: UpdateContactInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError] },
    resolve: async (query, _root, { input }, context) => {
      const updated = await updateContact(requireActor(context), input.id.id, input);
      return prisma.contact.findUniqueOrThrow({ ...query, where: { id: updated.id } });
    },
  }),
);

builder.mutationField('deleteContact', (t) =>
  t.field({
    type: 'ID',
    description: 'Deletes a contact (and its list memberships); returns its id.',
    authScopes: { permission: 'contacts:write' },
    args: { id: t.arg.globalID({ required: true, for: [ContactType] }) },
    errors: { types: [NotFoundError] },
    resolve: async (_root, { id }, context) => {
      await deleteContact(requireActor(context), id.id);
      return encodeGlobalID('Contact', id.id);
    },
  }),
);
