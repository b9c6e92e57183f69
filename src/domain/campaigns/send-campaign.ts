/**
 * `sendCampaign` (SPEC sections 3 and 7): the campaign is priced exactly as its preview says,
 * its cost reserved (or the send refused with the amount missing, before anything is written),
 * and in the same transaction it becomes SENDING (SCHEDULED when its time is ahead) and the job
 * that writes its messages is queued. A campaign of a million recipients is accepted in one
 * request: the messages are written by the `materialize-campaign` job, chunk by chunk, and the
 * dispatcher starts on the first chunk.
 *
 * A simulation computes and checks everything the same way and changes nothing.
 */
import type { Transaction } from '../../db/client.js';
import { prisma } from '../../db/client.js';
import { enqueue } from '../../jobs/boss.js';
import { requirePermission, type Actor } from '../auth/actor.js';
import { authorOf, reserveCredit } from '../credit/ledger.js';
import { IdempotencyKeyReusedError, InsufficientCreditError, NotFoundError, ValidationError } from '../errors.js';
import { hashInput, withIdempotency } from '../idempotency.js';
import { formatEuros, type Micros } from '../messaging/prices.js';
import { CampaignStateError } from './campaign-errors.js';
import { computeCampaignPreview, type CampaignPreview } from './campaign-preview.js';
import { findCampaign } from './campaigns.js';

export interface SendCampaignInput {
  campaignId: string;
  /** The same key with the same campaign returns the first result (kept 24 h at least). */
  idempotencyKey?: string | null;
  /** Compute and check everything, change nothing. */
  simulation?: boolean | null;
}

export interface SentCampaign {
  campaignId: string;
  simulated: boolean;
  /** Decimal euros held for the campaign (what a simulation would hold). */
  reserved: string;
  /** The preview the send was priced with; null when an idempotency key replays a first send. */
  preview: CampaignPreview | null;
}

const OPERATION = 'sendCampaign';
/** A draft edited between pricing and reserving is priced again, at most this many times. */
const ATTEMPTS = 3;

class CampaignChangedMeanwhile extends Error {}

export async function sendCampaign(actor: Actor, input: SendCampaignInput, now = new Date()): Promise<SentCampaign> {
  requirePermission(actor, 'campaigns:write');
  const accountId = actor.accountId;
  const key = input.idempotencyKey ?? null;
  const idempotentInput = { campaignId: input.campaignId };

  if (input.simulation !== true && key !== null) {
    // A replay answers at once, without pricing a million recipients again.
    const first = await prisma.idempotencyKey.findUnique({ where: { accountId_key: { accountId, key } } });
    if (first && first.expiresAt > new Date()) {
      if (first.inputHash !== hashInput(OPERATION, idempotentInput)) throw new IdempotencyKeyReusedError(key, first.operation);
      if (first.result !== null) return { ...(first.result as { campaignId: string; reserved: string }), simulated: false, preview: null };
    }
  }

  for (let attempt = 1; ; attempt++) {
    const campaign = await findCampaign(accountId, input.campaignId);
    if (campaign.status !== 'DRAFT' && input.simulation === true) throw new CampaignStateError(campaign.status, 'sent', ['DRAFT']);
    if (campaign.status !== 'DRAFT' && key === null) throw new CampaignStateError(campaign.status, 'sent', ['DRAFT']);
    const preview = campaign.status === 'DRAFT' ? await computeCampaignPreview(campaign, now) : null;
    if (preview) refuseUnsendable(preview);
    if (input.simulation === true) return { campaignId: campaign.id, simulated: true, reserved: euros(preview!.cost), preview };

    try {
      const sent = await withIdempotency({ accountId, key, operation: OPERATION, input: idempotentInput }, async (tx) => {
        const status = await lockCampaign(tx, accountId, campaign.id);
        if (status.status !== 'DRAFT') throw new CampaignStateError(status.status, 'sent', ['DRAFT']);
        if (preview === null || status.updatedAt.getTime() !== campaign.updatedAt.getTime()) throw new CampaignChangedMeanwhile();
        const reservation =
          preview.cost > 0
            ? await reserveCredit(tx, accountId, preview.cost, {
                reason: `Campaign "${campaign.name}": ${preview.recipients} SMS`,
                referenceType: 'Campaign',
                referenceId: campaign.id,
                author: authorOf(actor),
              })
            : null;
        const scheduled = campaign.scheduledAt !== null && campaign.scheduledAt.getTime() > now.getTime();
        await tx.campaign.update({
          where: { id: campaign.id },
          data: {
            status: scheduled ? 'SCHEDULED' : 'SENDING',
            // As the carrier takes it (a number in E.164, whatever spaces it was typed with).
            sender: preview.sender?.value ?? campaign.sender,
            recipientCount: preview.recipients,
            estimatedCost: formatEuros(preview.cost),
            reservationId: reservation?.id ?? null,
            sentAt: now,
            materializedUntil: null,
            materializedCost: '0',
            materializedAt: null,
          },
        });
        // In the transaction: no sent campaign without its job, no job for a send rolled back.
        await enqueue('materialize-campaign', { campaignId: campaign.id }, { db: transactionDb(tx), singletonKey: campaign.id });
        return { campaignId: campaign.id, reserved: euros(preview.cost) };
      });
      return { ...sent, simulated: false, preview };
    } catch (error) {
      if (error instanceof CampaignChangedMeanwhile && attempt < ATTEMPTS) continue;
      if (error instanceof CampaignChangedMeanwhile) {
        throw ValidationError.single('campaignId', 'The campaign keeps changing while it is being sent; send it again once it is saved.');
      }
      throw error;
    }
  }
}

/** The typed refusal a send (or its simulation) gives for a preview that cannot go out. */
function refuseUnsendable(preview: CampaignPreview): void {
  if (preview.problems.length > 0) {
    throw new ValidationError(preview.problems.map((problem) => ({ field: problem.field ?? 'text', message: problem.message })));
  }
  if (preview.recipients === 0) {
    throw ValidationError.single(
      'recipients',
      `No recipient can receive this campaign (${preview.selected} selected: ${preview.invalid} invalid, ${preview.blacklisted} blacklisted, ${preview.duplicates} duplicates).`,
    );
  }
  if (!preview.balance.covered) {
    throw new InsufficientCreditError(euros(preview.cost), euros(preview.balance.available), euros(preview.balance.missing));
  }
}

async function lockCampaign(tx: Transaction, accountId: string, campaignId: string) {
  const rows = await tx.$queryRaw<{ status: 'DRAFT' | 'SCHEDULED' | 'SENDING' | 'COMPLETED' | 'CANCELLED'; updatedAt: Date }[]>`
    SELECT status::text AS status, updated_at AS "updatedAt" FROM campaign WHERE id = ${campaignId}::uuid AND account_id = ${accountId}::uuid FOR NO KEY UPDATE`;
  const row = rows[0];
  if (!row) throw new NotFoundError('Campaign');
  return row;
}

/** pg-boss writes its job through the Prisma transaction, so the job commits with the send. */
export function transactionDb(tx: Transaction) {
  return { executeSql: async (text: string, values?: unknown[]) => ({ rows: await tx.$queryRawUnsafe<unknown[]>(text, ...(values ?? [])) }) };
}

function euros(micros: Micros): string {
  return formatEuros(micros, { trim: true, minDecimals: 0 });
}
