import { PgBoss } from 'pg-boss';
import { config } from '../config.js';
import { runContactExport } from '../domain/contacts/contact-export.js';
import { runContactImport } from '../domain/contacts/contact-import.js';
import { materializeCampaign } from '../domain/campaigns/materialize-campaign.js';
import { reconcilePendingTopUps } from '../domain/credit/top-up.js';
import { purgeExpiredExports } from '../domain/exports/data-exports.js';
import { purgeExpiredIdempotencyKeys } from '../domain/idempotency.js';
import { purgeExpiredAuth } from './purge-expired-auth.js';
import { RECEIPT_DEADLINE_HOURS } from '../domain/messages/delivery-status.js';
import { expireStaleMessages } from './carrier-events.js';
import { QUEUES, type JobPayloads, type QueueName } from './queues.js';

/**
 * pg-boss in the platform's database (schema `pgboss`). Every process can enqueue; only
 * worker processes run handlers, maintenance and schedules.
 */
export const boss = new PgBoss({
  connectionString: config.databaseUrl,
  schema: config.jobsSchema,
  application_name: `sms-platform-jobs-${config.role}`,
  max: 4,
  supervise: config.runsWorkers,
  schedule: config.runsWorkers,
  // Workers of queues created with `notify` (jobs a customer waits for) wake when a job is sent.
  useListenNotify: config.runsWorkers,
});
boss.on('error', (error: Error) => console.error('[jobs]', error.message));

type Handlers = { [Name in QueueName]?: (data: JobPayloads[Name]) => Promise<unknown> };

const HANDLERS: Handlers = {
  'expire-stale-messages': () => expireStaleMessages(RECEIPT_DEADLINE_HOURS),
  'reconcile-top-ups': async () => {
    const settled = await reconcilePendingTopUps();
    if (settled > 0) console.warn('[jobs] completed top-ups left pending', settled);
    return settled;
  },
  'import-contacts': ({ importId }) => runContactImport(importId),
  'materialize-campaign': ({ campaignId }) => materializeCampaign(campaignId),
  'export-contacts': ({ exportId }) => runContactExport(exportId),
  'purge-expired-exports': async () => {
    const purged = await purgeExpiredExports();
    if (purged > 0) console.info('[jobs] purged expired exports', purged);
    return purged;
  },
  'purge-expired-auth': async () => {
    const purged = await purgeExpiredAuth();
    if (purged.refreshTokens + purged.signUps > 0) console.info('[jobs] purged', purged);
    return purged;
  },
  'purge-idempotency-keys': async () => {
    const purged = await purgeExpiredIdempotencyKeys();
    if (purged > 0) console.info('[jobs] purged idempotency keys', purged);
    return purged;
  },
};

export async function startJobs(): Promise<void> {
  await boss.start();
  for (const [name, definition] of Object.entries(QUEUES)) {
    await boss.createQueue(name, definition.options);
    // A queue created by an earlier version keeps its options: wake-on-send is switched on here.
    if ('notify' in definition.options && definition.options.notify) await boss.updateQueue(name, { notify: true });
  }
  if (!config.runsWorkers) return;
  for (const [name, definition] of Object.entries(QUEUES)) {
    if (definition.cron) await boss.schedule(name, definition.cron);
    const handler = HANDLERS[name as QueueName] as ((data: unknown) => Promise<unknown>) | undefined;
    if (handler) {
      await boss.work(name, async (jobs) => {
        for (const job of jobs) await handler(job.data);
      });
    }
  }
}

/** Enqueues a job; pass `db` (a transaction) to make it part of the write that needs it. */
export function enqueue<Name extends QueueName>(name: Name, data: JobPayloads[Name], options?: Parameters<PgBoss['send']>[2]): Promise<string | null> {
  return boss.send(name, data, options ?? undefined);
}

/** Waits for running handlers to finish (bounded), then closes pg-boss' pool. */
export async function stopJobs(): Promise<void> {
  await boss.stop({ graceful: true, timeout: config.shutdownTimeoutMs });
}
