import type { Queue } from 'pg-boss';

/**
 * Every queue, with its payload type and its delivery policy, created at start-up. Retry,
 * expiry and dead letter are set here once, so no caller can forget them. Every handler is
 * safe to run twice.
 */
export interface JobPayloads {
  'purge-expired-auth': Record<string, never>;
  'purge-idempotency-keys': Record<string, never>;
  'dead-letters': { queue?: string };
  'import-contacts': { importId: string };
  'export-contacts': { exportId: string };
  'purge-expired-exports': Record<string, never>;
  'expire-stale-messages': Record<string, never>;
  'reconcile-top-ups': Record<string, never>;
  'materialize-campaign': { campaignId: string };
}

export type QueueName = keyof JobPayloads;

interface QueueDefinition {
  options: Omit<Queue, 'name'>;
  /** Cron schedule (UTC) for recurring jobs. */
  cron?: string;
}

export const DEAD_LETTER_QUEUE = 'dead-letters' satisfies QueueName;

export const QUEUES: Record<QueueName, QueueDefinition> = {
  'dead-letters': {
    // Failed jobs land here for inspection; kept 30 days, never retried automatically.
    options: { retryLimit: 0, expireInSeconds: 60, deleteAfterSeconds: 30 * 24 * 3600 },
  },
  'purge-expired-auth': {
    options: {
      policy: 'singleton',
      retryLimit: 3,
      retryDelay: 30,
      retryBackoff: true,
      expireInSeconds: 300,
      deadLetter: DEAD_LETTER_QUEUE,
    },
    cron: '17 * * * *',
  },
  'purge-idempotency-keys': {
    options: {
      policy: 'singleton',
      retryLimit: 3,
      retryDelay: 30,
      retryBackoff: true,
      expireInSeconds: 300,
      deadLetter: DEAD_LETTER_QUEUE,
    },
    cron: '23 * * * *',
  },
  'expire-stale-messages': {
    // Messages without a final receipt 48 h after submission become EXPIRED (SPEC section 5).
    options: { policy: 'singleton', retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 600, deadLetter: DEAD_LETTER_QUEUE },
    cron: '*/10 * * * *',
  },
  'reconcile-top-ups': {
    // Top-ups left PENDING by a failure after the payment: completed or declined (see top-up.ts).
    options: { policy: 'singleton', retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 300, deadLetter: DEAD_LETTER_QUEUE },
    cron: '*/5 * * * *',
  },
  'materialize-campaign': {
    // One job per campaign at a time (singletonKey = campaign id); a retry resumes after the last
    // committed chunk. A worker that dies stops its heartbeat and the job is retried within a minute.
    // `notify`: a worker picks it up the moment it is sent, not at its next poll (a customer waits).
    options: { policy: 'exclusive', retryLimit: 10, retryDelay: 5, retryBackoff: true, expireInSeconds: 3 * 3600, heartbeatSeconds: 30, deadLetter: DEAD_LETTER_QUEUE, notify: true },
  },
  'import-contacts': {
    // A retry resumes after the last committed batch (see runContactImport).
    options: { retryLimit: 5, retryDelay: 10, retryBackoff: true, expireInSeconds: 3600, deadLetter: DEAD_LETTER_QUEUE, notify: true },
  },
  'export-contacts': {
    // A retry writes the whole file again (see runContactExport).
    options: { retryLimit: 3, retryDelay: 10, retryBackoff: true, expireInSeconds: 3600, deadLetter: DEAD_LETTER_QUEUE, notify: true },
  },
  'purge-expired-exports': {
    options: {
      policy: 'singleton',
      retryLimit: 3,
      retryDelay: 30,
      retryBackoff: true,
      expireInSeconds: 300,
      deadLetter: DEAD_LETTER_QUEUE,
    },
    cron: '41 * * * *',
  },
};
