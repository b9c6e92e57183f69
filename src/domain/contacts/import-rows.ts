/**
 * The rows of a contact import: which column goes where, and one CSV record to a contact row
 * or a reason for refusing it. Pure.
 */
import { parsePhone, type PhoneParseOptions } from '../phone.js';
import type { ContactFieldDefinition } from './contact-fields.js';
import { MAX_FIELD_VALUE_LENGTH, MAX_NAME_LENGTH, MAX_TAG_LENGTH, MAX_TAGS } from './contact-limits.js';

export type ImportTarget = 'NUMBER' | 'FIRST_NAME' | 'LAST_NAME' | 'FIELD' | 'TAGS' | 'IGNORE';

export interface ImportColumnChoice {
  /** Header text of the column (case and surrounding spaces ignored). */
  column: string;
  target: ImportTarget;
  /** Name of the dynamic field, for target FIELD (created when the account has room). */
  fieldName?: string | null;
}

/** Column indexes (0-based) of each target; stored with the import. */
export interface ImportMapping {
  number: number;
  firstName: number | null;
  lastName: number | null;
  tags: number | null;
  /** Dynamic fields by name; positions are resolved when the job starts. */
  fields: { column: number; name: string }[];
}

const AUTO_TARGETS: [RegExp, ImportTarget][] = [
  [/^(phone|phone ?number|number|mobile|mobile ?phone|cell|msisdn|tel|t[ée]l[ée]phone|num[ée]ro|portable|gsm)$/i, 'NUMBER'],
  [/^(first ?name|given ?name|pr[ée]nom)$/i, 'FIRST_NAME'],
  [/^(last ?name|surname|family ?name|nom|nom de famille)$/i, 'LAST_NAME'],
  [/^(tags?|[ée]tiquettes?)$/i, 'TAGS'],
];

function clean(header: string): string {
  return header.trim().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ');
}

/**
 * The mapping of an import: the columns chosen, or without a choice the columns whose header
 * says number, first name, last name, tags or an existing field name. Lists every problem.
 */
export function resolveMapping(
  header: readonly string[],
  choices: readonly ImportColumnChoice[] | null | undefined,
  existingFields: readonly ContactFieldDefinition[],
): { mapping: ImportMapping | null; problems: string[] } {
  const problems: string[] = [];
  const mapping: ImportMapping = { number: -1, firstName: null, lastName: null, tags: null, fields: [] };
  const indexOf = (column: string) => header.findIndex((name) => clean(name).toLowerCase() === clean(column).toLowerCase());
  const assign = (target: ImportTarget, column: number, fieldName: string | null | undefined) => {
    const label = `"${header[column]}"`;
    switch (target) {
      case 'NUMBER':
        if (mapping.number !== -1) problems.push(`Two columns are mapped to the number (${header[mapping.number]} and ${header[column]}).`);
        mapping.number = column;
        break;
      case 'FIRST_NAME':
        if (mapping.firstName !== null) problems.push(`Two columns are mapped to the first name; ${label} is one too many.`);
        mapping.firstName = column;
        break;
      case 'LAST_NAME':
        if (mapping.lastName !== null) problems.push(`Two columns are mapped to the last name; ${label} is one too many.`);
        mapping.lastName = column;
        break;
      case 'TAGS':
        if (mapping.tags !== null) problems.push(`Two columns are mapped to the tags; ${label} is one too many.`);
        mapping.tags = column;
        break;
      case 'FIELD': {
        const name = (fieldName ?? header[column] ?? '').trim();
        if (mapping.fields.some((field) => field.name.toLowerCase() === name.toLowerCase())) problems.push(`Two columns are mapped to the field "${name}".`);
        else mapping.fields.push({ column, name });
        break;
      }
      case 'IGNORE':
        break;
    }
  };
  if (choices && choices.length > 0) {
    for (const choice of choices) {
      const column = indexOf(choice.column);
      if (column === -1) problems.push(`The file has no column "${choice.column}" (columns: ${header.map((name) => `"${name}"`).join(', ')}).`);
      else assign(choice.target, column, choice.fieldName);
    }
  } else {
    header.forEach((name, column) => {
      const target = AUTO_TARGETS.find(([pattern]) => pattern.test(clean(name)))?.[1];
      if (target) assign(target, column, null);
      else if (existingFields.some((field) => field.name.toLowerCase() === name.trim().toLowerCase())) assign('FIELD', column, name.trim());
    });
  }
  if (mapping.number === -1) {
    problems.push(
      choices && choices.length > 0
        ? 'No column is mapped to the phone number.'
        : `No column holds phone numbers: name it "phone" (or number, mobile, téléphone...) or give a mapping. Columns found: ${header
            .slice(0, 12)
            .map((name) => `"${name.slice(0, 30)}"`)
            .join(', ')}.`,
    );
  }
  return { mapping: problems.length === 0 ? mapping : null, problems };
}

/** A row ready for the database; `fields` by position 1-5 (index 0-4). */
export interface ContactRow {
  number: string;
  callingCode: string;
  firstName: string | null;
  lastName: string | null;
  fields: (string | null)[];
  /** Tags joined with `|` (which tags cannot contain). */
  tags: string | null;
}

export type RowRefusal = { reason: string; value: string; message: string };
export type RowResult = { ok: true; row: ContactRow } | ({ ok: false } & RowRefusal);

export interface RowContext {
  mapping: ImportMapping;
  /** Position (1-5) of each mapping.fields entry, same order. */
  fieldPositions: readonly number[];
  /** The list's default calling code: national numbers take it, other countries are refused. */
  listCallingCode: string | null;
}

function text(record: readonly string[], column: number | null): string | null {
  if (column === null) return null;
  const value = record[column]?.trim() ?? '';
  return value === '' ? null : value;
}

function refuse(reason: string, value: string, message: string): RowResult {
  return { ok: false, reason, value, message };
}

let lastCallingCode: string | null = null;
let lastPhoneOptions: PhoneParseOptions = {};
/** The phone options of a list's calling code, made once (this runs for every row of a file). */
function phoneOptionsFor(callingCode: string | null): PhoneParseOptions {
  if (callingCode !== lastCallingCode) {
    lastCallingCode = callingCode;
    lastPhoneOptions = callingCode ? { defaultCallingCode: callingCode } : {};
  }
  return lastPhoneOptions;
}

function tooLong(value: string | null, label: string, max: number): RowResult | null {
  return value && value.length > max ? refuse('VALUE_TOO_LONG', value, `The ${label} has ${value.length} characters; at most ${max}.`) : null;
}

export function normaliseImportRow(record: readonly string[], context: RowContext): RowResult {
  const { mapping } = context;
  const raw = record[mapping.number] ?? '';
  const parsed = parsePhone(raw, phoneOptionsFor(context.listCallingCode));
  if (!parsed.ok) return refuse(parsed.reason, raw, parsed.message);
  const phone = parsed.phone;
  if (context.listCallingCode && phone.callingCode !== context.listCallingCode) {
    return refuse('OTHER_COUNTRY', raw, `${phone.e164} is a +${phone.callingCode} number; the list's default prefix +${context.listCallingCode} keeps it to +${context.listCallingCode} numbers.`);
  }
  const firstName = text(record, mapping.firstName);
  const lastName = text(record, mapping.lastName);
  const nameRefused = tooLong(firstName, 'first name', MAX_NAME_LENGTH) ?? tooLong(lastName, 'last name', MAX_NAME_LENGTH);
  if (nameRefused) return nameRefused;
  const fields: (string | null)[] = [null, null, null, null, null];
  for (let index = 0; index < mapping.fields.length; index++) {
    const field = mapping.fields[index]!;
    const value = text(record, field.column);
    if (value && value.length > MAX_FIELD_VALUE_LENGTH) {
      return refuse('VALUE_TOO_LONG', value, `The field "${field.name}" has ${value.length} characters; at most ${MAX_FIELD_VALUE_LENGTH}.`);
    }
    fields[context.fieldPositions[index]! - 1] = value;
  }
  let tags: string | null = null;
  const tagCell = text(record, mapping.tags);
  if (tagCell) {
    const unique = [...new Set(tagCell.split(/[|,;]/).map((tag) => tag.trim()).filter(Boolean))];
    if (unique.length > MAX_TAGS) return refuse('TOO_MANY_TAGS', tagCell, `${unique.length} tags; at most ${MAX_TAGS} per contact.`);
    const long = unique.find((tag) => tag.length > MAX_TAG_LENGTH);
    if (long) return refuse('VALUE_TOO_LONG', long, `The tag has ${long.length} characters; at most ${MAX_TAG_LENGTH}.`);
    tags = unique.join('|');
  }
  return { ok: true, row: { number: phone.e164, callingCode: phone.callingCode, firstName, lastName, fields, tags } };
}
