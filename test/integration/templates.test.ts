import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTemplateDocument,
  DeleteTemplateDocument,
  SetContactFieldsDocument,
  TemplateLibraryDocument,
  TemplatesDocument,
  UpdateTemplateDocument,
} from '../../codegen/generated/operations.js';
import { createTenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform?.stop();
});

async function newApi(): Promise<ApiClient> {
  const tenant = await createTenant(platform);
  return apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
}

async function create(api: ApiClient, input: { name?: string; text?: string; fromLibrary?: string }) {
  const result = await api.request(CreateTemplateDocument, { input });
  if (result.createTemplate.__typename !== 'MutationCreateTemplateSuccess') throw new Error(JSON.stringify(result));
  return result.createTemplate.data;
}

describe('templates', () => {
  it('creates, lists newest first, searches, updates and deletes, with placeholders and segments', async () => {
    const api = await newApi();
    await api.request(SetContactFieldsDocument, { input: { names: ['City'] } });
    const first = await create(api, { name: 'Rappel RDV', text: 'Bonjour {firstname|client}, RDV demain à {City}.' });
    expect(first).toMatchObject({ name: 'Rappel RDV', placeholders: ['firstname', 'City'], length: { encoding: 'GSM7', segments: 1 } });
    const second = await create(api, { name: 'Promo été', text: 'Soldes 🌞 : -30 % ! {link}' });
    expect(second.length).toMatchObject({ encoding: 'UCS2', segments: 1 });

    const listed = await api.request(TemplatesDocument, { first: 10 });
    expect(listed.templates.edges.map((edge) => edge.node.name)).toEqual(['Promo été', 'Rappel RDV']);
    const searched = await api.request(TemplatesDocument, { search: 'rappel' });
    expect(searched.templates.edges.map((edge) => edge.node.id)).toEqual([first.id]);

    const long = 'x'.repeat(200);
    const updated = await api.request(UpdateTemplateDocument, { input: { id: first.id, name: 'Rappel rendez-vous', text: `${long} {lastname}` } });
    expect(updated.updateTemplate).toMatchObject({
      __typename: 'MutationUpdateTemplateSuccess',
      data: { name: 'Rappel rendez-vous', placeholders: ['lastname'], length: { encoding: 'GSM7', characters: 201, segments: 2 } },
    });

    const taken = await api.request(UpdateTemplateDocument, { input: { id: first.id, name: 'promo ÉTÉ' } });
    // Names are unique whatever their case (accented letters included).
    expect(taken.updateTemplate).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'name' }] });

    const deleted = await api.request(DeleteTemplateDocument, { id: second.id });
    expect(deleted.deleteTemplate).toMatchObject({ __typename: 'MutationDeleteTemplateSuccess', data: second.id });
    const again = await api.request(DeleteTemplateDocument, { id: second.id });
    expect(again.deleteTemplate).toMatchObject({ __typename: 'NotFoundError' });
    const after = await api.request(TemplatesDocument, {});
    expect(after.templates.edges.map((edge) => edge.node.name)).toEqual(['Rappel rendez-vous']);
  });

  it('refuses unknown placeholders, naming them, and saves nothing', async () => {
    const api = await newApi();
    const refused = await api.request(CreateTemplateDocument, { input: { name: 'Bad', text: 'Bonjour {prenom}, votre {ville} vous attend {firstname}' } });
    expect(refused.createTemplate.__typename).toBe('ValidationError');
    if (refused.createTemplate.__typename !== 'ValidationError') return;
    expect(refused.createTemplate.problems).toHaveLength(1);
    expect(refused.createTemplate.problems[0]).toMatchObject({ field: 'text', message: expect.stringContaining('{prenom}, {ville}') });

    const unclosed = await api.request(CreateTemplateDocument, { input: { name: 'Bad', text: 'Bonjour {firstname' } });
    expect(unclosed.createTemplate).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'text', message: expect.stringMatching(/never closed/) }] });

    const empty = await api.request(CreateTemplateDocument, { input: {} });
    expect(empty.createTemplate).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'name' }, { field: 'text' }] });
    const listed = await api.request(TemplatesDocument, {});
    expect(listed.templates.edges).toHaveLength(0);
  });

  it('stops at the plan limit and names the plan that allows more', async () => {
    const api = await newApi();
    for (const name of ['A', 'B', 'C']) await create(api, { name, text: `Texte ${name}` });
    const refused = await api.request(CreateTemplateDocument, { input: { name: 'D', text: 'Texte D' } });
    expect(refused.createTemplate).toMatchObject({
      __typename: 'PlanLimitError',
      code: 'PLAN_LIMIT_REACHED',
      limit: 'smsTemplates',
      allowed: 3,
      currentPlan: 'Standard',
      upgradePlan: 'Premium',
      message: 'Your Standard plan allows 3 SMS templates; the Premium plan allows more.',
    });
    const listed = await api.request(TemplatesDocument, {});
    expect(listed.templates.edges).toHaveLength(3);
  });

  it('offers at least 20 library templates in French and English, filterable, and copies one into the account', async () => {
    const api = await newApi();
    const { templateLibrary } = await api.request(TemplateLibraryDocument, {});
    expect(templateLibrary.length).toBeGreaterThanOrEqual(20);
    const french = await api.request(TemplateLibraryDocument, { language: 'FR' });
    const english = await api.request(TemplateLibraryDocument, { language: 'EN' });
    expect(french.templateLibrary.length).toBeGreaterThanOrEqual(10);
    expect(english.templateLibrary.length).toBeGreaterThanOrEqual(10);
    expect(french.templateLibrary.every((template) => template.language === 'FR')).toBe(true);
    const otp = await api.request(TemplateLibraryDocument, { category: 'OTP' });
    expect(otp.templateLibrary.map((template) => template.language).sort()).toEqual(['EN', 'FR']);
    expect(otp.templateLibrary.every((template) => template.placeholders.includes('code') && template.type === 'TRANSACTIONAL')).toBe(true);
    for (const category of ['APPOINTMENT', 'DELIVERY', 'PROMOTION', 'EVENT', 'SURVEY', 'PAYMENT', 'WELCOME', 'BACK_IN_STOCK', 'REVIEW'] as const) {
      expect(templateLibrary.filter((template) => template.category === category).map((template) => template.language)).toEqual(expect.arrayContaining(['FR', 'EN']));
    }

    const source = french.templateLibrary.find((template) => template.id === 'fr-appointment-reminder')!;
    const copied = await create(api, { fromLibrary: source.id });
    expect(copied).toMatchObject({ name: source.name, text: source.text, placeholders: source.placeholders });
    const renamed = await create(api, { fromLibrary: source.id, name: 'Mon rappel' });
    expect(renamed).toMatchObject({ name: 'Mon rappel', text: source.text });
    const unknown = await api.request(CreateTemplateDocument, { input: { fromLibrary: 'fr-nothing' } });
    expect(unknown.createTemplate).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'fromLibrary' }] });
  });
});
