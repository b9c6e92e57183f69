import { ValidationError } from '../domain/errors.js';
import { previewMessageForAccount } from '../domain/messaging/preview-for-account.js';
import { builder } from '../schema/builder.js';
import { MessagePreviewInput, MessagePreviewType } from '../schema/message-preview.js';
import { requireActor } from './actor.js';

builder.queryField('messagePreview', (t) =>
  t.field({
    type: MessagePreviewType,
    description:
      'What a message would be before sending it: encoding, segments, cost and sending time per number, and every problem. Nothing is stored, sent or charged.',
    authScopes: { permission: 'messages:send' },
    args: { input: t.arg({ type: MessagePreviewInput, required: true }) },
    errors: { types: [ValidationError] },
    resolve: (_root, { input }, context) => previewMessageForAccount(requireActor(context), input, new Date()),
  }),
);
