/**
 * Campaign drafts (SPEC section 7): create, change and delete. A draft holds the message
 * (text or a template's text, sender, type, smart encoding), the recipients (lists, tags,
 * contacts, pasted numbers) and an optional schedule; every rule is checked when it is saved, so
 * a draft can always be previewed and sent unless the account's data changed since.
 */
import { isSupportedCountry } from 'libphonenumber-js/max';
import { prisma } from '../../db/client.js';
import { isUuid } from '../../db/uuid7.js';
import type { Campaign } from '../../generated/prisma/client.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { MAX_TAG_LENGTH } from '../contacts/contact-limits.js';
import { NotFoundError, ValidationError, type FieldProblem } from '../errors.js';
import { loadSendingProfile } from '../messaging/sending-profile.js';
import type { MessageType } from '../messaging/sending-windows.js';
import { MAX_TEMPLATE_TEXT_LENGTH } from '../templates/templates.js';
import { CampaignStateError } from './campaign-errors.js';
import { campaignMessageProblems } from './campaign-preview.js';

export const MAX_CAMPAIGN_NAME_LENGTH = 100;
export const MAX_CAMPAIGN_LISTS = 50;
export const MAX_CAMPAIGN_TAGS = 50;
export const MAX_CAMPAIGN_CONTACTS = 10_000;
/** Pasted numbers per campaign; beyond, import them as contacts and send to the list. */
export const MAX_PASTED_NUMBERS = 100_000;
/** A schedule is at most this far ahead. */
export const MAX_SCHEDULE_DAYS = 366;
export const DEFAULT_TIME_ZONE = 'Europe/Paris';

export interface CampaignRecipientsInput {
  listIds?: readonly string[] | null;
  tags?: readonly string[] | null;
  contactIds?: readonly string[] | null;
  /** Numbers as pasted, national or international format. */
  numbers?: readonly string[] | null;
  /** ISO 3166 alpha-2 country of pasted numbers in national format; default: the account's. */
  defaultCountry?: string | null;
}

export interface CreateCampaignInput {
  name: string;
  type: MessageType;
  sender: string;
  /** The text, or `templateId` to copy a template's text. */
  text?: string | null;
  templateId?: string | null;
  smartEncoding?: boolean | null;
  /** Marketing: refuse to send when messages would be held until a sending window opens, rather than hold them. */
  strictTiming?: boolean | null;
  /** Recipients may answer: the sender must be a short code or virtual number; adds the two-way surcharge. */
  twoWay?: boolean | null;
  recipients: CampaignRecipientsInput;
  /** When to send; absent: when sent. */
  scheduledAt?: Date | null;
  /** IANA zone the schedule is shown in (default Europe/Paris). */
  timeZone?: string | null;
}

/** Absent fields are left as they are; `scheduledAt: null` removes the schedule. */
export type UpdateCampaignInput = Partial<CreateCampaignInput>;

interface CampaignFields {
  name: string;
  kind: MessageType;
  sender: string;
  text: string;
  templateId: string | null;
  smartEncoding: boolean;
  strictTiming: boolean;
  twoWay: boolean;
  defaultCountry: string | null;
  listIds: string[];
  tags: string[];
  contactIds: string[];
  numbers: string[];
  scheduledAt: Date | null;
  timeZone: string;
}

export async function createCampaign(actor: Actor, input: CreateCampaignInput, now = new Date()): Promise<Campaign> {
  requirePermission(actor, 'campaigns:write');
  const fields = await validateCampaign(actor.accountId, input, null, now);
  return prisma.campaign.create({ data: { ...fields, accountId: actor.accountId, createdById: actor.userId } });
}

export async function updateCampaign(actor: Actor, campaignId: string, input: UpdateCampaignInput, now = new Date()): Promise<Campaign> {
  requirePermission(actor, 'campaigns:write');
  const existing = await findCampaign(actor.accountId, campaignId);
  if (existing.status !== 'DRAFT') throw new CampaignStateError(existing.status, 'changed', ['DRAFT']);
  const fields = await validateCampaign(actor.accountId, input, existing, now);
  // Only while still a draft: a concurrent send wins and the change is refused.
  const updated = await prisma.campaign.updateMany({ where: { id: campaignId, accountId: actor.accountId, status: 'DRAFT' }, data: fields });
  if (updated.count === 0) {
    const now = await findCampaign(actor.accountId, campaignId);
    throw new CampaignStateError(now.status, 'changed', ['DRAFT']);
  }
  return prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } });
}

/** Deletes a draft; a campaign that was sent stays, with its messages, as history. */
export async function deleteCampaign(actor: Actor, campaignId: string): Promise<string> {
  requirePermission(actor, 'campaigns:write');
  const deleted = await prisma.campaign.deleteMany({ where: { id: campaignId, accountId: actor.accountId, status: 'DRAFT' } });
  if (deleted.count === 0) {
    const existing = await findCampaign(actor.accountId, campaignId);
    throw new CampaignStateError(existing.status, 'deleted', ['DRAFT']);
  }
  return campaignId;
}

export async function findCampaign(accountId: string, campaignId: string): Promise<Campaign> {
  const campaign = isUuid(campaignId) ? await prisma.campaign.findFirst({ where: { id: campaignId, accountId } }) : null;
  if (!campaign) throw new NotFoundError('Campaign');
  return campaign;
}

function unique(values: readonly string[] | null | undefined): string[] {
  return [...new Set(values ?? [])];
}

/**
 * The stored fields of a campaign from an input (and, for an update, the campaign as it is).
 * Lists, contacts and templates of another account are not found; everything else wrong is
 * reported at once.
 */
async function validateCampaign(accountId: string, input: UpdateCampaignInput, existing: Campaign | null, now: Date): Promise<CampaignFields> {
  const problems: FieldProblem[] = [];

  const name = (input.name ?? existing?.name ?? '').trim();
  if (name === '') problems.push({ field: 'name', message: 'Give the campaign a name.' });
  else if (name.length > MAX_CAMPAIGN_NAME_LENGTH) problems.push({ field: 'name', message: `At most ${MAX_CAMPAIGN_NAME_LENGTH} characters (got ${name.length}).` });

  const kind = input.type ?? (existing ? (existing.kind === 'MARKETING' ? 'MARKETING' : 'TRANSACTIONAL') : 'MARKETING');
  let sender = (input.sender ?? existing?.sender ?? '').trim();
  const twoWay = input.twoWay ?? existing?.twoWay ?? false;

  // The text: given, or copied from a template; an update that gives neither keeps both.
  let text = existing?.text ?? '';
  let templateId = existing?.templateId ?? null;
  const givesText = input.text !== undefined && input.text !== null;
  const givesTemplate = input.templateId !== undefined && input.templateId !== null;
  if (givesText && givesTemplate) {
    problems.push({ field: 'templateId', message: 'Give the text or a template, not both.' });
  } else if (givesTemplate) {
    const template = isUuid(input.templateId!) ? await prisma.template.findFirst({ where: { id: input.templateId!, accountId }, select: { id: true, body: true } }) : null;
    if (!template) throw new NotFoundError('Template');
    text = template.body;
    templateId = template.id;
  } else if (givesText) {
    text = input.text!;
    templateId = null;
  } else if (!existing) {
    problems.push({ field: 'text', message: 'Give the text of the message, or a template.' });
  }
  if (text.length > MAX_TEMPLATE_TEXT_LENGTH) problems.push({ field: 'text', message: `At most ${MAX_TEMPLATE_TEXT_LENGTH} characters (got ${text.length}).` });
  else if (givesText || givesTemplate || !existing || input.sender !== undefined || input.type !== undefined || input.twoWay !== undefined) {
    const profile = await loadSendingProfile(accountId);
    const checked = campaignMessageProblems(text, kind, sender, profile, twoWay);
    // Stored as the carrier takes it: a number in E.164, whatever spaces it was typed with.
    if (checked.sender) sender = checked.sender.value;
    for (const problem of checked.problems) {
      if (problem.code === 'EMPTY_TEXT' && !givesText && !givesTemplate && !existing) continue; // already said
      problems.push({ field: problem.field === 'sender' ? 'sender' : givesTemplate ? 'templateId' : 'text', message: problem.message });
    }
  }

  const recipients = input.recipients;
  const listIds = recipients ? unique(recipients.listIds) : (existing?.listIds ?? []);
  const contactIds = recipients ? unique(recipients.contactIds) : (existing?.contactIds ?? []);
  const numbers = recipients ? (recipients.numbers ?? []).map((number) => number.trim()).filter((number) => number !== '') : (existing?.numbers ?? []);
  let tags = existing?.tags ?? [];
  let defaultCountry = existing?.defaultCountry ?? null;
  if (recipients) {
    const seen = new Map<string, string>();
    for (const raw of recipients.tags ?? []) {
      const tag = raw.trim();
      if (tag === '') continue;
      if (tag.length > MAX_TAG_LENGTH) problems.push({ field: 'recipients.tags', message: `"${tag.slice(0, 20)}..." is longer than ${MAX_TAG_LENGTH} characters: no contact has it.` });
      else seen.set(tag, tag);
    }
    tags = [...seen.values()];
    defaultCountry = recipients.defaultCountry?.trim().toUpperCase() || null;
    if (defaultCountry !== null && !isSupportedCountry(defaultCountry)) {
      problems.push({ field: 'recipients.defaultCountry', message: `"${recipients.defaultCountry}" is not an ISO 3166 alpha-2 country code (e.g. FR, BE).` });
    }
  }
  if (listIds.length + tags.length + contactIds.length + numbers.length === 0) {
    problems.push({ field: 'recipients', message: 'Choose at least one list, tag, contact or number.' });
  }
  if (listIds.length > MAX_CAMPAIGN_LISTS) problems.push({ field: 'recipients.listIds', message: `At most ${MAX_CAMPAIGN_LISTS} lists (got ${listIds.length}).` });
  if (tags.length > MAX_CAMPAIGN_TAGS) problems.push({ field: 'recipients.tags', message: `At most ${MAX_CAMPAIGN_TAGS} tags (got ${tags.length}).` });
  if (contactIds.length > MAX_CAMPAIGN_CONTACTS) {
    problems.push({ field: 'recipients.contactIds', message: `At most ${MAX_CAMPAIGN_CONTACTS} contacts picked one by one (got ${contactIds.length}); put them in a list.` });
  }
  if (numbers.length > MAX_PASTED_NUMBERS) {
    problems.push({ field: 'recipients.numbers', message: `At most ${MAX_PASTED_NUMBERS} pasted numbers (got ${numbers.length}); import them as contacts and send to the list.` });
  }
  if (recipients && listIds.length <= MAX_CAMPAIGN_LISTS && contactIds.length <= MAX_CAMPAIGN_CONTACTS) {
    const lists = listIds.every(isUuid) ? await prisma.contactList.count({ where: { id: { in: listIds }, accountId } }) : -1;
    if (lists !== listIds.length) throw new NotFoundError('Contact list');
    const contacts = contactIds.every(isUuid) ? await prisma.contact.count({ where: { id: { in: contactIds }, accountId } }) : -1;
    if (contacts !== contactIds.length) throw new NotFoundError('Contact');
  }

  const scheduledAt = input.scheduledAt === undefined ? (existing?.scheduledAt ?? null) : input.scheduledAt;
  if (input.scheduledAt) {
    if (input.scheduledAt.getTime() < now.getTime() - 60_000) problems.push({ field: 'scheduledAt', message: 'The schedule is in the past; leave it empty to send when you send the campaign.' });
    if (input.scheduledAt.getTime() > now.getTime() + MAX_SCHEDULE_DAYS * 86_400_000) problems.push({ field: 'scheduledAt', message: `A campaign is scheduled at most ${MAX_SCHEDULE_DAYS} days ahead.` });
  }
  const timeZone = input.timeZone?.trim() || existing?.timeZone || DEFAULT_TIME_ZONE;
  if (!isTimeZone(timeZone)) problems.push({ field: 'timeZone', message: `"${timeZone}" is not an IANA time zone (e.g. Europe/Paris).` });

  if (problems.length > 0) throw new ValidationError(problems);
  return { name, kind, sender, text, templateId, smartEncoding: input.smartEncoding ?? existing?.smartEncoding ?? false, strictTiming: input.strictTiming ?? existing?.strictTiming ?? false, twoWay, defaultCountry, listIds, tags, contactIds, numbers, scheduledAt, timeZone };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.includes('/') || zone === 'UTC';
  } catch {
    return false;
  }
}

/** The schedule as a wall-clock time in the campaign's zone, e.g. `2026-12-01T09:30:00`. */
export function localScheduledTime(scheduledAt: Date | null, timeZone: string): string | null {
  if (scheduledAt === null) return null;
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(scheduledAt);
  const part = (type: string) => parts.find((entry) => entry.type === type)?.value ?? '00';
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}`;
}
