import { describe, expect, it } from 'vitest';
import { statusEventsOf, type ChangedMessage } from '../../../src/jobs/carrier-events.js';

const ACCOUNT = '0192f0aa-0000-7000-8000-000000000001';
const CAMPAIGN = '0192f0aa-0000-7000-8000-0000000000c1';

function change(id: string, status: string, campaignId: string | null = CAMPAIGN, kind = 'MARKETING'): ChangedMessage {
  return { id, account_id: ACCOUNT, status, kind, campaign_id: campaignId };
}

describe('status events (messageStatusesChanged)', () => {
  it('groups changes by campaign and status, hand-overs first, so that no message is seen final before handed over', () => {
    // A receipt batch: A's receipt, then B recorded from its own receipt (TRANSMITTED) and B's status.
    const events = statusEventsOf([change('1', 'DELIVERED'), change('2', 'TRANSMITTED'), change('2', 'DELIVERED'), change('3', 'DELIVERED', null)]);
    expect(events).toEqual([
      { accountId: ACCOUNT, campaignId: CAMPAIGN, status: 'TRANSMITTED', messageIds: ['2'] },
      { accountId: ACCOUNT, campaignId: CAMPAIGN, status: 'DELIVERED', messageIds: ['1', '2'] },
      { accountId: ACCOUNT, campaignId: null, status: 'DELIVERED', messageIds: ['3'] },
    ]);
  });

  it('leaves out the platform’s own service messages', () => {
    expect(statusEventsOf([change('1', 'DELIVERED', null, 'SERVICE')])).toEqual([]);
  });

  it('splits a large batch (ids of 19 digits) so that each event fits in a notification', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => String(10n ** 18n + BigInt(i)));
    const events = statusEventsOf(ids.map((id) => change(id, 'DELIVERED')));
    expect(events.length).toBeGreaterThan(1);
    expect(events.flatMap((event) => event.messageIds)).toEqual(ids);
    for (const event of events) expect(Buffer.byteLength(`messageStatusesChanged:${ACCOUNT}\t${JSON.stringify(event)}`)).toBeLessThan(7900);
  });
});
