/**
 * The account's saved templates (SPEC section 12): texts with placeholders, later imported into
 * campaigns. A template is valid when every placeholder is a built-in one or one of the
 * account's dynamic fields, and when it fits in the 10 parts a message may have. The number of
 * templates is a plan limit (`smsTemplates`).
 */
import { prisma, type Db } from '../../db/client.js';
import type { Template } from '../../generated/prisma/client.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { NotFoundError, ValidationError, type FieldProblem } from '../errors.js';
import { compileTemplate, renderTemplate } from '../messaging/personalisation.js';
import { countSegments, MAX_PARTS, type SegmentCount } from '../messaging/segments.js';
import { loadSendingProfile } from '../messaging/sending-profile.js';
import { ensureWithinLimit, lockAccount } from '../plans.js';
import { libraryTemplate } from './library.js';

export const MAX_TEMPLATE_NAME_LENGTH = 100;
/** Far above what 10 parts hold even in GSM-7 (1530), so placeholders that shorten the text fit. */
export const MAX_TEMPLATE_TEXT_LENGTH = 2000;

export interface TemplateSummary {
  /** Placeholders used, each once, in canonical spelling (`firstname`, `City`). */
  placeholders: readonly string[];
  /** The text with every placeholder at its default (empty without one): the least it takes. */
  length: SegmentCount;
}

/** What a template's text uses and takes; `dynamicFields` are the account's field names. */
export function summariseTemplate(text: string, dynamicFields: readonly string[]): TemplateSummary {
  const compiled = compileTemplate(text, { dynamicFields });
  return { placeholders: compiled.fields, length: countSegments(renderTemplate(compiled, {})) };
}

/** Problems of a text for an account with these dynamic fields; empty when it is valid. */
export function templateTextProblems(text: string, dynamicFields: readonly string[], field = 'text'): FieldProblem[] {
  if (text.trim() === '') return [{ field, message: 'The text is empty.' }];
  if (text.length > MAX_TEMPLATE_TEXT_LENGTH) return [{ field, message: `At most ${MAX_TEMPLATE_TEXT_LENGTH} characters (got ${text.length}).` }];
  const compiled = compileTemplate(text, { dynamicFields });
  const problems: FieldProblem[] = [];
  const unknown = compiled.problems.filter((problem) => problem.code === 'UNKNOWN_PLACEHOLDER');
  if (unknown.length > 0) {
    const available = ['firstname', 'lastname', 'link', 'code', ...dynamicFields].map((name) => `{${name}}`).join(', ');
    problems.push({
      field,
      message: `Unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((problem) => problem.placeholder).join(', ')}; available: ${available}.`,
    });
  }
  for (const problem of compiled.problems) if (problem.code !== 'UNKNOWN_PLACEHOLDER') problems.push({ field, message: problem.message });
  const segments = countSegments(renderTemplate(compiled, {})).segments;
  if (segments > MAX_PARTS) problems.push({ field, message: `The text takes ${segments} SMS before personalisation; a message has at most ${MAX_PARTS}.` });
  return problems;
}

function nameProblems(name: string, field = 'name'): FieldProblem[] {
  const trimmed = name.trim();
  if (trimmed === '') return [{ field, message: 'The name is empty.' }];
  if (trimmed.length > MAX_TEMPLATE_NAME_LENGTH) return [{ field, message: `At most ${MAX_TEMPLATE_NAME_LENGTH} characters (got ${trimmed.length}).` }];
  return [];
}

async function ensureNameFree(db: Db, accountId: string, name: string, exceptId: string | null): Promise<void> {
  const taken = await db.template.findFirst({
    where: { accountId, name: { equals: name, mode: 'insensitive' }, ...(exceptId ? { NOT: { id: exceptId } } : {}) },
    select: { id: true },
  });
  if (taken) throw ValidationError.single('name', `A template named "${name}" already exists.`);
}

export interface CreateTemplateInput {
  name?: string | null;
  text?: string | null;
  /** A library template's id: its name and text are used where `name` and `text` are not given. */
  fromLibrary?: string | null;
}

export async function createTemplate(actor: Actor, input: CreateTemplateInput): Promise<Template> {
  requirePermission(actor, 'campaigns:write');
  const accountId = actor.accountId;
  let name = input.name ?? null;
  let text = input.text ?? null;
  if (input.fromLibrary) {
    const source = libraryTemplate(input.fromLibrary);
    if (!source) throw ValidationError.single('fromLibrary', `"${input.fromLibrary}" is not a template of the library (see templateLibrary).`);
    name ??= source.name;
    text ??= source.text;
  }
  const problems: FieldProblem[] = [];
  if (name === null) problems.push({ field: 'name', message: 'A name is required (or fromLibrary).' });
  if (text === null) problems.push({ field: 'text', message: 'A text is required (or fromLibrary).' });
  const { dynamicFields } = await loadSendingProfile(accountId);
  if (name !== null) problems.push(...nameProblems(name));
  if (text !== null) problems.push(...templateTextProblems(text, dynamicFields));
  if (problems.length > 0 || name === null || text === null) throw new ValidationError(problems);
  const trimmedName = name.trim();
  return prisma.$transaction(async (tx) => {
    const plan = await lockAccount(tx, accountId);
    await ensureWithinLimit(tx, plan, 'smsTemplates', await tx.template.count({ where: { accountId } }));
    await ensureNameFree(tx, accountId, trimmedName, null);
    return tx.template.create({ data: { accountId, name: trimmedName, body: text } });
  });
}

export interface UpdateTemplateInput {
  name?: string | null;
  text?: string | null;
}

export async function updateTemplate(actor: Actor, templateId: string, input: UpdateTemplateInput): Promise<Template> {
  requirePermission(actor, 'campaigns:write');
  const accountId = actor.accountId;
  const problems: FieldProblem[] = [];
  if (input.name != null) problems.push(...nameProblems(input.name));
  if (input.text != null) problems.push(...templateTextProblems(input.text, (await loadSendingProfile(accountId)).dynamicFields));
  if (problems.length > 0) throw new ValidationError(problems);
  const name = input.name?.trim();
  return prisma.$transaction(async (tx) => {
    await lockAccount(tx, accountId); // so that two renames cannot both take the same name
    const existing = await tx.template.findFirst({ where: { id: templateId, accountId }, select: { id: true } });
    if (!existing) throw new NotFoundError('Template');
    if (name) await ensureNameFree(tx, accountId, name, templateId);
    return tx.template.update({
      where: { id: templateId },
      data: { ...(name ? { name } : {}), ...(input.text != null ? { body: input.text } : {}) },
    });
  });
}

export async function deleteTemplate(actor: Actor, templateId: string): Promise<void> {
  requirePermission(actor, 'campaigns:write');
  const { count } = await prisma.template.deleteMany({ where: { id: templateId, accountId: actor.accountId } });
  if (count === 0) throw new NotFoundError('Template');
}
