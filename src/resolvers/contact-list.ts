import { encodeGlobalID } from '@pothos/plugin-relay';
import { prisma } from '../db/client.js';
import { addContactsToList, createContactList, deleteContactList, removeContactsFromList, updateContactList } from '../domain/contacts/contact-lists.js';
import { NotFoundError, PlanLimitError, ValidationError } from '../domain/errors.js';
import { builder } from '../schema/builder.js';
import { ContactListInput, ContactListType, ListContactsInput, ListMembershipPayload, UpdateContactListInput } from '../schema/contact.js';
import { requireActor } from './actor.js';

builder.queryField('contactLists', (t) =>
  t.prismaConnection({
    type: ContactListType,
    cursor: 'id',
    description: 'Contact lists of the account, oldest first.',
    authScopes: { permission: 'contacts:read' },
    resolve: (query, _root, _args, context) =>
      prisma.contactList.findMany({ ...query, where: { accountId: requireActor(context).accountId }, orderBy: { id: 'asc' } }),
  }),
);

builder.mutationField('createContactList', (t) =>
  t.prismaField({
    type: ContactListType,
    authScopes: { permission: 'contacts:write' },
    args: { input: t.arg({ type: ContactListInput, required: true }) },
    errors: { types: [ValidationError, PlanLimitError] },
    resolve: (_query, _root, { input }, context) => createContactList(requireActor(context), input),
  }),
);

builder.mutationField('updateContactList', (t) =>
  t.prismaField({
    type: ContactListType,
    authScopes: { permission: 'contacts:write' },
    args: { input: t.arg({ type: UpdateContactListInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError] },
    resolve: (_query, _root, { input }, context) => updateContactList(requireActor(context), input.id.id, input),
  }),
);

builder.mutationField('addContactsToList', (t) =>
  t.field({
    type: ListMembershipPayload,
    authScopes: { permission: 'contacts:write' },
    args: { input: t.arg({ type: ListContactsInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError] },
    resolve: async (_root, { input }, context) => {
      const { list, added } = await addContactsToList(requireActor(context), input.listId.id, input.contactIds.map((id) => id.id));
      return { list, count: added };
    },
  }),
);

builder.mutationField('removeContactsFromList', (t) =>
  t.field({
    type: ListMembershipPayload,
    authScopes: { permission: 'contacts:write' },
    args: { input: t.arg({ type: ListContactsInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError] },
    resolve: async (_root, { input }, context) => {
      const { list, removed } = await removeContactsFromList(requireActor(context), input.listId.id, input.contactIds.map((id) => id.id));
      return { list, count: removed };
    },
  }),
);

builder.mutationField('deleteContactList', (t) =>
  t.field({
    type: 'ID',
    description: "Deletes a list; its contacts stay in the account's global list.",
    authScopes: { permission: 'contacts:write' },
    args: { id: t.arg.globalID({ required: true, for: [ContactListType] }) },
    errors: { types: [NotFoundError] },
    resolve: async (_root, { id }, context) => encodeGlobalID('ContactList', await deleteContactList(requireActor(context), id.id)),
  }),
);
