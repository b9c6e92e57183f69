import type { CharacterReplacement } from '../domain/messaging/encoding.js';
import type { MessagePreview, PreviewProblem, RecipientPreview } from '../domain/messaging/message-preview.js';
import { formatEuros, type CountryCost, type Micros } from '../domain/messaging/prices.js';
import type { Sender } from '../domain/messaging/sender-id.js';
import { builder } from './builder.js';

/** Money as the Decimal scalar: exact euros, without trailing zeros ("0.045", "0.09", "0"), as Prisma decimals print. */
const euros = (micros: Micros): string => formatEuros(micros, { trim: true, minDecimals: 0 });

export const MessageTypeEnum = builder.enumType('MessageType', {
  values: {
    MARKETING: {
      description:
        "Promotions. Follows the recipient country's rules: in France Monday-Saturday 08:00-20:00 Europe/Paris, never on Sundays nor public holidays, and ends with the opt-out mention `STOP au 30101`.",
    },
    TRANSACTIONAL: { description: 'Notifications, codes, reminders: sent 24/7, without opt-out mention, ahead of marketing traffic.' },
  } as const,
});

export const SmsEncodingEnum = builder.enumType('SmsEncoding', {
  values: {
    GSM7: { description: 'GSM 03.38 7-bit alphabet: 160 characters in one SMS, 153 per part beyond (extension characters such as `€ [ ]` count two).' },
    UCS2: { description: 'Unicode: 70 code units in one SMS, 67 per part beyond (an emoji counts two).' },
  } as const,
});

export const PhoneNumberTypeEnum = builder.enumType('PhoneNumberType', {
  description: 'Kind of number, from the numbering plan of its country. Only MOBILE and FIXED_LINE_OR_MOBILE receive SMS.',
  values: [
    'MOBILE',
    'FIXED_LINE',
    'FIXED_LINE_OR_MOBILE',
    'VOIP',
    'TOLL_FREE',
    'PREMIUM_RATE',
    'SHARED_COST',
    'PERSONAL_NUMBER',
    'PAGER',
    'UAN',
    'VOICEMAIL',
    'UNKNOWN',
  ] as const,
});

export const SenderKindEnum = builder.enumType('SenderKind', {
  values: {
    ALPHANUMERIC: { description: 'A name of 3-11 letters, digits or spaces. Recipients cannot answer it.' },
    SHORT_CODE: { description: 'A 5-digit short code the account may use.' },
    VIRTUAL_NUMBER: { description: 'A virtual number the account owns.' },
  } as const,
});

export const MessageOptionsInput = builder.inputType('MessageOptionsInput', {
  description: 'Options of a message. Each is off unless set.',
  fields: (t) => ({
    twoWay: t.boolean({
      defaultValue: false,
      description: 'Recipients may answer. Needs a short code or virtual number as sender; adds the two-way surcharge.',
    }),
    trackedLink: t.boolean({
      defaultValue: false,
      description: 'SMS 2.0: `{link}` in the text becomes a tracked short link per recipient; adds the tracked-link surcharge.',
    }),
    smartEncoding: t.boolean({
      defaultValue: false,
      description: 'Replace look-alike characters (curly quotes, long dashes, non-breaking spaces...) by GSM ones, when that keeps the message in GSM-7.',
    }),
    strictTiming: t.boolean({
      defaultValue: false,
      description: 'Refuse, rather than hold until the window opens, marketing messages that cannot go out at the requested time.',
    }),
  }),
});

export const MessagePreviewInput = builder.inputType('MessagePreviewInput', {
  fields: (t) => ({
    text: t.string({
      required: true,
      description:
        'The message, with placeholders `{firstname}`, `{lastname}`, the account\'s dynamic fields, `{link}` and `{code}`; `{firstname|Client}` gives a default. Rendered with sample values.',
    }),
    type: t.field({ type: MessageTypeEnum, required: true }),
    sender: t.string({ required: true, description: 'Alphanumeric sender id, or one of the account\'s short codes or virtual numbers.' }),
    numbers: t.stringList({
      required: true,
      description: 'Recipient numbers as typed or pasted, national or international format; at most 1000.',
    }),
    defaultCountry: t.string({ required: false, description: 'ISO 3166 alpha-2 country (`FR`) of numbers written in national format (`06 12 34 56 78`).' }),
    options: t.field({ type: MessageOptionsInput, required: false }),
    scheduledAt: t.field({
      type: 'DateTime',
      required: false,
      description: 'When the message should go out; now when absent or in the past. Marketing messages outside the sending window are held until it opens.',
    }),
  }),
});

export const PreviewProblemType = builder.objectRef<PreviewProblem>('PreviewProblem').implement({
  description: 'Something that stops the message, or one number, from being sent.',
  fields: (t) => ({
    code: t.exposeString('code', {
      description:
        'Stable code. Of the message: EMPTY_TEXT, UNKNOWN_PLACEHOLDER, UNCLOSED_PLACEHOLDER, LINK_NOT_ENABLED, LINK_PLACEHOLDER_MISSING, SENDER_INVALID, TWO_WAY_NEEDS_NUMBER, NO_RECIPIENTS, TOO_LONG. Of one number: INVALID_NUMBER, NOT_MOBILE, DUPLICATE_NUMBER, OUTSIDE_SENDING_WINDOW.',
    }),
    message: t.exposeString('message', { description: 'A sentence for people, naming the cause.' }),
    field: t.exposeString('field', {
      nullable: true,
      description: 'The input field at fault: `text`, `sender`, `numbers`, `scheduledAt`, `options.trackedLink`.',
    }),
    number: t.exposeString('number', { nullable: true, description: 'The number as typed, for a problem of one number; null for a problem of the message.' }),
  }),
});

export const CharacterReplacementType = builder.objectRef<CharacterReplacement>('CharacterReplacement').implement({
  description: 'A character smart encoding replaced.',
  fields: (t) => ({
    character: t.exposeString('character', { description: 'As typed, e.g. `’`.' }),
    replacement: t.exposeString('replacement', { description: 'What is sent instead, e.g. `\'`.' }),
    count: t.exposeInt('count', { description: 'Occurrences replaced.' }),
  }),
});

export const MessageSenderType = builder.objectRef<Sender>('MessageSender').implement({
  fields: (t) => ({
    kind: t.field({ type: SenderKindEnum, resolve: (sender) => sender.kind }),
    value: t.exposeString('value', { description: 'As submitted to the carrier: the id as typed, the 5 digits or the E.164 number.' }),
  }),
});

export const RecipientPreviewType = builder.objectRef<RecipientPreview>('RecipientPreview').implement({
  description: 'One number of the input, as it would be handled.',
  fields: (t) => ({
    input: t.exposeString('input', { description: 'The number as typed.' }),
    e164: t.field({ type: 'Phone', nullable: true, description: 'The number in E.164; null when invalid.', resolve: (r) => r.e164 }),
    country: t.exposeString('country', { nullable: true, description: 'ISO 3166 alpha-2 country of the number; null when invalid or non-geographic.' }),
    numberType: t.field({ type: PhoneNumberTypeEnum, nullable: true, resolve: (r) => r.type }),
    accepted: t.exposeBoolean('accepted', {
      description: 'False when the number is refused (invalid, not a mobile, duplicate, outside the window with strict timing): see `problems`.',
    }),
    text: t.exposeString('text', {
      nullable: true,
      description: "The text this recipient would receive (with the country's opt-out mention); null when the number is invalid.",
    }),
    encoding: t.field({ type: SmsEncodingEnum, nullable: true, resolve: (r) => r.encoding }),
    segments: t.exposeInt('segments', { description: 'SMS this recipient would receive.' }),
    cost: t.field({ type: 'Decimal', description: 'Euros; 0 when not accepted.', resolve: (r) => euros(r.cost) }),
    sendAt: t.field({ type: 'DateTime', nullable: true, description: 'When it would go out; null when not accepted.', resolve: (r) => r.sendAt }),
    held: t.exposeBoolean('held', { description: 'True when held after the requested time until the sending window of its country opens.' }),
    problems: t.field({ type: [PreviewProblemType], resolve: (r) => r.problems }),
  }),
});

export const CountryTotalType = builder.objectRef<CountryCost>('CountryTotal').implement({
  fields: (t) => ({
    country: t.exposeString('country', { nullable: true, description: 'ISO 3166 alpha-2; null for non-geographic numbers.' }),
    messages: t.exposeInt('messages'),
    segments: t.exposeInt('segments'),
    cost: t.field({ type: 'Decimal', description: 'Euros.', resolve: (c) => euros(c.cost) }),
  }),
});

export const MessagePreviewTotalsType = builder.objectRef<MessagePreview['totals']>('MessagePreviewTotals').implement({
  description: 'Of the accepted numbers only.',
  fields: (t) => ({
    numbers: t.exposeInt('recipients', { description: 'Numbers given, accepted or not.' }),
    accepted: t.exposeInt('accepted', { description: 'Numbers that would receive the message.' }),
    segments: t.exposeInt('segments', { description: 'SMS sent in all.' }),
    cost: t.field({ type: 'Decimal', description: 'Euros.', resolve: (totals) => euros(totals.cost) }),
    perCountry: t.field({ type: [CountryTotalType], description: 'By country code; non-geographic numbers last.', resolve: (totals) => totals.byCountry }),
  }),
});

export const MessagePreviewType = builder.objectRef<MessagePreview>('MessagePreview').implement({
  description:
    'A message as it would be sent: encoding, segments, cost and timing per number, and every problem. Nothing is stored, sent or charged. Placeholders render with sample values; the message-level figures describe the text received by the first accepted number (with its opt-out mention).',
  fields: (t) => ({
    text: t.exposeString('text', { description: 'The rendered text, as the first accepted number would receive it.' }),
    encoding: t.field({ type: SmsEncodingEnum, resolve: (p) => p.encoding }),
    characters: t.exposeInt('characters', { description: 'Characters as a reader counts them (an emoji is one).' }),
    units: t.exposeInt('units', { description: 'Septets in GSM-7 (extension characters count two), UTF-16 code units in UCS-2 (an emoji counts two).' }),
    segments: t.exposeInt('segments', { description: 'Number of SMS (parts), at most 10.' }),
    unitsPerSegment: t.exposeInt('unitsPerSegment', { description: 'Capacity of each part: 160 / 70 for one SMS, 153 / 67 per part beyond.' }),
    remaining: t.exposeInt('remaining', { description: 'Units still free in the last part before one more SMS is needed.' }),
    parts: t.exposeStringList('parts', { description: 'The parts as they would be submitted.' }),
    replacements: t.field({ type: [CharacterReplacementType], description: 'What smart encoding replaced; empty when off.', resolve: (p) => p.replacements }),
    nonGsmCharacters: t.exposeStringList('nonGsmCharacters', { description: 'The characters that make the message Unicode (UCS-2), each once.' }),
    sender: t.field({ type: MessageSenderType, nullable: true, description: 'The sender as understood; null when refused.', resolve: (p) => p.sender }),
    recipients: t.field({ type: [RecipientPreviewType], description: 'One entry per input number, in input order.', resolve: (p) => p.recipients }),
    totals: t.field({ type: MessagePreviewTotalsType, resolve: (p) => p.totals }),
    firstSendAt: t.field({ type: 'DateTime', nullable: true, description: 'Earliest send time of the accepted numbers.', resolve: (p) => p.firstSendAt }),
    lastSendAt: t.field({ type: 'DateTime', nullable: true, description: 'Latest send time of the accepted numbers.', resolve: (p) => p.lastSendAt }),
    problems: t.field({ type: [PreviewProblemType], description: 'Every problem: of the message first, then of each number.', resolve: (p) => p.problems }),
    canSend: t.exposeBoolean('canSend', { description: 'No problem with the message itself and at least one accepted number.' }),
  }),
});
