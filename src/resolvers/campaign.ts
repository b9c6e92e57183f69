import { encodeGlobalID } from '@pothos/plugin-relay';
import { prisma } from '../db/client.js';
import { cancelCampaign } from '../domain/campaigns/cancel-campaign.js';
import { CampaignStateError } from '../domain/campaigns/campaign-errors.js';
import { campaignPreview } from '../domain/campaigns/campaign-preview.js';
import { campaignProgressOf, progressEvent } from '../domain/campaigns/campaign-progress.js';
import { createCampaign, deleteCampaign, findCampaign, updateCampaign, type CampaignRecipientsInput as RecipientsInput } from '../domain/campaigns/campaigns.js';
import { sendCampaign } from '../domain/campaigns/send-campaign.js';
import { requirePermission } from '../domain/auth/actor.js';
import { IdempotencyKeyReusedError, InsufficientCreditError, NotFoundError, ValidationError } from '../domain/errors.js';
import type { EventPayloads } from '../events/channels.js';
import { pubSub } from '../events/bus.js';
import { builder } from '../schema/builder.js';
import {
  CampaignPreviewType,
  CampaignProgressType,
  CampaignStatusEnum,
  CampaignType,
  CreateCampaignInput,
  SendCampaignInput,
  SendCampaignPayload,
  UpdateCampaignInput,
} from '../schema/campaign.js';
import { requireActor } from './actor.js';

type RecipientsArgument = {
  listIds?: { id: string }[] | null;
  tags?: string[] | null;
  contactIds?: { id: string }[] | null;
  numbers?: string[] | null;
  defaultCountry?: string | null;
};

function recipientsOf(input: RecipientsArgument): RecipientsInput {
  return { ...input, listIds: input.listIds?.map((list) => list.id) ?? null, contactIds: input.contactIds?.map((contact) => contact.id) ?? null };
}

builder.queryField('campaigns', (t) =>
  t.prismaConnection({
    type: CampaignType,
    cursor: 'id',
    description: "The account's campaigns, newest first.",
    authScopes: { permission: 'campaigns:read' },
    args: { status: t.arg({ type: CampaignStatusEnum }) },
    resolve: (query, _root, args, context) =>
      prisma.campaign.findMany({
        ...query,
        where: { accountId: requireActor(context).accountId, ...(args.status ? { status: args.status } : {}) },
        orderBy: { id: 'desc' },
      }),
  }),
);

builder.queryField('campaign', (t) =>
  t.prismaField({
    type: CampaignType,
    nullable: true,
    authScopes: { permission: 'campaigns:read' },
    args: { id: t.arg.globalID({ required: true, for: [CampaignType] }) },
    resolve: (query, _root, { id }, context) => prisma.campaign.findFirst({ ...query, where: { id: id.id, accountId: requireActor(context).accountId } }),
  }),
);

builder.queryField('campaignPreview', (t) =>
  t.field({
    type: CampaignPreviewType,
    description:
      'What sending the campaign would do now: recipients after de-duplication and blacklist, invalid numbers, segments, cost per country, balance check and when it goes out.',
    authScopes: { permission: 'campaigns:read' },
    args: { id: t.arg.globalID({ required: true, for: [CampaignType] }) },
    errors: { types: [NotFoundError] },
    resolve: (_root, { id }, context) => campaignPreview(requireActor(context), id.id),
  }),
);

builder.mutationField('createCampaign', (t) =>
  t.prismaField({
    type: CampaignType,
    description: 'Creates a draft campaign.',
    authScopes: { permission: 'campaigns:write' },
    args: { input: t.arg({ type: CreateCampaignInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError] },
    resolve: async (query, _root, { input }, context) => {
      const created = await createCampaign(requireActor(context), { ...input, templateId: input.templateId?.id ?? null, recipients: recipientsOf(input.recipients) });
      return prisma.campaign.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
);

builder.mutationField('updateCampaign', (t) =>
  t.prismaField({
    type: CampaignType,
    description: 'Changes a draft.',
    authScopes: { permission: 'campaigns:write' },
    args: { input: t.arg({ type: UpdateCampaignInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, CampaignStateError] },
    resolve: async (query, _root, { input }, context) => {
      const { id, templateId, recipients, ...rest } = input;
      const updated = await updateCampaign(requireActor(context), id.id, {
        ...rest,
        name: rest.name ?? undefined,
        type: rest.type ?? undefined,
        sender: rest.sender ?? undefined,
        templateId: templateId?.id,
        recipients: recipients ? recipientsOf(recipients) : undefined,
      });
      return prisma.campaign.findUniqueOrThrow({ ...query, where: { id: updated.id } });
    },
  }),
);

builder.mutationField('deleteCampaign', (t) =>
  t.field({
    type: 'ID',
    description: 'Deletes a draft; returns its id.',
    authScopes: { permission: 'campaigns:write' },
    args: { id: t.arg.globalID({ required: true, for: [CampaignType] }) },
    errors: { types: [NotFoundError, CampaignStateError] },
    resolve: async (_root, { id }, context) => encodeGlobalID('Campaign', await deleteCampaign(requireActor(context), id.id)),
  }),
);

builder.mutationField('sendCampaign', (t) =>
  t.field({
    type: SendCampaignPayload,
    description:
      'Sends a draft: reserves its exact cost (refused with the amount missing when the balance cannot cover it) and starts it, or schedules it when its time is ahead. With `simulation`, checks and prices everything and changes nothing.',
    authScopes: { permission: 'campaigns:write' },
    args: { input: t.arg({ type: SendCampaignInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, CampaignStateError, InsufficientCreditError, IdempotencyKeyReusedError] },
    resolve: (_root, { input }, context) =>
      sendCampaign(requireActor(context), { campaignId: input.id.id, idempotencyKey: input.idempotencyKey, simulation: input.simulation }),
  }),
);

builder.mutationField('cancelCampaign', (t) =>
  t.prismaField({
    type: CampaignType,
    description: 'Stops a scheduled or sending campaign: what was not handed to the carrier is cancelled, not charged, and its hold released.',
    authScopes: { permission: 'campaigns:write' },
    args: { id: t.arg.globalID({ required: true, for: [CampaignType] }) },
    errors: { types: [NotFoundError, CampaignStateError] },
    resolve: async (query, _root, { id }, context) => {
      const cancelled = await cancelCampaign(requireActor(context), id.id);
      return prisma.campaign.findUniqueOrThrow({ ...query, where: { id: cancelled.id } });
    },
  }),
);

builder.subscriptionField('campaignProgress', (t) =>
  t.field({
    type: CampaignProgressType,
    description:
      "A campaign's counts by delivery status: the current ones first, then at most a few times per second while they change; the stream ends after the event with `final: true`.",
    authScopes: { permission: 'campaigns:read' },
    args: { campaignId: t.arg.globalID({ required: true, for: [CampaignType] }) },
    subscribe: (_root, { campaignId }, context) => progressStream(requireActor(context), campaignId.id),
    resolve: (event) => event,
  }),
);

async function* progressStream(actor: ReturnType<typeof requireActor>, campaignId: string): AsyncGenerator<EventPayloads['campaignProgress']> {
  requirePermission(actor, 'campaigns:read');
  await findCampaign(actor.accountId, campaignId);
  // Subscribed before reading the current counts, so that no change falls in between.
  const events = pubSub.subscribe('campaignProgress', actor.accountId);
  try {
    const current = (await campaignProgressOf([campaignId])).get(campaignId);
    if (current) {
      yield progressEvent(current);
      if (current.final) return;
    }
    for await (const event of events) {
      if (event.campaignId !== campaignId) continue;
      yield event;
      if (event.final) return;
    }
  } finally {
    await events.return?.();
  }
}
