import { prisma } from '../db/client.js';
import type { SendMessageResult } from '../domain/messages/send-message.js';
import { builder } from './builder.js';
import { actorAccountId } from './context.js';
import { MessagePreviewType } from './message-preview.js';

export const MessageKindEnum = builder.enumType('MessageKind', { values: ['MARKETING', 'TRANSACTIONAL'] as const });

/** The platform's own service messages are stored with the account's but never shown as its messages. */
export function customerKind(kind: 'MARKETING' | 'TRANSACTIONAL' | 'SERVICE'): 'MARKETING' | 'TRANSACTIONAL' {
  return kind === 'SERVICE' ? 'TRANSACTIONAL' : kind;
}

export const MessageStatusEnum = builder.enumType('MessageStatus', {
  description: 'Delivery status (acknowledgement of receipt). DELIVERED, NOT_ISSUED, EXPIRED, BLACKLISTED and CANCELLED are final.',
  values: {
    ON_HOLD: { description: 'Accepted by the platform, waiting (scheduled, throttled, outside the sending window).' },
    TRANSMITTED: { description: 'Handed to the carrier, no final receipt yet.' },
    DELIVERED: { description: 'Final receipt: delivered to the handset.' },
    NOT_ISSUED: { description: 'Final: rejected or undeliverable.' },
    EXPIRED: { description: 'Final: the carrier gave up, or no final receipt 48 h after submission.' },
    BLACKLISTED: { description: 'Final: not sent, the recipient opted out.' },
    CANCELLED: { description: 'Final: not sent because its campaign was cancelled first; never charged.' },
  } as const,
});

export const MessageType = builder.prismaNode('Message', {
  id: { field: 'id' },
  nullable: true,
  // The platform's own SERVICE messages are stored with the account but are not its messages.
  findUnique: (id, context) => ({ id: BigInt(id), accountId: actorAccountId(context), kind: { not: 'SERVICE' } }),
  description: 'One SMS to one number.',
  fields: (t) => ({
    kind: t.field({ type: MessageKindEnum, select: { kind: true }, resolve: (message) => customerKind(message.kind) }),
    status: t.expose('status', { type: MessageStatusEnum }),
    sender: t.exposeString('sender'),
    recipient: t.expose('recipient', { type: 'Phone' }),
    country: t.exposeString('country', { nullable: true }),
    text: t.exposeString('text', { description: 'As sent, after personalisation (with the opt-out mention when added).' }),
    segments: t.exposeInt('segments'),
    price: t.expose('price', { type: 'Decimal', description: 'Charged when handed to the carrier; never for a message that was not.' }),
    charged: t.exposeBoolean('charged'),
    sendAfter: t.expose('sendAfter', { type: 'DateTime' }),
    submittedAt: t.expose('submittedAt', { type: 'DateTime', nullable: true }),
    finalAt: t.expose('finalAt', { type: 'DateTime', nullable: true }),
    carrierStatus: t.exposeString('carrierStatus', { nullable: true, description: "The carrier's own word (DELIVRD, UNDELIV...)." }),
    errorCode: t.exposeString('errorCode', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const SendMessageInput = builder.inputType('SendMessageInput', {
  fields: (t) => ({
    to: t.stringList({ required: true, description: 'One or a few numbers (at most 100), national or international format.' }),
    text: t.string({ required: true }),
    sender: t.string({ required: true, description: 'Alphanumeric sender id (3-11) or one of the account numbers.' }),
    type: t.field({ type: MessageKindEnum, description: 'TRANSACTIONAL (default) goes out 24/7 ahead of campaigns.' }),
    defaultCountry: t.string({ description: "Country for national-format numbers; default: the account's." }),
    smartEncoding: t.boolean(),
    strictTiming: t.boolean({ description: 'Marketing only: refuse instead of holding until the sending window opens.' }),
    idempotencyKey: t.string({ description: 'The same key with the same input returns the first result (kept 24 h).' }),
    twoWay: t.boolean({
      description:
        'Recipients may answer (issue 7): needs a short code or virtual number as sender, adds the two-way surcharge; replies open a conversation.',
    }),
    simulation: t.boolean({
      description: 'Check and price everything as a send would (the balance too) and return the preview; nothing is reserved, written or sent. The idempotency key is not used.',
    }),
  }),
});

export const SendMessagePayload = builder.objectRef<SendMessageResult>('SendMessagePayload').implement({
  fields: (t) => ({
    simulated: t.exposeBoolean('simulated', { description: 'True for a simulation: nothing was reserved, written or sent (no messages).' }),
    preview: t.field({
      type: MessagePreviewType,
      nullable: true,
      description: 'For a simulation: the messages as they would go (per number: text, segments, cost, sending time).',
      resolve: (result) => result.preview,
    }),
    messages: t.prismaField({
      type: [MessageType],
      resolve: async (query, payload) => {
        const ids = payload.messageIds.map((id) => BigInt(id));
        const rows = await prisma.message.findMany({ ...query, where: { id: { in: ids } } });
        return ids.flatMap((id) => rows.filter((row) => row.id === id));
      },
    }),
    reserved: t.expose('reserved', { type: 'Decimal', description: 'Held now (for a simulation: what would be); charged as each message is handed to the carrier.' }),
  }),
});
