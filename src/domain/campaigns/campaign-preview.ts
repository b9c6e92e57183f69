/**
 * `campaignPreview`: what sending a campaign would do, computed from the current contacts,
 * blacklist, prices, sending rules and balance, without writing anything. The send computes the
 * same preview and reserves exactly its cost.
 *
 * A million recipients take a few seconds: the contacts stream from one cursor in batches of
 * 20,000, their countries come from the block classifier, and each message is planned by the
 * same pure functions that write it later.
 */
import { pool, prisma } from '../../db/client.js';
import type { Campaign } from '../../generated/prisma/client.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { loadContactFields } from '../contacts/contact-fields.js';
import { NotFoundError } from '../errors.js';
import { previewMessage, type PreviewProblem } from '../messaging/message-preview.js';
import { compileTemplate } from '../messaging/personalisation.js';
import { parseEuros, type Micros } from '../messaging/prices.js';
import type { Sender } from '../messaging/sender-id.js';
import { loadSendingProfile, type SendingProfile } from '../messaging/sending-profile.js';
import { describeMarketingWindow, type MessageType } from '../messaging/sending-windows.js';
import { CampaignMessagePlanner, type RecipientValues } from './campaign-messages.js';
import { blacklistedAmong, contactValuesAmong, parsePastedNumbers, streamSelectedContacts, type SqlRunner } from './campaign-recipients.js';
import { NumberClassifier } from './number-classifier.js';
import { PreviewTally, type PreviewFigures } from './preview-tally.js';

export interface CampaignPreview extends PreviewFigures {
  campaignId: string;
  type: MessageType;
  sender: Sender | null;
  /** Problems of the message itself (text, placeholders, sender); any of them stops the send. */
  problems: PreviewProblem[];
  /** When the campaign asks to go out: its schedule when in the future, else now. */
  requestedAt: Date;
  /** The account's balance now, and whether it covers the cost. */
  balance: { available: Micros; covered: boolean; missing: Micros };
  /** No problem, at least one recipient, and the balance covers the cost. */
  canSend: boolean;
  computedAt: Date;
}

/** A campaign's message settings and recipients, as stored. */
export type CampaignContent = Pick<
  Campaign,
  'id' | 'accountId' | 'kind' | 'sender' | 'text' | 'smartEncoding' | 'strictTiming' | 'twoWay' | 'defaultCountry' | 'listIds' | 'tags' | 'contactIds' | 'numbers' | 'scheduledAt'
>;

export async function campaignPreview(actor: Actor, campaignId: string, now = new Date()): Promise<CampaignPreview> {
  requirePermission(actor, 'campaigns:read');
  const campaign = await prisma.campaign.findFirst({ where: { id: campaignId, accountId: actor.accountId } });
  if (!campaign) throw new NotFoundError('Campaign');
  return computeCampaignPreview(campaign, now);
}

export function messageTypeOf(campaign: Pick<Campaign, 'kind'>): MessageType {
  return campaign.kind === 'MARKETING' ? 'MARKETING' : 'TRANSACTIONAL';
}

/** When the campaign asks to go out: its schedule when in the future, else now. */
export function requestedTime(scheduledAt: Date | null, now: Date): Date {
  return scheduledAt !== null && scheduledAt.getTime() > now.getTime() ? scheduledAt : now;
}

/** The account's dynamic field names by position (index 0 = field_1). */
export async function fieldNamesByPosition(accountId: string): Promise<(string | null)[]> {
  const names: (string | null)[] = [null, null, null, null, null];
  for (const field of await loadContactFields(prisma, accountId)) names[field.position - 1] = field.name;
  return names;
}

/**
 * Problems of the text and sender of a campaign for this account (no recipient involved):
 * empty text, unknown or unclosed placeholders, sender rules (a two-way campaign needs one of
 * the account's numbers), a base text over 10 SMS, and the placeholders campaigns do not offer.
 */
export function campaignMessageProblems(
  text: string,
  type: MessageType,
  sender: string,
  profile: SendingProfile,
  twoWay: boolean,
): { problems: PreviewProblem[]; sender: Sender | null } {
  const preview = previewMessage({
    text,
    type,
    sender,
    account: profile,
    recipients: [],
    priceList: profile.priceList,
    rules: profile.sendingRules,
    now: new Date(),
    options: { twoWay },
  });
  const problems = preview.problems.filter((problem) => problem.code !== 'NO_RECIPIENTS' && problem.code !== 'LINK_NOT_ENABLED');
  const fields = compileTemplate(text, { dynamicFields: profile.dynamicFields }).fields;
  if (fields.includes('link')) {
    problems.push({ code: 'LINK_NOT_AVAILABLE', message: 'Tracked links ({link}) are not available for campaigns yet; put the address in the text.', field: 'text' });
  }
  if (fields.includes('code')) {
    problems.push({ code: 'CODE_NOT_AVAILABLE', message: '{code} is for one-time passwords, which are not sent by campaign.', field: 'text' });
  }
  return { problems, sender: preview.sender };
}

const poolSql: SqlRunner = async <Row>(text: string, values: unknown[]) => (await pool.query(text, values)).rows as Row[];

export async function computeCampaignPreview(campaign: CampaignContent, now = new Date()): Promise<CampaignPreview> {
  const profile = await loadSendingProfile(campaign.accountId);
  const type = messageTypeOf(campaign);
  const { problems, sender } = campaignMessageProblems(campaign.text, type, campaign.sender, profile, campaign.twoWay);
  const requestedAt = requestedTime(campaign.scheduledAt, now);
  const planner = new CampaignMessagePlanner({
    text: campaign.text,
    type,
    smartEncoding: campaign.smartEncoding,
    twoWay: campaign.twoWay,
    fieldNames: await fieldNamesByPosition(campaign.accountId),
    priceList: profile.priceList,
    rules: profile.sendingRules,
    requestedAt,
  });
  const marketing = type === 'MARKETING';
  const tally = new PreviewTally();
  const classifier = new NumberClassifier();
  const pasted = parsePastedNumbers(campaign.numbers, campaign.defaultCountry ?? profile.country);
  const pastedLeft = new Map(pasted.valid.map((number) => [number.e164, number]));

  await streamSelectedContacts(
    { accountId: campaign.accountId, listIds: campaign.listIds, tags: campaign.tags, contactIds: campaign.contactIds },
    { withValues: planner.placeholders.length > 0, withBlacklist: marketing },
    (contacts) => {
      for (const contact of contacts) {
        // A pasted number that is also a selected contact is sent once, personalised.
        if (pastedLeft.delete(contact.number)) tally.addDuplicate();
        const numberClass = classifier.classify(contact.number);
        if (numberClass === null) {
          tally.add({ outcome: 'INVALID', number: contact.number, reason: 'INVALID_NUMBER', message: `${contact.number} is not a valid number.` });
          continue;
        }
        tally.add(planner.plan(contact.number, numberClass.country, numberClass.type, contact, contact.blacklisted));
      }
    },
  );
  for (const refused of pasted.invalid) tally.addRefused(refused.input, 'INVALID_NUMBER', refused.message);
  for (const input of pasted.duplicates) tally.addRefused(input, 'DUPLICATE_NUMBER', `${input} is pasted twice: it receives the message once.`);
  const blacklisted = marketing ? await blacklistedAmong(poolSql, campaign.accountId, [...pastedLeft.keys()]) : new Set<string>();
  const values = planner.placeholders.length > 0 ? await contactValuesAmong(poolSql, campaign.accountId, [...pastedLeft.keys()]) : new Map<string, RecipientValues>();
  for (const number of pastedLeft.values()) {
    const plan = planner.plan(number.e164, number.country, number.type, values.get(number.e164) ?? null, blacklisted.has(number.e164));
    tally.add(plan.outcome === 'INVALID' ? { ...plan, number: number.input } : plan);
  }

  const figures = tally.result();
  if (campaign.strictTiming && marketing) {
    // Refused rather than held (SPEC section 4): one problem per country that would wait.
    for (const line of figures.byCountry.filter((country) => country.held)) {
      const window = describeMarketingWindow(line.country, profile.sendingRules) ?? 'the sending window';
      problems.push({
        code: 'OUTSIDE_SENDING_WINDOW',
        message: `Marketing SMS to ${line.country ?? 'these numbers'} may only go out ${window}; the next opening is ${line.sendAt.toISOString()} and strict timing is on.`,
        field: 'scheduledAt',
      });
    }
  }
  const account = await prisma.account.findUniqueOrThrow({ where: { id: campaign.accountId }, select: { creditBalance: true } });
  const available = parseEuros(account.creditBalance.toFixed());
  const missing = Math.max(0, figures.cost - available);
  return {
    ...figures,
    campaignId: campaign.id,
    type,
    sender,
    problems,
    requestedAt,
    balance: { available, covered: missing === 0, missing },
    canSend: problems.length === 0 && figures.recipients > 0 && missing === 0,
    computedAt: now,
  };
}
