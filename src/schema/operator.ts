import { encodeGlobalID } from '@pothos/plugin-relay';
import { builder } from './builder.js';

export const UnroutedMessageType = builder.prismaObject('InboundMessage', {
  name: 'UnroutedMessage',
  description: 'A reply as it reached the platform, for platform operators: unrouted, or handed to an account by one of them.',
  fields: (t) => ({
    id: t.id({ description: 'Global id (`InboundMessage`).', resolve: (message) => encodeGlobalID('InboundMessage', String(message.id)) }),
    from: t.exposeString('fromNumber', { description: 'The sender as the carrier gave it (E.164 when it is a phone number).' }),
    to: t.exposeString('toNumber', { description: 'The platform number it was sent to (short code or virtual number).' }),
    text: t.exposeString('text'),
    parts: t.exposeInt('parts'),
    complete: t.exposeBoolean('complete', { description: 'False when some parts never arrived: `text` is what came.' }),
    connection: t.exposeString('connection', { description: 'The carrier connection it came through.' }),
    receivedAt: t.expose('receivedAt', { type: 'DateTime' }),
    routedAt: t.expose('routedAt', { type: 'DateTime', nullable: true, description: 'When an operator handed it to an account.' }),
    routedBy: t.string({ nullable: true, description: 'The e-mail of the operator who did.', select: { routedBy: { select: { email: true } } }, resolve: (message) => message.routedBy?.email ?? null }),
    accountId: t.id({
      nullable: true,
      description: 'The account it went to (global id), once routed.',
      resolve: (message) => (message.accountId ? encodeGlobalID('Account', message.accountId) : null),
    }),
    conversationId: t.id({
      nullable: true,
      description: 'The conversation it landed in (global id), once routed.',
      resolve: (message) => (message.conversationId ? encodeGlobalID('Conversation', message.conversationId) : null),
    }),
  }),
});
