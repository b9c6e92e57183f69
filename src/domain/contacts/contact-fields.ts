/**
 * Dynamic contact fields: up to five names per account, each bound to one column
 * (`field_1`..`field_5`) by its position. Values are at most 100 characters.
 */
import { prisma, type Db } from '../../db/client.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { ValidationError, type FieldProblem } from '../errors.js';
import { BUILT_IN_FIELDS, MAX_DYNAMIC_FIELDS } from '../messaging/personalisation.js';
import { lockAccount } from '../plans.js';

import { MAX_FIELD_VALUE_LENGTH } from './contact-limits.js';

export { MAX_FIELD_VALUE_LENGTH, MAX_NAME_LENGTH } from './contact-limits.js';

export const FIELD_COLUMNS = ['field1', 'field2', 'field3', 'field4', 'field5'] as const;
export type FieldColumn = (typeof FIELD_COLUMNS)[number];
/** SQL column of each position. */
export const FIELD_SQL_COLUMNS = ['field_1', 'field_2', 'field_3', 'field_4', 'field_5'] as const;

export interface ContactFieldDefinition {
  position: number;
  name: string;
}

// Usable as a `{name}` placeholder: no braces, pipe or line break, and not a built-in name.
const FIELD_NAME = /^[\p{L}\p{N}_][\p{L}\p{N}_ .-]{0,39}$/u;

export function fieldNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (!FIELD_NAME.test(trimmed)) {
    return `"${name}" is not a valid field name: 1-40 letters, digits, spaces, _ . or -, starting with a letter or digit.`;
  }
  if ((BUILT_IN_FIELDS as readonly string[]).includes(trimmed.toLowerCase()) || ['number', 'phone'].includes(trimmed.toLowerCase())) {
    return `"${name}" is a built-in field name; choose another.`;
  }
  return null;
}

export async function loadContactFields(db: Db, accountId: string): Promise<ContactFieldDefinition[]> {
  return db.contactField.findMany({ where: { accountId }, orderBy: { position: 'asc' }, select: { position: true, name: true } });
}

export function columnOf(position: number): FieldColumn {
  const column = FIELD_COLUMNS[position - 1];
  if (!column) throw new Error(`no dynamic field column at position ${position}`);
  return column;
}

export function findField(definitions: readonly ContactFieldDefinition[], name: string): ContactFieldDefinition | undefined {
  const wanted = name.trim().toLowerCase();
  return definitions.find((definition) => definition.name.toLowerCase() === wanted);
}

/**
 * Adds the field names not defined yet, in free positions. Call inside a transaction that
 * holds the account lock. Refuses a sixth field, naming the five that exist.
 */
export async function ensureContactFields(tx: Db, accountId: string, names: readonly string[], inputPath = 'fields'): Promise<ContactFieldDefinition[]> {
  const definitions = await loadContactFields(tx, accountId);
  const problems: FieldProblem[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const problem = fieldNameProblem(name);
    if (problem) problems.push({ field: inputPath, message: problem });
    else if (!findField(definitions, name) && !missing.some((m) => m.toLowerCase() === name.trim().toLowerCase())) missing.push(name.trim());
  }
  if (problems.length > 0) throw new ValidationError(problems);
  const free = [1, 2, 3, 4, 5].filter((position) => !definitions.some((definition) => definition.position === position));
  if (missing.length > free.length) {
    const existing = definitions.map((definition) => definition.name).join(', ') || 'none';
    throw ValidationError.single(
      inputPath,
      `An account has at most ${MAX_DYNAMIC_FIELDS} dynamic fields (existing: ${existing}); cannot add ${missing.map((m) => `"${m}"`).join(', ')}.`,
    );
  }
  for (const [index, name] of missing.entries()) {
    const position = free[index]!;
    await tx.contactField.create({ data: { accountId, position, name } });
    definitions.push({ position, name });
  }
  return definitions.sort((a, b) => a.position - b.position);
}

/**
 * Field values of an input ({name, value} pairs) as column values; blank values clear the
 * field. Every unknown name and over-long value is reported.
 */
export function fieldColumnsFromInput(
  definitions: readonly ContactFieldDefinition[],
  values: readonly { name: string; value?: string | null | undefined }[],
  inputPath = 'fields',
): Partial<Record<FieldColumn, string | null>> {
  const problems: FieldProblem[] = [];
  const columns: Partial<Record<FieldColumn, string | null>> = {};
  values.forEach((entry, index) => {
    const definition = findField(definitions, entry.name);
    if (!definition) {
      const known = definitions.map((d) => d.name).join(', ') || 'none defined';
      problems.push({ field: `${inputPath}.${index}.name`, message: `Unknown field "${entry.name}" (fields of this account: ${known}).` });
      return;
    }
    const value = entry.value?.trim() ?? '';
    if (value.length > MAX_FIELD_VALUE_LENGTH) {
      problems.push({ field: `${inputPath}.${index}.value`, message: `The value of "${definition.name}" has ${value.length} characters; at most ${MAX_FIELD_VALUE_LENGTH} are allowed.` });
      return;
    }
    columns[columnOf(definition.position)] = value === '' ? null : value;
  });
  if (problems.length > 0) throw new ValidationError(problems);
  return columns;
}

/** Field values of a contact row by field name, in position order. */
export function fieldValuesOf(
  definitions: readonly ContactFieldDefinition[],
  contact: Partial<Record<FieldColumn, string | null>>,
): { name: string; value: string | null }[] {
  return definitions.map((definition) => ({ name: definition.name, value: contact[columnOf(definition.position)] ?? null }));
}

/**
 * Sets the account's field names by position (the n-th name is field n; a blank name or a
 * position past the end removes that field and clears its values on every contact).
 */
export async function setContactFields(actor: Actor, names: readonly string[]): Promise<ContactFieldDefinition[]> {
  requirePermission(actor, 'contacts:write');
  if (names.length > MAX_DYNAMIC_FIELDS) {
    throw ValidationError.single('names', `An account has at most ${MAX_DYNAMIC_FIELDS} dynamic fields; ${names.length} were given.`);
  }
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name.trim() === '') return;
    const problem = fieldNameProblem(name);
    if (problem) problems.push({ field: `names.${index}`, message: problem });
    else if (seen.has(name.trim().toLowerCase())) problems.push({ field: `names.${index}`, message: `"${name}" is given twice.` });
    seen.add(name.trim().toLowerCase());
  });
  if (problems.length > 0) throw new ValidationError(problems);
  const accountId = actor.accountId;
  return prisma.$transaction(async (tx) => {
    await lockAccount(tx, accountId);
    const removed: number[] = [];
    for (let position = 1; position <= MAX_DYNAMIC_FIELDS; position++) {
      const name = names[position - 1]?.trim() ?? '';
      if (name === '') {
        const { count } = await tx.contactField.deleteMany({ where: { accountId, position } });
        if (count > 0) removed.push(position);
      }
    }
    // Free every name first so that swapping two names does not trip the unique constraint.
    await tx.contactField.deleteMany({ where: { accountId } });
    for (const [index, raw] of names.entries()) {
      if (raw.trim() !== '') await tx.contactField.create({ data: { accountId, position: index + 1, name: raw.trim() } });
    }
    for (const position of removed) {
      await tx.contact.updateMany({ where: { accountId, NOT: { [columnOf(position)]: null } }, data: { [columnOf(position)]: null } });
    }
    return loadContactFields(tx, accountId);
  });
}
