/**
 * Every live event, by name, with its payload. Payloads carry ids and small facts (the
 * subscription resolver loads the rest), so each stays far under PostgreSQL's 8 kB NOTIFY limit.
 * Topics are per account: `<event>:<accountId>`, so a subscriber only ever receives its own
 * account's events.
 */
export interface EventPayloads {
  /** A batch of a contact import committed, or the import finished. */
  contactImportProgress: { accountId: string; importId: string };
  accountUpdated: { accountId: string; change: 'SERVICE_ACTIVATED' | 'PLAN_CHANGED' | 'PROFILE_CHANGED' };
}

export type EventName = keyof EventPayloads;

/** Yoga's pub/sub shape: each event is published with the account id as its topic id. */
export type PubSubChannels = { [Name in EventName]: [accountId: string, payload: EventPayloads[Name]] };
