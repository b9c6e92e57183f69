/**
 * The `messagePreview` operation: a message previewed with the caller's account's senders,
 * fields, prices and sending rules. Nothing is stored, sent or charged.
 */
import { isSupportedCountry } from 'libphonenumber-js/max';
import type { Actor } from '../auth/actor.js';
import { requirePermission } from '../auth/actor.js';
import { ValidationError, type FieldProblem } from '../errors.js';
import { previewMessage, type MessagePreview, type PreviewProblem } from './message-preview.js';
import type { MessageType } from './sending-windows.js';
import { loadSendingProfile } from './sending-profile.js';

/** Numbers per preview: beyond, a campaign (with a contact list) is the tool. */
export const MAX_PREVIEW_NUMBERS = 1000;

export interface AccountMessagePreviewInput {
  text: string;
  type: MessageType;
  sender: string;
  /** As typed or pasted, national or international format. */
  numbers: readonly string[];
  /** ISO 3166 alpha-2 country for numbers written in national format; default: the account's. */
  defaultCountry?: string | null;
  options?: {
    twoWay?: boolean | null;
    trackedLink?: boolean | null;
    smartEncoding?: boolean | null;
    strictTiming?: boolean | null;
  } | null;
  /** When the message should go out; now when absent or past. */
  scheduledAt?: Date | null;
}

export async function previewMessageForAccount(actor: Actor, input: AccountMessagePreviewInput, now: Date): Promise<MessagePreview> {
  requirePermission(actor, 'messages:send');
  const defaultCountry = validatePreviewInput(input);
  const profile = await loadSendingProfile(actor.accountId);
  const options = input.options ?? {};
  const preview = previewMessage({
    text: input.text,
    type: input.type,
    sender: input.sender,
    options: {
      twoWay: options.twoWay === true,
      trackedLink: options.trackedLink === true,
      smartEncoding: options.smartEncoding === true,
      strictTiming: options.strictTiming === true,
    },
    account: { shortCodes: profile.shortCodes, virtualNumbers: profile.virtualNumbers, dynamicFields: profile.dynamicFields },
    recipients: input.numbers,
    defaultCountry: defaultCountry ?? profile.country,
    priceList: profile.priceList,
    rules: profile.sendingRules,
    now,
    scheduledAt: input.scheduledAt ?? null,
  });
  return withInputFieldNames(preview);
}

/** Returns the default country, upper-cased; throws every problem of the input at once. */
function validatePreviewInput(input: AccountMessagePreviewInput): string | undefined {
  const problems: FieldProblem[] = [];
  if (input.numbers.length > MAX_PREVIEW_NUMBERS) {
    problems.push({
      field: 'numbers',
      message: `At most ${MAX_PREVIEW_NUMBERS} numbers per preview (${input.numbers.length} given); preview a campaign for more.`,
    });
  }
  const country = input.defaultCountry?.trim().toUpperCase() || undefined;
  if (country !== undefined && !isSupportedCountry(country)) {
    problems.push({ field: 'defaultCountry', message: `"${input.defaultCountry}" is not an ISO 3166 alpha-2 country code (e.g. FR, BE).` });
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return country;
}

/** The pure preview calls the numbers `recipients`; the operation's input calls them `numbers`. */
function withInputFieldNames(preview: MessagePreview): MessagePreview {
  const rename = (problem: PreviewProblem): PreviewProblem => (problem.field === 'recipients' ? { ...problem, field: 'numbers' } : problem);
  return {
    ...preview,
    problems: preview.problems.map(rename),
    recipients: preview.recipients.map((recipient) =>
      recipient.problems.length === 0 ? recipient : { ...recipient, problems: recipient.problems.map(rename) },
    ),
  };
}
