/**
 * Opt-out: the mention appended to marketing SMS where the recipient's country requires it
 * (France: "STOP au 30101"), and recognition of opt-out replies.
 *
 * The mention is separated from the text by a newline: on a handset it then reads as a footer
 * on its own line, and a newline costs one septet like a space. It is appended before segments
 * and cost are computed, so it is paid for like the rest of the text. A text that already ends
 * with the mention (the sender typed it) does not get it twice.
 */
import type { MessageType, SendingRules } from './sending-windows.js';

export const OPT_OUT_MENTION_SEPARATOR = '\n';

/** The mention to append for that type and country, or null. */
export function optOutMention(type: MessageType, country: string | null, rules: SendingRules): string | null {
  if (type !== 'MARKETING') return null;
  const rule = (country === null ? undefined : rules.countries[country]) ?? rules.default;
  return rule?.marketingOptOutMention ?? null;
}

function squeezeSpaces(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** The text as sent: with the mention appended when required and not already there. */
export function withOptOutMention(text: string, type: MessageType, country: string | null, rules: SendingRules): string {
  const mention = optOutMention(type, country, rules);
  return mention === null ? text : appendMention(text, mention, mention);
}

/** Appends `appended` unless the text already ends with `mention` (spacing and case aside). */
function appendMention(text: string, mention: string, appended: string): string {
  const end = text.trimEnd();
  if (end === '') return appended;
  // Most texts do not end with the mention's last character: skip the normalised comparison.
  const last = end.charCodeAt(end.length - 1);
  const mentionLast = mention.charCodeAt(mention.length - 1);
  const lastCharacterMatches = last === mentionLast || (last | 0x20) === (mentionLast | 0x20);
  if (lastCharacterMatches && squeezeSpaces(end.slice(-2 * mention.length)).endsWith(squeezeSpaces(mention))) return text;
  return `${end}${OPT_OUT_MENTION_SEPARATOR}${appended}`;
}

/**
 * The template source with the mention appended (braces of the mention escaped), so that a
 * campaign compiles one template per mention instead of appending it to every rendered message.
 * Renders like `withOptOutMention(renderTemplate(...))` except that trailing blanks of a value
 * ending the text are kept.
 */
export function templateWithOptOutMention(source: string, type: MessageType, country: string | null, rules: SendingRules): string {
  const mention = optOutMention(type, country, rules);
  if (mention === null) return source;
  return appendMention(source, mention, mention.replace(/[{}]/g, (brace) => brace + brace));
}

/**
 * Replies that mean "stop sending me messages", compared after normalisation (upper case, no
 * accents, punctuation and spacing ignored): French and English keywords, and the CTIA set used
 * in North America (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT).
 */
export const DEFAULT_OPT_OUT_KEYWORDS: readonly string[] = [
  'STOP',
  'STOP SMS',
  'STOPSMS',
  'STOP ALL',
  'STOPALL',
  'STOP PUB',
  'ARRET',
  'ARRET SMS',
  'ARRETER',
  'DESABONNER',
  'DESABONNEMENT',
  'DESINSCRIRE',
  'DESINSCRIPTION',
  'UNSUBSCRIBE',
  'OPT OUT',
  'OPTOUT',
  'CANCEL',
  'END',
  'QUIT',
];

/** Upper case, without accents, every run of non-letters/non-digits as one space, trimmed. */
export function normaliseReply(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

const defaultKeywordSet = new Set(DEFAULT_OPT_OUT_KEYWORDS.map(normaliseReply));

/**
 * True when the whole reply is an opt-out keyword ("Stop", " ARRÊT ! ", "stop sms."); a sentence
 * that merely contains one ("stop calling me at night") is not an opt-out.
 */
export function isOptOutReply(reply: string, keywords: readonly string[] = DEFAULT_OPT_OUT_KEYWORDS): boolean {
  const set = keywords === DEFAULT_OPT_OUT_KEYWORDS ? defaultKeywordSet : new Set(keywords.map(normaliseReply));
  const normalised = normaliseReply(reply);
  return normalised !== '' && set.has(normalised);
}
