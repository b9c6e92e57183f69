import { prisma } from '../db/client.js';
import { builder } from '../schema/builder.js';
import { PlanType } from '../schema/plan.js';
import { ViewerType } from '../schema/viewer.js';
import { requireActor } from './actor.js';

builder.queryField('me', (t) =>
  t.field({
    type: ViewerType,
    authScopes: { authenticated: true },
    resolve: (_root, _args, context) => requireActor(context),
  }),
);

builder.queryField('plans', (t) =>
  t.prismaField({
    type: [PlanType],
    description: 'Every plan with its limits, smallest first.',
    resolve: (query) => prisma.plan.findMany({ ...query, orderBy: { position: 'asc' } }),
  }),
);
