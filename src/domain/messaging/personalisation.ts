/**
 * Personalised messages: templates with placeholders, compiled once per campaign and rendered
 * once per recipient.
 *
 * Syntax:
 * - `{firstname}`, `{lastname}`, `{link}` (the recipient's tracked link), `{code}` (OTP code)
 *   and the account's dynamic fields by name, e.g. `{city}`. Names are case-insensitive and may
 *   be padded with spaces: `{ FirstName }` is `{firstname}`.
 * - A default after a pipe, used when the value is missing or blank: `{firstname|Client}`.
 *   The default is taken as written (spaces included) up to the closing brace.
 * - `{{` and `}}` write a literal brace. A lone `}` is also kept as it is.
 * Unknown placeholders and a `{` that is never closed are problems reported at compilation; an
 * unknown placeholder is rendered as written so the preview shows it.
 */
import { smartEncode } from './encoding.js';
import { SegmentTally, type SegmentCount } from './segments.js';

export const BUILT_IN_FIELDS = ['firstname', 'lastname', 'link', 'code'] as const;
export type BuiltInField = (typeof BUILT_IN_FIELDS)[number];

/** An account has at most this many dynamic contact fields. */
export const MAX_DYNAMIC_FIELDS = 5;

export type TemplatePiece =
  | { kind: 'text'; text: string }
  | { kind: 'field'; field: string; fallback: string };

/**
 * Internal form used by renderCounted: literal figures computed once, and the literal after smart
 * encoding (`smartText` null when it keeps a character without GSM equivalent).
 */
export type CountedPiece =
  | { field: null; text: string; tally: SegmentTally; smartText: string | null; smartTally: SegmentTally | null; fallback: '' }
  | { field: string; text: ''; tally: null; smartText: null; smartTally: null; fallback: string };

export interface RenderedMessage {
  text: string;
  count: SegmentCount;
}

export type TemplateProblemCode = 'UNKNOWN_PLACEHOLDER' | 'UNCLOSED_PLACEHOLDER';

export interface TemplateProblem {
  code: TemplateProblemCode;
  message: string;
  /** The placeholder as written, e.g. `{prenom}`. */
  placeholder: string;
  /** Offset of the placeholder in the template, in UTF-16 code units. */
  index: number;
}

export interface CompiledTemplate {
  source: string;
  /** Literal text and fields alternating; adjacent literals are merged. */
  pieces: readonly TemplatePiece[];
  /** Field names used, each once, in the canonical spelling used as key of the values. */
  fields: readonly string[];
  problems: readonly TemplateProblem[];
  /** `pieces` with the segment figures of each literal, for renderCounted. */
  readonly counted: readonly CountedPiece[];
  /** Every literal piece can be smart-encoded to GSM-7. */
  readonly smartCapable: boolean;
}

/** Values of one recipient, keyed by canonical field name (built-ins in lower case, dynamic
 * fields as the account spells them). Missing, null and blank values use the default. */
export type TemplateValues = Readonly<Record<string, string | null | undefined>>;

export interface TemplateOptions {
  /** The account's dynamic field names (at most MAX_DYNAMIC_FIELDS). */
  dynamicFields?: readonly string[];
}

function canonicalFieldNames(dynamicFields: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const field of dynamicFields) names.set(field.trim().toLowerCase(), field.trim());
  for (const field of BUILT_IN_FIELDS) names.set(field, field); // built-ins win over a homonym
  return names;
}

export function compileTemplate(source: string, options: TemplateOptions = {}): CompiledTemplate {
  const names = canonicalFieldNames(options.dynamicFields ?? []);
  const pieces: TemplatePiece[] = [];
  const fields: string[] = [];
  const problems: TemplateProblem[] = [];
  let literal = '';

  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{', i);
    const close = source.indexOf('}}', i);
    // `}}` before the next `{` is an escaped closing brace.
    if (close !== -1 && (open === -1 || close < open)) {
      literal += source.slice(i, close) + '}';
      i = close + 2;
      continue;
    }
    if (open === -1) {
      literal += source.slice(i);
      break;
    }
    literal += source.slice(i, open);
    if (source[open + 1] === '{') {
      literal += '{';
      i = open + 2;
      continue;
    }
    const end = source.indexOf('}', open + 1);
    const nextOpen = source.indexOf('{', open + 1);
    if (end === -1 || (nextOpen !== -1 && nextOpen < end)) {
      const placeholder = source.slice(open, nextOpen === -1 ? Math.min(source.length, open + 20) : nextOpen);
      problems.push({
        code: 'UNCLOSED_PLACEHOLDER',
        message: `"${placeholder}" opens a placeholder that is never closed; write {{ for a literal brace.`,
        placeholder,
        index: open,
      });
      literal += '{';
      i = open + 1;
      continue;
    }
    const placeholder = source.slice(open, end + 1);
    const inner = source.slice(open + 1, end);
    const pipe = inner.indexOf('|');
    const name = (pipe === -1 ? inner : inner.slice(0, pipe)).trim();
    const fallback = pipe === -1 ? '' : inner.slice(pipe + 1);
    const field = names.get(name.toLowerCase());
    if (field === undefined) {
      const known = [...names.values()].map((n) => `{${n}}`).join(', ');
      problems.push({
        code: 'UNKNOWN_PLACEHOLDER',
        message: `Unknown placeholder ${placeholder}; available: ${known}.`,
        placeholder,
        index: open,
      });
      literal += placeholder;
    } else {
      if (literal !== '') pieces.push({ kind: 'text', text: literal });
      literal = '';
      pieces.push({ kind: 'field', field, fallback });
      if (!fields.includes(field)) fields.push(field);
    }
    i = end + 1;
  }
  if (literal !== '') pieces.push({ kind: 'text', text: literal });
  let smartCapable = true;
  const counted = pieces.map((piece): CountedPiece => {
    if (piece.kind === 'field') return { field: piece.field, text: '', tally: null, smartText: null, smartTally: null, fallback: piece.fallback };
    const tally = new SegmentTally();
    tally.add(piece.text);
    const smartText = smartEncode(piece.text).text;
    const smartTally = new SegmentTally();
    smartTally.add(smartText);
    if (!smartTally.gsm) smartCapable = false;
    return { field: null, text: piece.text, tally, smartText: smartTally.gsm ? smartText : null, smartTally: smartTally.gsm ? smartTally : null, fallback: '' };
  });
  return { source, pieces, fields, problems, counted, smartCapable };
}

function isBlank(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0xa0) return false;
  }
  return true;
}

/** The message of one recipient. Missing or blank values render the default, else nothing. */
export function renderTemplate(template: CompiledTemplate, values: TemplateValues): string {
  const pieces = template.pieces;
  let text = '';
  for (let p = 0; p < pieces.length; p++) {
    const piece = pieces[p]!;
    if (piece.kind === 'text') {
      text += piece.text;
    } else {
      const value = values[piece.field];
      text += value === undefined || value === null || isBlank(value) ? piece.fallback : value;
    }
  }
  return text;
}

const tally = new SegmentTally(); // reused: rendering is synchronous and not re-entrant

export interface RenderOptions {
  /** Same result as `smartEncode` applied to the rendered text. */
  smartEncoding?: boolean;
}

/**
 * renderTemplate and countSegments in one pass that scans only the values: the literal pieces
 * were counted (and smart-encoded) at compilation. Same text and count as
 * `countSegments(renderTemplate(...))`, or with smart encoding as
 * `countSegments(smartEncode(renderTemplate(...)).text)` (property tests check both).
 */
export function renderCounted(template: CompiledTemplate, values: TemplateValues, options: RenderOptions = {}): RenderedMessage {
  if (options.smartEncoding === true && template.smartCapable) {
    // Smart encoding maps character by character, so encoding each piece is encoding the
    // whole, provided the whole ends up GSM-7; otherwise the text is left as it was.
    const smart = render(template, values, true);
    if (smart !== null) return smart;
  }
  return render(template, values, false) as RenderedMessage;
}

function render(template: CompiledTemplate, values: TemplateValues, smart: boolean): RenderedMessage | null {
  const pieces = template.counted;
  tally.reset();
  let text = '';
  for (let p = 0; p < pieces.length; p++) {
    const piece = pieces[p]!;
    if (piece.field === null) {
      if (smart) {
        text += piece.smartText ?? '';
        if (piece.smartTally !== null) tally.addTally(piece.smartTally);
      } else {
        text += piece.text;
        tally.addTally(piece.tally);
      }
    } else {
      const value = values[piece.field];
      let chosen = value === undefined || value === null || isBlank(value) ? piece.fallback : value;
      if (smart) chosen = smartEncode(chosen).text;
      text += chosen;
      tally.add(chosen);
    }
  }
  if (smart && !tally.gsm) return null;
  return { text, count: tally.result(text) };
}
