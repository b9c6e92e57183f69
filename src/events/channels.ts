/**
 * Every live event, by name, with its payload. Payloads carry ids and small facts (the
 * subscription resolver loads the rest), so each stays far under PostgreSQL's 8 kB NOTIFY limit.
 * Topics are per account: `<event>:<accountId>`, so a subscriber only ever receives its own
 * account's events.
 */
export interface EventPayloads {
  /** A batch of a contact import committed, or the import finished. */
  contactImportProgress: { accountId: string; importId: string };
  /** An export started, wrote a page of rows, became ready or failed. */
  dataExportUpdated: { accountId: string; exportId: string };
  /**
   * Messages of one campaign (or of none) that reached one status (handed to the carrier, a final
   * receipt), a batch at a time: a few bytes per message rather than an event each, since every
   * process receives every event. `messageStatusChanged` subscribers get them one by one.
   */
  messageStatusesChanged: { accountId: string; campaignId: string | null; status: string; messageIds: string[] };
  /** Platform-internal, topic `platform`: messages are waiting; dispatchers claim them now. */
  dispatchRequested: { accountId: 'platform' };
  /** Two-way (issue 7): an SMS arrived in a conversation; `assignedUserId` decides which agents see it. The message
   *  travels with the event (`text` null when too long for a notification: subscribers load it), so that
   *  delivering it to agents costs no query. */
  messageReceived: {
    accountId: string;
    conversationId: string;
    inboundMessageId: string;
    assignedUserId: string | null;
    text: string | null;
    optOut: boolean;
    /** ISO 8601. */
    receivedAt: string;
    /** Who it is for (bus.ts, audiences): see domain/conversations/visibility.ts. */
    audience: string[];
  };
  /** A conversation changed (message in or out, assignment, closed, read); the previous assignee learns it left them. */
  conversationUpdated: {
    accountId: string;
    conversationId: string;
    change: 'MESSAGE_RECEIVED' | 'REPLIED' | 'STARTED' | 'ASSIGNED' | 'CLOSED' | 'READ';
    assignedUserId: string | null;
    previousAssignedUserId: string | null;
    /** It was waiting in the queue and an agent now has it: the queue's watchers are told it left. */
    fromQueue?: boolean;
    /** Who it is for (bus.ts, audiences): see domain/conversations/visibility.ts. */
    audience: string[];
  };
  /** A campaign's messages counted by status (throttled per campaign); `final` once nothing can change. */
  campaignProgress: {
    accountId: string;
    campaignId: string;
    status: 'DRAFT' | 'SCHEDULED' | 'SENDING' | 'COMPLETED' | 'CANCELLED';
    onHold: number;
    transmitted: number;
    delivered: number;
    notIssued: number;
    expired: number;
    blacklisted: number;
    cancelled: number;
    total: number;
    /** Decimal euros charged so far. */
    charged: string;
    final: boolean;
  };
  accountUpdated: { accountId: string; change: 'SERVICE_ACTIVATED' | 'PLAN_CHANGED' | 'PROFILE_CHANGED' };
}

/** `messageReceived` carries texts up to this many bytes (UTF-8); longer ones are loaded by subscribers. A
 *  notification holds at most 8000 bytes, shared by the events of a batch. */
export const MESSAGE_RECEIVED_TEXT_BYTES = 1000;

export type EventName = keyof EventPayloads;

/** Yoga's pub/sub shape: each event is published with the account id as its topic id. */
export type PubSubChannels = { [Name in EventName]: [accountId: string, payload: EventPayloads[Name]] };
