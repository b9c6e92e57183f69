import { builder } from './builder.js';

export const PlanCodeEnum = builder.enumType('PlanCode', { values: ['STANDARD', 'PREMIUM', 'GOLD', 'ENTERPRISES'] as const });

export const PlanType = builder.prismaObject('Plan', {
  description: 'A subscription plan and its limits (SPEC section 2); figures live in the database.',
  fields: (t) => ({
    code: t.expose('code', { type: PlanCodeEnum }),
    name: t.exposeString('name'),
    liveLinks: t.exposeInt('liveLinks', { description: 'SMS 2.0 links / landing pages alive at once.' }),
    liveSharedFiles: t.exposeInt('liveSharedFiles', { description: 'Shared files alive at once.' }),
    subAccounts: t.exposeInt('subAccounts'),
    contactLists: t.exposeInt('contactLists'),
    smsTemplates: t.exposeInt('smsTemplates'),
    openConversations: t.exposeInt('openConversations'),
    monthlyDataExports: t.exposeInt('monthlyDataExports', { description: 'Data exports per calendar month.' }),
    teamMembers: t.exposeInt('teamMembers', { description: 'Team members, owner included.' }),
    analyticsRetentionMonths: t.exposeInt('analyticsRetentionMonths'),
    supportResponseHours: t.exposeInt('supportResponseHours', { description: 'Support response target, in working hours.' }),
  }),
});
