import { encodeGlobalID } from '@pothos/plugin-relay';
import { prisma } from '../db/client.js';
import { CampaignStateError } from '../domain/campaigns/campaign-errors.js';
import type { CampaignPreview } from '../domain/campaigns/campaign-preview.js';
import { campaignProgressOf, progressEvent } from '../domain/campaigns/campaign-progress.js';
import { localScheduledTime } from '../domain/campaigns/campaigns.js';
import type { CountryFigures, InvalidRecipient } from '../domain/campaigns/preview-tally.js';
import type { SentCampaign } from '../domain/campaigns/send-campaign.js';
import { formatEuros, type Micros } from '../domain/messaging/prices.js';
import type { EventPayloads } from '../events/channels.js';
import { builder } from './builder.js';
import { ContactListType, ContactType } from './contact.js';
import { actorAccountId } from './context.js';
import { ErrorInterface } from './errors.js';
import { MessageStatusEnum } from './message.js';
import { MessageSenderType, MessageTypeEnum, PreviewProblemType, SmsEncodingEnum } from './message-preview.js';
import { TemplateType } from './template.js';

const euros = (micros: Micros): string => formatEuros(micros, { trim: true, minDecimals: 0 });

export const CampaignStatusEnum = builder.enumType('CampaignStatus', {
  description: 'Life cycle: DRAFT -> SCHEDULED (send time ahead) or SENDING -> COMPLETED; SCHEDULED or SENDING -> CANCELLED.',
  values: {
    DRAFT: { description: 'Being prepared: can be changed, previewed, sent or deleted.' },
    SCHEDULED: { description: 'Sent with a schedule ahead: its cost is reserved and its messages wait for their time.' },
    SENDING: { description: 'Its messages are going out at the carrier\'s pace (marketing ones within their sending window).' },
    COMPLETED: { description: 'Every message was handed to the carrier or refused; receipts may still arrive.' },
    CANCELLED: { description: 'Stopped: the messages not yet handed to the carrier were cancelled and not charged.' },
  } as const,
});

builder.objectType(CampaignStateError, {
  name: 'CampaignStateError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    status: t.field({ type: CampaignStatusEnum, description: 'The campaign\'s status now.', resolve: (error) => error.status }),
    allowed: t.field({ type: [CampaignStatusEnum], description: 'Statuses in which the action is allowed.', resolve: (error) => [...error.allowed] }),
  }),
});

export const CampaignProgressType = builder.objectRef<EventPayloads['campaignProgress']>('CampaignProgress').implement({
  description: 'The campaign\'s messages counted by delivery status, and what was charged.',
  fields: (t) => ({
    campaignId: t.id({ resolve: (progress) => encodeGlobalID('Campaign', progress.campaignId) }),
    status: t.field({ type: CampaignStatusEnum, resolve: (progress) => progress.status }),
    onHold: t.exposeInt('onHold', { description: 'Waiting: scheduled, outside the sending window, or queued for the carrier.' }),
    transmitted: t.exposeInt('transmitted', { description: 'Handed to the carrier, no final receipt yet.' }),
    delivered: t.exposeInt('delivered'),
    notIssued: t.exposeInt('notIssued', { description: 'Rejected or undeliverable (charged only when it had reached the carrier).' }),
    expired: t.exposeInt('expired'),
    blacklisted: t.exposeInt('blacklisted', { description: 'Not sent: the number opted out (marketing). Never charged.' }),
    cancelled: t.exposeInt('cancelled', { description: 'Not sent: the campaign was cancelled first. Never charged.' }),
    total: t.exposeInt('total', { description: 'Message rows written so far (all of them once the campaign is sending for a while).' }),
    charged: t.field({ type: 'Decimal', description: 'Euros charged so far (messages handed to the carrier).', resolve: (progress) => progress.charged }),
    final: t.exposeBoolean('final', { description: 'Completed or cancelled, every message has its final status and the hold is closed (charges settled, the rest given back): nothing will change any more.' }),
  }),
});

const CampaignRecipientsType = builder
  .objectRef<{ accountId: string; listIds: string[]; tags: string[]; contactIds: string[]; numbers: string[]; defaultCountry: string | null }>('CampaignRecipients')
  .implement({
    description: 'Who the campaign goes to; a number selected several ways receives it once.',
    fields: (t) => ({
      lists: t.prismaField({
        type: [ContactListType],
        resolve: (query, recipients) => prisma.contactList.findMany({ ...query, where: { id: { in: recipients.listIds }, accountId: recipients.accountId }, orderBy: { name: 'asc' } }),
      }),
      tags: t.exposeStringList('tags', { description: 'Contacts with any of these tags.' }),
      contacts: t.prismaField({
        type: [ContactType],
        description: 'Contacts picked one by one.',
        resolve: (query, recipients) => prisma.contact.findMany({ ...query, where: { id: { in: recipients.contactIds }, accountId: recipients.accountId }, orderBy: { number: 'asc' } }),
      }),
      numbers: t.exposeStringList('numbers', { description: 'Pasted numbers, as pasted.' }),
      defaultCountry: t.exposeString('defaultCountry', { nullable: true, description: 'Country of pasted numbers in national format; null: the account\'s.' }),
    }),
  });

export const CampaignType = builder.prismaNode('Campaign', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, context) => ({ id, accountId: actorAccountId(context) }),
  description: 'A message sent to many recipients (lists, tags, contacts, pasted numbers), now or at a scheduled time.',
  fields: (t) => ({
    name: t.exposeString('name'),
    type: t.field({ type: MessageTypeEnum, select: { kind: true }, resolve: (campaign) => (campaign.kind === 'MARKETING' ? 'MARKETING' : 'TRANSACTIONAL') }),
    sender: t.exposeString('sender'),
    text: t.exposeString('text', { description: 'With placeholders; each recipient gets it personalised (marketing to France with the opt-out mention).' }),
    template: t.field({
      type: TemplateType,
      nullable: true,
      description: 'The template the text was copied from, if it still exists.',
      select: { templateId: true, accountId: true },
      resolve: (campaign) => (campaign.templateId ? prisma.template.findFirst({ where: { id: campaign.templateId, accountId: campaign.accountId } }) : null),
    }),
    smartEncoding: t.exposeBoolean('smartEncoding'),
    strictTiming: t.exposeBoolean('strictTiming', { description: 'Marketing: the send is refused when messages would wait for a sending window.' }),
    twoWay: t.exposeBoolean('twoWay', { description: 'Recipients may answer; each message carries the two-way surcharge.' }),
    recipients: t.field({
      type: CampaignRecipientsType,
      select: { accountId: true, listIds: true, tags: true, contactIds: true, numbers: true, defaultCountry: true },
      resolve: (campaign) => campaign,
    }),
    scheduledAt: t.expose('scheduledAt', { type: 'DateTime', nullable: true, description: 'When to send; null: when sent.' }),
    timeZone: t.exposeString('timeZone', { description: 'IANA zone the schedule is shown in.' }),
    scheduledLocalTime: t.string({
      nullable: true,
      description: 'The schedule as a wall-clock time in `timeZone`, e.g. `2026-12-01T09:30:00`.',
      select: { scheduledAt: true, timeZone: true },
      resolve: (campaign) => localScheduledTime(campaign.scheduledAt, campaign.timeZone),
    }),
    status: t.expose('status', { type: CampaignStatusEnum }),
    recipientCount: t.exposeInt('recipientCount', { description: 'Recipients when sent (after de-duplication, blacklist and validation); 0 for a draft.' }),
    estimatedCost: t.expose('estimatedCost', { type: 'Decimal', description: 'Euros reserved when sent; 0 for a draft.' }),
    sentAt: t.expose('sentAt', { type: 'DateTime', nullable: true }),
    messagesWrittenAt: t.expose('materializedAt', { type: 'DateTime', nullable: true, description: 'When every message of the campaign existed (written in chunks after the send), or when a cancel stopped the writing: recipients not written by then get no message.' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    cancelledAt: t.expose('cancelledAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    progress: t.field({
      type: CampaignProgressType,
      description: 'Messages by delivery status, counted now.',
      select: { id: true },
      resolve: async (campaign) => progressEvent((await campaignProgressOf([campaign.id])).get(campaign.id)!),
    }),
    messages: t.relatedConnection('messages', {
      cursor: 'id',
      description: 'The campaign\'s messages, in the order they were written (by number).',
      args: { status: t.arg({ type: MessageStatusEnum }) },
      query: (args) => ({ where: args.status ? { status: args.status } : {}, orderBy: { id: 'asc' } }),
    }),
  }),
});

export const CampaignRecipientsInput = builder.inputType('CampaignRecipientsInput', {
  description: 'Who the campaign goes to; at least one list, tag, contact or number. A number selected several ways receives the campaign once.',
  fields: (t) => ({
    listIds: t.globalIDList({ for: [ContactListType], description: 'Every contact of these lists (at most 50).' }),
    tags: t.stringList({ description: 'Every contact with any of these tags (exact tags, at most 50).' }),
    contactIds: t.globalIDList({ for: [ContactType], description: 'Contacts picked one by one (at most 10,000).' }),
    numbers: t.stringList({ description: 'Numbers pasted, national or international format (at most 100,000); invalid ones are listed by the preview and skipped.' }),
    defaultCountry: t.string({ description: "ISO 3166 alpha-2 country of pasted numbers in national format; default: the account's." }),
  }),
});

export const CreateCampaignInput = builder.inputType('CreateCampaignInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'At most 100 characters.' }),
    type: t.field({ type: MessageTypeEnum, required: true }),
    sender: t.string({ required: true, description: "Alphanumeric sender id (3-11), or one of the account's short codes or virtual numbers." }),
    text: t.string({
      description: "The message: `{firstname}`, `{lastname}` and the account's dynamic fields personalise it (`{firstname|Client}` gives a default). Give `text` or `templateId`.",
    }),
    templateId: t.globalID({ for: [TemplateType], description: "Copy this template's text." }),
    smartEncoding: t.boolean({ description: 'Replace look-alike characters by GSM ones when that keeps the message in GSM-7.' }),
    strictTiming: t.boolean({
      description: "Marketing: refuse to send (a preview problem) when a country's messages would wait for its sending window, rather than hold them until it opens.",
    }),
    twoWay: t.boolean({
      description:
        "Recipients may answer: the sender must be one of the account's short codes or virtual numbers; adds the two-way surcharge; replies open conversations.",
    }),
    recipients: t.field({ type: CampaignRecipientsInput, required: true }),
    scheduledAt: t.field({ type: 'DateTime', description: 'When to send (an instant); absent: when sent. Marketing messages still wait for their country\'s sending window.' }),
    timeZone: t.string({ description: 'IANA zone the schedule is shown in (default Europe/Paris).' }),
  }),
});

export const UpdateCampaignInput = builder.inputType('UpdateCampaignInput', {
  description: 'Changes a draft: absent fields stay as they are; `scheduledAt: null` removes the schedule; `recipients` replaces all of them.',
  fields: (t) => ({
    id: t.globalID({ required: true, for: [CampaignType] }),
    name: t.string(),
    type: t.field({ type: MessageTypeEnum }),
    sender: t.string(),
    text: t.string(),
    templateId: t.globalID({ for: [TemplateType] }),
    smartEncoding: t.boolean(),
    strictTiming: t.boolean(),
    twoWay: t.boolean(),
    recipients: t.field({ type: CampaignRecipientsInput }),
    scheduledAt: t.field({ type: 'DateTime' }),
    timeZone: t.string(),
  }),
});

export const SendCampaignInput = builder.inputType('SendCampaignInput', {
  fields: (t) => ({
    id: t.globalID({ required: true, for: [CampaignType] }),
    idempotencyKey: t.string({ description: 'The same key for the same campaign returns the first result (kept 24 h); for another campaign it is an error.' }),
    simulation: t.boolean({ description: 'Price and check everything, return the preview, change nothing.' }),
  }),
});

const RecipientCountsType = builder.objectRef<CampaignPreview>('CampaignRecipientCounts').implement({
  fields: (t) => ({
    selected: t.exposeInt('selected', { description: 'Contacts selected plus numbers pasted, before anything is removed.' }),
    duplicates: t.exposeInt('duplicates', { description: 'Removed: the number is already a recipient.' }),
    blacklisted: t.exposeInt('blacklisted', { description: 'Removed (marketing): the number opted out.' }),
    invalid: t.exposeInt('invalid', { description: 'Removed: invalid number, not a mobile, or message too long once personalised.' }),
    notMobile: t.int({ resolve: (preview) => preview.invalidByReason.NOT_MOBILE }),
    tooLong: t.int({ resolve: (preview) => preview.invalidByReason.TOO_LONG }),
    accepted: t.exposeInt('recipients', { description: 'Recipients who will receive the message.' }),
  }),
});

const InvalidRecipientType = builder.objectRef<InvalidRecipient>('CampaignInvalidNumber').implement({
  fields: (t) => ({
    number: t.exposeString('number', { description: 'The contact\'s number, or the number as pasted.' }),
    reason: t.exposeString('reason', { description: 'INVALID_NUMBER, NOT_MOBILE or TOO_LONG.' }),
    message: t.exposeString('message'),
  }),
});

const SegmentFiguresType = builder.objectRef<CampaignPreview['segments']>('CampaignSegments').implement({
  description: 'SMS per recipient after personalisation (and opt-out mention).',
  fields: (t) => ({
    total: t.exposeInt('total', { description: 'SMS sent in all.' }),
    min: t.exposeInt('min'),
    max: t.exposeInt('max'),
  }),
});

const EncodingFiguresType = builder.objectRef<CampaignPreview['encodings']>('CampaignEncodings').implement({
  description: 'Recipients by encoding of their message.',
  fields: (t) => ({
    gsm7: t.exposeInt('GSM7'),
    ucs2: t.exposeInt('UCS2'),
  }),
});

const CountryFiguresType = builder.objectRef<CountryFigures>('CampaignCountry').implement({
  fields: (t) => ({
    country: t.exposeString('country', { nullable: true, description: 'ISO 3166 alpha-2; null for non-geographic numbers.' }),
    recipients: t.exposeInt('recipients'),
    segments: t.exposeInt('segments'),
    cost: t.field({ type: 'Decimal', resolve: (line) => euros(line.cost) }),
    sendAt: t.field({ type: 'DateTime', description: 'When messages to this country go out.', resolve: (line) => line.sendAt }),
    held: t.exposeBoolean('held', { description: 'Held after the requested time until the country\'s sending window opens.' }),
  }),
});

const BalanceCheckType = builder.objectRef<CampaignPreview['balance']>('CampaignBalanceCheck').implement({
  fields: (t) => ({
    available: t.field({ type: 'Decimal', resolve: (balance) => euros(balance.available) }),
    covered: t.exposeBoolean('covered', { description: 'The balance covers the cost.' }),
    missing: t.field({ type: 'Decimal', description: 'What a top-up must add at least; 0 when covered.', resolve: (balance) => euros(balance.missing) }),
  }),
});

const SampleMessageType = builder.objectRef<NonNullable<CampaignPreview['sample']>>('CampaignSampleMessage').implement({
  fields: (t) => ({
    recipient: t.field({ type: 'Phone', resolve: (sample) => sample.recipient }),
    text: t.exposeString('text', { description: 'As this recipient receives it.' }),
    encoding: t.field({ type: SmsEncodingEnum, resolve: (sample) => sample.encoding }),
    segments: t.exposeInt('segments'),
  }),
});

export const CampaignPreviewType = builder.objectRef<CampaignPreview>('CampaignPreview').implement({
  description: 'What sending the campaign would do now. Nothing is stored, sent or charged.',
  fields: (t) => ({
    campaignId: t.id({ resolve: (preview) => encodeGlobalID('Campaign', preview.campaignId) }),
    type: t.field({ type: MessageTypeEnum, resolve: (preview) => preview.type }),
    sender: t.field({ type: MessageSenderType, nullable: true, description: 'The sender as understood; null when refused.', resolve: (preview) => preview.sender }),
    problems: t.field({ type: [PreviewProblemType], description: 'Problems of the message itself; any of them stops the send.', resolve: (preview) => preview.problems }),
    recipients: t.field({ type: RecipientCountsType, resolve: (preview) => preview }),
    invalidNumbers: t.field({ type: [InvalidRecipientType], description: 'The first 100 numbers removed as invalid, with the reason.', resolve: (preview) => preview.invalidNumbers }),
    segments: t.field({ type: SegmentFiguresType, resolve: (preview) => preview.segments }),
    encodings: t.field({ type: EncodingFiguresType, resolve: (preview) => preview.encodings }),
    sample: t.field({ type: SampleMessageType, nullable: true, description: 'The message of one recipient, as sent.', resolve: (preview) => preview.sample }),
    byCountry: t.field({ type: [CountryFiguresType], description: 'By country code; non-geographic numbers last.', resolve: (preview) => preview.byCountry }),
    cost: t.field({ type: 'Decimal', description: 'Euros; what the send reserves.', resolve: (preview) => euros(preview.cost) }),
    balance: t.field({ type: BalanceCheckType, resolve: (preview) => preview.balance }),
    requestedAt: t.field({ type: 'DateTime', description: 'When the campaign asks to go out: its schedule, or now.', resolve: (preview) => preview.requestedAt }),
    firstSendAt: t.field({ type: 'DateTime', nullable: true, description: 'When the first messages actually go out (sending windows applied).', resolve: (preview) => preview.firstSendAt }),
    lastSendAt: t.field({ type: 'DateTime', nullable: true, description: 'When the last country\'s messages may start going out.', resolve: (preview) => preview.lastSendAt }),
    canSend: t.exposeBoolean('canSend', { description: 'No problem, at least one recipient, and the balance covers the cost.' }),
    computedAt: t.field({ type: 'DateTime', resolve: (preview) => preview.computedAt }),
  }),
});

export const SendCampaignPayload = builder.objectRef<SentCampaign>('SendCampaignPayload').implement({
  fields: (t) => ({
    campaign: t.prismaField({
      type: CampaignType,
      resolve: (query, sent) => prisma.campaign.findUniqueOrThrow({ ...query, where: { id: sent.campaignId } }),
    }),
    simulated: t.exposeBoolean('simulated', { description: 'True for a simulation: nothing was reserved, written or sent.' }),
    reserved: t.field({ type: 'Decimal', description: 'Euros held for the campaign (for a simulation: what would be).', resolve: (sent) => sent.reserved }),
    preview: t.field({
      type: CampaignPreviewType,
      nullable: true,
      description: 'The figures the campaign was priced with; null when an idempotency key replays an earlier send.',
      resolve: (sent) => sent.preview,
    }),
  }),
});
