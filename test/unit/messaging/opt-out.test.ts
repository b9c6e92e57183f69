import { describe, expect, it } from 'vitest';
import { DEFAULT_SENDING_RULES } from '../../../src/domain/messaging/default-sending-rules.js';
import { isOptOutReply, optOutMention, withOptOutMention } from '../../../src/domain/messaging/opt-out.js';
import { countSegments } from '../../../src/domain/messaging/segments.js';

const rules = DEFAULT_SENDING_RULES;

describe('opt-out mention', () => {
  it.each<[string, 'MARKETING' | 'TRANSACTIONAL', string | null, string]>([
    ['Soldes -30% ce week-end', 'MARKETING', 'FR', 'Soldes -30% ce week-end\nSTOP au 30101'],
    ['Soldes -30% ce week-end  \n', 'MARKETING', 'FR', 'Soldes -30% ce week-end\nSTOP au 30101'],
    ['Soldes -30%. STOP au 30101', 'MARKETING', 'FR', 'Soldes -30%. STOP au 30101'],
    ['Soldes -30%\nstop  au 30101 ', 'MARKETING', 'FR', 'Soldes -30%\nstop  au 30101 '],
    ['Votre code: 123456', 'TRANSACTIONAL', 'FR', 'Votre code: 123456'],
    ['Sale this weekend', 'MARKETING', 'GB', 'Sale this weekend'],
    ['Sale', 'MARKETING', null, 'Sale'],
  ])('%j (%s to %s) is sent as %j', (text, type, country, expected) => {
    expect(withOptOutMention(text, type, country, rules)).toBe(expected);
  });

  it('only marketing to France gets a mention', () => {
    expect(optOutMention('MARKETING', 'FR', rules)).toBe('STOP au 30101');
    expect(optOutMention('TRANSACTIONAL', 'FR', rules)).toBeNull();
    expect(optOutMention('MARKETING', 'DE', rules)).toBeNull();
  });

  it('the mention counts in segments: 147 characters fit one SMS alone, not with the mention', () => {
    const text = 'a'.repeat(147);
    expect(countSegments(text).segments).toBe(1);
    expect(countSegments(withOptOutMention(text, 'MARKETING', 'FR', rules)).segments).toBe(2);
    expect(countSegments(withOptOutMention('a'.repeat(146), 'MARKETING', 'FR', rules))).toMatchObject({ units: 160, segments: 1 });
  });
});

describe('isOptOutReply', () => {
  it.each([
    'STOP', 'stop', ' Stop ', 'STOP!', 'stop.', '"STOP"', 'STOP SMS', 'stop sms', 'Stop-SMS', 'STOPSMS',
    'ARRET', 'ARRÊT', 'arrêt', 'Arrêt !', 'ARRETER', 'UNSUBSCRIBE', 'Unsubscribe.', 'STOPALL', 'stop all',
    'DESABONNER', 'désabonner', 'Désinscription', 'END', 'quit', 'Opt-out', 'stop 🙏', '\nSTOP\n',
  ])('%j is an opt-out', (reply) => {
    expect(isOptOutReply(reply)).toBe(true);
  });

  it.each([
    'stop calling me at night', 'Stop, c’est trop', 'Bonjour', 'OK', 'STOPPER', 'Oui stop', 'non', '', '   ', '!!!',
    'arrête de m’écrire demain', 'unstop', '30101',
  ])('%j is not an opt-out', (reply) => {
    expect(isOptOutReply(reply)).toBe(false);
  });

  it('accepts a custom keyword list', () => {
    expect(isOptOutReply('Basta', ['BASTA'])).toBe(true);
    expect(isOptOutReply('STOP', ['BASTA'])).toBe(false);
  });
});
