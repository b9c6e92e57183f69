/**
 * Preview of a message before it is sent: everything the `messagePreview` query shows, computed
 * from data passed in (no I/O), with the same functions dispatch uses.
 *
 * Recipients are raw numbers without contacts, so each message is rendered with sample values:
 * `{firstname}`, `{lastname}` and dynamic fields render their default (`{firstname|Client}`) or
 * nothing; `{link}` renders as a representative short link of the real length
 * (`https://s.example/abcdefg` unless `samples.link` says otherwise); `{code}` as `123456`.
 * The country then decides the opt-out mention, the sending window and the price.
 *
 * The top-level encoding, segments and parts describe the message as received by the first
 * accepted recipient (or, without one, the rendered text without any mention).
 */
import { isMobileType, parsePhone, type PhoneNumberType } from '../phone.js';
import { nonGsmCharacters, smartEncode, type CharacterReplacement, type SmsEncoding } from './encoding.js';
import { withOptOutMention } from './opt-out.js';
import { compileTemplate, renderTemplate, type TemplateValues } from './personalisation.js';
import { BatchCostAccumulator, type CountryCost, type Micros, type PriceList } from './prices.js';
import { countSegments, splitIntoParts, tooLongProblem, type SegmentCount } from './segments.js';
import { validateSender, type Sender } from './sender-id.js';
import { describeMarketingWindow, nextSendingTime, type MessageType, type SendingRules } from './sending-windows.js';

export interface PreviewProblem {
  code: string;
  message: string;
  /** The input field at fault: `text`, `sender`, `recipients`, `options.trackedLink`... */
  field?: string;
  /** The recipient number as typed, for problems of one number. */
  number?: string;
}

export interface MessagePreviewOptions {
  twoWay?: boolean;
  trackedLink?: boolean;
  smartEncoding?: boolean;
  /** Refuse, rather than hold, messages that would go out after the requested time. */
  strictTiming?: boolean;
  otp?: boolean;
}

export interface PreviewAccount {
  dynamicFields: readonly string[];
  shortCodes: readonly string[];
  virtualNumbers: readonly string[];
}

export interface PreviewSamples {
  link: string;
  code: string;
}

export const DEFAULT_PREVIEW_SAMPLES: PreviewSamples = { link: 'https://s.example/abcdefg', code: '123456' };

export interface MessagePreviewInput {
  text: string;
  type: MessageType;
  sender: string;
  options?: MessagePreviewOptions;
  account: PreviewAccount;
  /** Numbers as typed or pasted. */
  recipients: readonly string[];
  /** For numbers in national format: a country (`FR`) or a calling code (`+33`). */
  defaultCountry?: string;
  defaultCallingCode?: string;
  priceList: PriceList;
  rules: SendingRules;
  now: Date;
  /** When the sender wants the message to go out; `now` when absent or past. */
  scheduledAt?: Date | null;
  samples?: PreviewSamples;
}

export interface RecipientPreview {
  input: string;
  /** False when the number is refused (invalid, not a mobile, duplicate, outside the window with strict timing). */
  accepted: boolean;
  e164: string | null;
  country: string | null;
  type: PhoneNumberType | null;
  /** The text as this recipient would receive it; null when the number is invalid. */
  text: string | null;
  encoding: SmsEncoding | null;
  segments: number;
  /** 0 when not accepted. */
  cost: Micros;
  /** When it would go out; null when not accepted. */
  sendAt: Date | null;
  /** True when held until the sending window opens. */
  held: boolean;
  problems: PreviewProblem[];
}

export interface MessagePreview extends SegmentCount {
  text: string;
  parts: string[];
  /** Characters replaced by smart encoding (empty when off or not applicable). */
  replacements: readonly CharacterReplacement[];
  /** Characters that make the message UCS-2, each once. */
  nonGsmCharacters: string[];
  sender: Sender | null;
  recipients: RecipientPreview[];
  totals: {
    recipients: number;
    accepted: number;
    segments: number;
    cost: Micros;
    byCountry: CountryCost[];
  };
  /** Earliest and latest send times of accepted recipients. */
  firstSendAt: Date | null;
  lastSendAt: Date | null;
  /** Every problem: of the message (no `number`) and of each number. */
  problems: PreviewProblem[];
  /** No problem with the message itself and at least one accepted recipient. */
  canSend: boolean;
}

interface Rendition {
  text: string;
  count: SegmentCount;
  replacements: readonly CharacterReplacement[];
}

export function previewMessage(input: MessagePreviewInput): MessagePreview {
  const options = input.options ?? {};
  const samples = input.samples ?? DEFAULT_PREVIEW_SAMPLES;
  const messageProblems: PreviewProblem[] = [];

  if (input.text.trim() === '') messageProblems.push({ code: 'EMPTY_TEXT', message: 'The message is empty.', field: 'text' });

  const template = compileTemplate(input.text, { dynamicFields: input.account.dynamicFields });
  for (const problem of template.problems) messageProblems.push({ code: problem.code, message: problem.message, field: 'text' });
  const usesLink = template.fields.includes('link');
  if (usesLink && options.trackedLink !== true) {
    messageProblems.push({ code: 'LINK_NOT_ENABLED', message: 'The text uses {link} but the tracked link option is off.', field: 'options.trackedLink' });
  }
  if (!usesLink && options.trackedLink === true) {
    messageProblems.push({ code: 'LINK_PLACEHOLDER_MISSING', message: 'The tracked link option is on: put {link} where the link goes in the text.', field: 'text' });
  }

  const senderResult = validateSender(input.sender, input.account, { twoWay: options.twoWay === true });
  if (!senderResult.ok) messageProblems.push({ code: senderResult.problem.code, message: senderResult.problem.message, field: 'sender' });
  const sender = senderResult.ok ? senderResult.sender : null;

  const sampleValues: TemplateValues = { link: samples.link, code: samples.code };
  const rendered = renderTemplate(template, sampleValues);

  // Every recipient of a country gets the same text: render, encode and count once per country.
  const byCountry = new Map<string | null, Rendition>();
  const renditionFor = (country: string | null, withMention: boolean): Rendition => {
    const key = withMention ? country : '\u0000none';
    let rendition = byCountry.get(key);
    if (rendition === undefined) {
      let text = withMention ? withOptOutMention(rendered, input.type, country, input.rules) : rendered;
      let replacements: readonly CharacterReplacement[] = [];
      if (options.smartEncoding === true) ({ text, replacements } = smartEncode(text));
      rendition = { text, count: countSegments(text), replacements };
      byCountry.set(key, rendition);
    }
    return rendition;
  };

  const requested = input.scheduledAt != null && input.scheduledAt.getTime() > input.now.getTime() ? input.scheduledAt : input.now;
  const costs = new BatchCostAccumulator(input.priceList, options);
  const seen = new Set<string>();
  const recipients: RecipientPreview[] = [];
  const numberProblems: PreviewProblem[] = [];
  let firstAccepted: Rendition | null = null;
  let firstSendAt: Date | null = null;
  let lastSendAt: Date | null = null;
  let tooLong: Rendition | null = null;

  if (input.recipients.length === 0) {
    messageProblems.push({ code: 'NO_RECIPIENTS', message: 'Add at least one recipient number.', field: 'recipients' });
  }

  for (const raw of input.recipients) {
    const problems: PreviewProblem[] = [];
    const parsed = parsePhone(raw, { defaultCountry: input.defaultCountry, defaultCallingCode: input.defaultCallingCode });
    if (!parsed.ok) {
      problems.push({ code: 'INVALID_NUMBER', message: parsed.message, field: 'recipients', number: raw });
      recipients.push({ input: raw, accepted: false, e164: null, country: null, type: null, text: null, encoding: null, segments: 0, cost: 0, sendAt: null, held: false, problems });
      numberProblems.push(...problems);
      continue;
    }
    const { e164, country, type } = parsed.phone;
    const rendition = renditionFor(country, true);
    if (rendition.count.segments > (tooLong?.count.segments ?? 0) && tooLongProblem(rendition.count) !== null) tooLong = rendition;

    if (!isMobileType(type)) {
      problems.push({ code: 'NOT_MOBILE', message: `${e164} is a ${type.toLowerCase().replace(/_/g, ' ')} number: it cannot receive SMS.`, field: 'recipients', number: raw });
    } else if (seen.has(e164)) {
      problems.push({ code: 'DUPLICATE_NUMBER', message: `${e164} is already in the recipients: it receives the message once.`, field: 'recipients', number: raw });
    }
    seen.add(e164);

    let sendAt: Date | null = null;
    let held = false;
    if (problems.length === 0) {
      sendAt = nextSendingTime(input.type, country, requested, input.rules);
      held = sendAt.getTime() !== requested.getTime();
      if (held && options.strictTiming === true) {
        const window = describeMarketingWindow(country, input.rules) ?? 'the sending window';
        problems.push({
          code: 'OUTSIDE_SENDING_WINDOW',
          message: `Marketing SMS to ${country ?? e164} may only go out ${window}; the next opening is ${sendAt.toISOString()} and strict timing is on.`,
          field: 'scheduledAt',
          number: raw,
        });
        sendAt = null;
        held = false;
      }
    }

    const accepted = problems.length === 0;
    const cost = accepted ? costs.add(country, rendition.count.segments) : 0;
    if (accepted && sendAt !== null) {
      firstAccepted ??= rendition;
      if (firstSendAt === null || sendAt < firstSendAt) firstSendAt = sendAt;
      if (lastSendAt === null || sendAt > lastSendAt) lastSendAt = sendAt;
    }
    recipients.push({ input: raw, accepted, e164, country, type, text: rendition.text, encoding: rendition.count.encoding, segments: rendition.count.segments, cost, sendAt, held, problems });
    numberProblems.push(...problems);
  }

  const shown = firstAccepted ?? renditionFor(null, false);
  const longest = tooLong ?? shown;
  const tooLongFound = tooLongProblem(longest.count);
  if (tooLongFound !== null) messageProblems.push({ code: tooLongFound.code, message: tooLongFound.message, field: 'text' });

  const batch = costs.result();
  return {
    ...shown.count,
    text: shown.text,
    parts: splitIntoParts(shown.text, shown.count.encoding),
    replacements: shown.replacements,
    nonGsmCharacters: shown.count.encoding === 'UCS2' ? nonGsmCharacters(shown.text) : [],
    sender,
    recipients,
    totals: { recipients: input.recipients.length, accepted: batch.messages, segments: batch.segments, cost: batch.total, byCountry: batch.byCountry },
    firstSendAt,
    lastSendAt,
    problems: [...messageProblems, ...numberProblems],
    canSend: messageProblems.length === 0 && batch.messages > 0,
  };
}
