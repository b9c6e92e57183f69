import { describe, expect, it } from 'vitest';
import { CampaignMessagePlanner, type CampaignMessageSettings } from '../../../src/domain/campaigns/campaign-messages.js';
import { PreviewTally } from '../../../src/domain/campaigns/preview-tally.js';
import { DEFAULT_PRICE_LIST } from '../../../src/domain/messaging/default-price-list.js';
import { DEFAULT_SENDING_RULES } from '../../../src/domain/messaging/default-sending-rules.js';
import { countSegments } from '../../../src/domain/messaging/segments.js';

// A Tuesday at 10:00 in Paris (inside the marketing window) and a Sunday at 10:00.
const TUESDAY = new Date('2026-12-01T09:00:00Z');
const SUNDAY = new Date('2026-12-06T09:00:00Z');

function planner(overrides: Partial<CampaignMessageSettings> = {}) {
  return new CampaignMessagePlanner({
    text: 'Bonjour {firstname|client}, -20 % à {Ville} !',
    type: 'MARKETING',
    smartEncoding: false,
    twoWay: false,
    fieldNames: ['Ville', null, null, null, null],
    priceList: DEFAULT_PRICE_LIST,
    rules: DEFAULT_SENDING_RULES,
    requestedAt: TUESDAY,
    ...overrides,
  });
}

const jeanne = { firstName: 'Jeanne', lastName: 'Martin', fields: ['Lyon', null, null, null, null] };

describe('CampaignMessagePlanner', () => {
  it('adds the two-way surcharge (0.03 per message to France) to a two-way campaign', () => {
    const oneWay = planner().plan('+33612345678', 'FR', 'MOBILE', jeanne, false);
    const twoWay = planner({ twoWay: true }).plan('+33612345678', 'FR', 'MOBILE', jeanne, false);
    expect(oneWay).toMatchObject({ outcome: 'SEND', price: 45_000 });
    expect(twoWay).toMatchObject({ outcome: 'SEND', price: 75_000 });
  });

  it('personalises, adds the French opt-out mention to marketing, and prices per segment', () => {
    const plan = planner().plan('+33612345678', 'FR', 'MOBILE', jeanne, false);
    expect(plan).toMatchObject({
      outcome: 'SEND',
      text: 'Bonjour Jeanne, -20 % à Lyon !\nSTOP au 30101',
      encoding: 'GSM7',
      segments: 1,
      price: 45_000,
      sendAfter: TUESDAY,
      held: false,
    });
  });

  it('uses defaults for pasted numbers and counts segments like the messaging core', () => {
    const plan = planner({ text: `{firstname|client} ${'x'.repeat(150)}` }).plan('+33612345678', 'FR', 'MOBILE', null, false);
    if (plan.outcome !== 'SEND') throw new Error(plan.outcome);
    expect(plan.text.startsWith('client ')).toBe(true);
    expect(plan.segments).toBe(countSegments(plan.text).segments);
    expect(plan.segments).toBe(2);
    expect(plan.price).toBe(90_000);
  });

  it('sends transactional messages at once, without the mention, and prices other countries from the list', () => {
    const plan = planner({ type: 'TRANSACTIONAL', requestedAt: SUNDAY }).plan('+32470123456', 'BE', 'MOBILE', jeanne, false);
    expect(plan).toMatchObject({ outcome: 'SEND', text: 'Bonjour Jeanne, -20 % à Lyon !', price: 72_000, sendAfter: SUNDAY, held: false });
  });

  it('holds French marketing until the window opens (Sunday -> Monday 08:00 Paris)', () => {
    const plan = planner({ requestedAt: SUNDAY }).plan('+33612345678', 'FR', 'MOBILE', jeanne, false);
    expect(plan).toMatchObject({ outcome: 'SEND', sendAfter: new Date('2026-12-07T07:00:00Z'), held: true });
  });

  it('plans blacklisted numbers (written, never charged) and refuses what cannot be sent', () => {
    const p = planner();
    expect(p.plan('+33612345678', 'FR', 'MOBILE', jeanne, true)).toMatchObject({ outcome: 'BLACKLISTED' });
    expect(p.plan('+33142685300', 'FR', 'FIXED_LINE', jeanne, false)).toMatchObject({ outcome: 'INVALID', reason: 'NOT_MOBILE' });
    const long = { ...jeanne, fields: ['y'.repeat(100), null, null, null, null] };
    const tooLong = planner({ text: `${'z'.repeat(1450)} {Ville}` }).plan('+33612345678', 'FR', 'MOBILE', long, false);
    expect(tooLong).toMatchObject({ outcome: 'INVALID', reason: 'TOO_LONG' });
  });

  it('renders a text without placeholders once per country, identically', () => {
    const p = planner({ text: 'Soldes ce week-end’' , smartEncoding: true });
    const first = p.plan('+33612345678', 'FR', 'MOBILE', jeanne, false);
    const second = p.plan('+33612345679', 'FR', 'MOBILE', null, false);
    expect(first).toMatchObject({ text: "Soldes ce week-end'\nSTOP au 30101", encoding: 'GSM7' });
    expect(second).toMatchObject({ text: (first as { text: string }).text, price: (first as { price: number }).price });
  });
});

describe('PreviewTally', () => {
  it('counts recipients, removals, segments, encodings and cost per country', () => {
    const p = planner();
    const tally = new PreviewTally();
    tally.add(p.plan('+33612345678', 'FR', 'MOBILE', jeanne, false));
    tally.add(p.plan('+33612345679', 'FR', 'MOBILE', { ...jeanne, firstName: 'Zoé 😀' }, false));
    tally.add(p.plan('+32470123456', 'BE', 'MOBILE', jeanne, false));
    tally.add(p.plan('+33612345670', 'FR', 'MOBILE', jeanne, true));
    tally.add(p.plan('+33142685300', 'FR', 'FIXED_LINE', jeanne, false));
    tally.addRefused('06 12', 'INVALID_NUMBER', 'too short');
    tally.addRefused('+33612345678', 'DUPLICATE_NUMBER', 'twice');
    tally.addDuplicate();
    const result = tally.result();
    expect(result).toMatchObject({
      selected: 8,
      duplicates: 2,
      blacklisted: 1,
      invalid: 2,
      recipients: 3,
      segments: { total: 3, min: 1, max: 1 },
      encodings: { GSM7: 2, UCS2: 1 },
      cost: 45_000 * 2 + 72_000,
    });
    expect(result.byCountry.map((line) => [line.country, line.recipients, line.cost])).toEqual([
      ['BE', 1, 72_000],
      ['FR', 2, 90_000],
    ]);
    expect(result.invalidNumbers.map((entry) => entry.reason)).toEqual(['NOT_MOBILE', 'INVALID_NUMBER']);
    expect(result.sample?.recipient).toBe('+33612345678');
  });
});
