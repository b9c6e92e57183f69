import { describe, expect, it } from 'vitest';
import type { Actor } from '../../../src/domain/auth/actor.js';
import {
  conversationAudienceKeys,
  conversationEventAudience,
  conversationEventFilter,
  maySeeConversation,
} from '../../../src/domain/conversations/visibility.js';
import { isE164, normaliseInboundAddress } from '../../../src/domain/numbers/inbound-addresses.js';
import { parseSharedShortCodes, sharedShortCodeFor } from '../../../src/domain/numbers/short-codes.js';

describe('SHORT_CODES', () => {
  it.each([
    ['FR:36111', [{ country: 'FR', code: '36111' }]],
    [' fr:36111 , BE:60400,', [{ country: 'FR', code: '36111' }, { country: 'BE', code: '60400' }]],
    ['', []],
  ])('%j reads as %j', (text, expected) => {
    expect(parseSharedShortCodes(text)).toEqual(expected);
  });

  it.each([
    ['FR:3611', /5-digit/],
    ['FRA:36111', /2-letter/],
    ['36111', /COUNTRY:CODE/],
    ['FR:36111,BE:36111', /listed twice/],
  ])('%j is refused', (text, message) => {
    expect(() => parseSharedShortCodes(text)).toThrow(message);
  });

  it('picks the first short code of the country', () => {
    const codes = parseSharedShortCodes('FR:36111,FR:38100,BE:60400');
    expect([sharedShortCodeFor('FR', codes), sharedShortCodeFor('BE', codes), sharedShortCodeFor('DE', codes), sharedShortCodeFor(null, codes)]).toEqual([
      '36111',
      '60400',
      null,
      null,
    ]);
  });
});

describe('inbound addresses', () => {
  it.each([
    ['36111', null, '36111'],
    [' 36111 ', null, '36111'],
    ['+33612345678', null, '+33612345678'],
    ['33612345678', null, '+33612345678'],
    ['0033612345678', null, '+33612345678'],
    ['0612345678', 'FR', '+33612345678'],
    ['+33 6 12 34 56 78', null, '+33612345678'],
    ['0612345678', null, '0612345678'],
    ['ORANGE', null, 'ORANGE'],
  ])('%j (default country %s) is stored as %j', (raw, country, expected) => {
    expect(normaliseInboundAddress(raw, country)).toBe(expected);
  });

  it('only E.164 numbers are routable', () => {
    expect([isE164('+33612345678'), isE164('36111'), isE164('0612345678'), isE164('+0612')]).toEqual([true, false, false, false]);
  });
});

describe('who sees a conversation', () => {
  const actor = (role: Actor['role'], userId: string | null = 'u1'): Actor => ({ kind: userId ? 'USER' : 'API_KEY', accountId: 'acc', role, userId, apiKeyId: null });
  it.each([
    ['an owner, assigned to someone else', actor('OWNER'), { accountId: 'acc', assignedUserId: 'u2' }, true],
    ['a manager, assigned to someone else', actor('MANAGER'), { accountId: 'acc', assignedUserId: 'u2' }, true],
    ['an agent, assigned to them', actor('AGENT'), { accountId: 'acc', assignedUserId: 'u1' }, true],
    ['an agent, unassigned', actor('AGENT'), { accountId: 'acc', assignedUserId: null }, true],
    ['an agent, assigned to someone else', actor('AGENT'), { accountId: 'acc', assignedUserId: 'u2' }, false],
    ['an owner, of another account', actor('OWNER'), { accountId: 'other', assignedUserId: null }, false],
    ['an analyst', actor('ANALYST'), { accountId: 'acc', assignedUserId: null }, false],
    ['an agent API key, assigned to someone', actor('AGENT', null), { accountId: 'acc', assignedUserId: 'u2' }, false],
  ])('%s: %s', (_case, who, conversation, expected) => {
    expect(maySeeConversation(who, conversation)).toBe(expected);
    if (conversation.accountId !== who.accountId || !expected) return;
    // Live events agree (they reach subscribers of their own account only): the predicate they go
    // through, and the audience keys that route them, reach everyone who may see the conversation.
    expect(conversationEventFilter(who)(conversation.assignedUserId)).toBe(true);
    const keys = conversationAudienceKeys(who);
    const audience = conversationEventAudience(conversation.assignedUserId);
    expect(keys === null || keys.some((key) => audience.includes(key))).toBe(true);
  });

  it('routes events only to the agents concerned: the assignee, the one it was taken from, or every agent for the queue', () => {
    const reaches = (who: Actor, assigned: string | null, previous: string | null) => {
      const keys = conversationAudienceKeys(who);
      return keys === null || keys.some((key) => conversationEventAudience(assigned, previous).includes(key));
    };
    expect(reaches(actor('AGENT', 'u1'), 'u2', null)).toBe(false);
    expect(reaches(actor('AGENT', 'u1'), 'u2', 'u1')).toBe(true);
    expect(reaches(actor('AGENT', 'u1'), null, 'u3')).toBe(true);
    expect(reaches(actor('AGENT', null), 'u2', null)).toBe(false);
    expect(reaches(actor('MANAGER', 'u9'), 'u2', null)).toBe(true);
    expect(conversationEventAudience('u1', 'u1')).toEqual(['user:u1']);
  });
});
