import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateApiKeyDocument,
  MessagePreviewDocument,
  type MessagePreviewInput,
  type MessagePreviewQuery,
  type Role,
} from '../../codegen/generated/operations.js';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let tenant: Tenant;
let owner: ApiClient;

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await createTenant(platform);
  owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
});

afterAll(async () => {
  await platform?.stop();
});

type Preview = Extract<MessagePreviewQuery['messagePreview'], { __typename: 'QueryMessagePreviewSuccess' }>['data'];

const transactional: MessagePreviewInput = {
  text: 'Votre commande 4521 est prête.',
  type: 'TRANSACTIONAL',
  sender: 'BOUTIQUE',
  numbers: ['06 12 34 56 78'],
  defaultCountry: 'FR',
};

async function preview(input: MessagePreviewInput, client: ApiClient = owner): Promise<Preview> {
  const result = await client.request(MessagePreviewDocument, { input });
  if (result.messagePreview.__typename !== 'QueryMessagePreviewSuccess') throw new Error(`preview refused: ${JSON.stringify(result)}`);
  return result.messagePreview.data;
}

const codes = (problems: { code: string }[]) => problems.map((problem) => problem.code);

async function apiKeyClient(role: Role): Promise<ApiClient> {
  const created = await owner.request(CreateApiKeyDocument, { input: { name: `${role} key`, role } });
  if (created.createApiKey.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(created));
  return apiClient(platform.graphqlUrl, `Bearer ${created.createApiKey.data.secret}`);
}

describe('messagePreview: what a user sees before sending', () => {
  it('French marketing: accents stay GSM-7, the STOP mention is counted, priced per country, Sunday held until Monday 08:00 Paris', async () => {
    // 156 characters with accents of the GSM alphabet (é, à): one SMS alone, two with the mention.
    const text =
      "Bonjour {firstname|Client}, les soldes d'été commencent : -30 % sur toute la boutique à Lyon et à Paris jusqu'à samedi. Présentez ce SMS en caisse ! Valable en magasin.";
    const sunday = '2031-01-12T11:00:00.000Z'; // Sunday 12:00 in Paris (CET)
    const result = await preview({
      text,
      type: 'MARKETING',
      sender: 'BOUTIQUE',
      numbers: ['06 12 34 56 78', '+33 7 81 23 45 67', '+32 470 12 34 56'],
      defaultCountry: 'FR',
      scheduledAt: sunday,
    });

    expect(result).toMatchObject({ encoding: 'GSM7', characters: 170, segments: 2, unitsPerSegment: 153, nonGsmCharacters: [], canSend: true, problems: [] });
    expect(result.text).toMatch(/^Bonjour Client, les soldes d'été .* Valable en magasin\.\nSTOP au 30101$/);
    expect(result.parts.join('')).toBe(result.text);
    expect(result.parts.map((part) => part.length)).toEqual([153, 17]);
    expect(result.sender).toEqual({ kind: 'ALPHANUMERIC', value: 'BOUTIQUE' });

    const mondayEightParis = '2031-01-13T07:00:00.000Z';
    expect(result.recipients.map((r) => [r.input, r.e164, r.country, r.numberType, r.segments, r.cost, r.sendAt, r.held, r.accepted])).toEqual([
      ['06 12 34 56 78', '+33612345678', 'FR', 'MOBILE', 2, '0.09', mondayEightParis, true, true],
      ['+33 7 81 23 45 67', '+33781234567', 'FR', 'MOBILE', 2, '0.09', mondayEightParis, true, true],
      // Belgium: no French window, no French mention, so one SMS at the requested time.
      ['+32 470 12 34 56', '+32470123456', 'BE', 'MOBILE', 1, '0.072', sunday, false, true],
    ]);
    expect(result.recipients[2]?.text?.endsWith('Valable en magasin.')).toBe(true);
    expect(result.totals).toEqual({
      numbers: 3,
      accepted: 3,
      segments: 5,
      cost: '0.252',
      perCountry: [
        { country: 'BE', messages: 1, segments: 1, cost: '0.072' },
        { country: 'FR', messages: 2, segments: 4, cost: '0.18' },
      ],
    });
    expect([result.firstSendAt, result.lastSendAt]).toEqual([sunday, mondayEightParis]);
  });

  it('an emoji makes the message Unicode: 70 code units in one SMS, 67 per part beyond', async () => {
    const short = await preview({ ...transactional, text: 'Joyeux anniversaire 🎂' });
    expect(short).toMatchObject({ encoding: 'UCS2', characters: 21, units: 22, segments: 1, unitsPerSegment: 70, nonGsmCharacters: ['🎂'] });
    expect(short.totals.cost).toBe('0.045');

    const long = await preview({ ...transactional, text: `${'a'.repeat(69)}🎂` }); // 71 code units
    expect(long).toMatchObject({ encoding: 'UCS2', units: 71, segments: 2, unitsPerSegment: 67 });
    expect(long.parts.map((part) => part.length)).toEqual([67, 4]);
    expect(long.totals.cost).toBe('0.09');
  });

  it('an invalid number and a fixed line are refused with their reason and cost nothing', async () => {
    const result = await preview({ ...transactional, numbers: ['06 12 34 56 78', 'abc', '01 42 68 53 00', '06 12'] });
    expect(result.recipients.map((r) => [r.input, r.accepted, r.cost, r.sendAt === null, codes(r.problems)])).toEqual([
      ['06 12 34 56 78', true, '0.045', false, []],
      ['abc', false, '0.00', true, ['INVALID_NUMBER']],
      ['01 42 68 53 00', false, '0.00', true, ['NOT_MOBILE']],
      ['06 12', false, '0.00', true, ['INVALID_NUMBER']],
    ]);
    expect(result.recipients[1]).toMatchObject({ e164: null, country: null, numberType: null });
    expect(result.recipients[2]).toMatchObject({ e164: '+33142685300', numberType: 'FIXED_LINE' });
    expect(result.problems).toEqual([
      { code: 'INVALID_NUMBER', field: 'numbers', number: 'abc', message: expect.stringMatching(/not a phone number/) },
      { code: 'NOT_MOBILE', field: 'numbers', number: '01 42 68 53 00', message: expect.stringMatching(/fixed line.*cannot receive SMS/) },
      { code: 'INVALID_NUMBER', field: 'numbers', number: '06 12', message: expect.stringMatching(/too short/) },
    ]);
    expect(result.totals).toMatchObject({ numbers: 4, accepted: 1, segments: 1, cost: '0.045' });
    expect(result.canSend).toBe(true);
  });

  it('an unknown placeholder is a problem of the text and blocks sending', async () => {
    const result = await preview({ ...transactional, text: 'Bonjour {prenom}, votre commande est prête.' });
    expect(result.problems).toEqual([expect.objectContaining({ code: 'UNKNOWN_PLACEHOLDER', field: 'text', number: null, message: expect.stringContaining('prenom') })]);
    expect(result.canSend).toBe(false);
  });

  it('a bad sender id is refused with the rule it breaks', async () => {
    for (const sender of ['AB', 'Café Léa', 'BOUTIQUEPARIS']) {
      const result = await preview({ ...transactional, sender });
      expect(result.sender).toBeNull();
      expect(result.problems).toEqual([expect.objectContaining({ code: 'SENDER_INVALID', field: 'sender', number: null })]);
      expect(result.canSend).toBe(false);
    }
  });

  it('two-way needs a number: an alphanumeric sender cannot receive answers', async () => {
    const result = await preview({ ...transactional, options: { twoWay: true } });
    expect(result.problems).toEqual([expect.objectContaining({ code: 'TWO_WAY_NEEDS_NUMBER', field: 'sender' })]);
    expect(result.canSend).toBe(false);
  });

  it('smart encoding replaces curly quotes and long dashes, reports them, and keeps the message GSM-7', async () => {
    const text = 'L’offre “été” – jusqu’à ce soir';
    const plain = await preview({ ...transactional, text });
    expect(plain).toMatchObject({ encoding: 'UCS2', nonGsmCharacters: ['’', '“', '”', '–'], replacements: [] });

    const smart = await preview({ ...transactional, text, options: { smartEncoding: true } });
    expect(smart).toMatchObject({ encoding: 'GSM7', text: 'L\'offre "été" - jusqu\'à ce soir', nonGsmCharacters: [], canSend: true });
    expect(smart.replacements).toEqual(
      expect.arrayContaining([
        { character: '’', replacement: "'", count: 2 },
        { character: '“', replacement: '"', count: 1 },
        { character: '”', replacement: '"', count: 1 },
        { character: '–', replacement: '-', count: 1 },
      ]),
    );
  });

  it('refuses more than 1000 numbers, and an unknown default country, with a ValidationError naming the fields', async () => {
    const numbers = Array.from({ length: 1001 }, (_, i) => `+336${String(10_000_000 + i)}`);
    const result = await owner.request(MessagePreviewDocument, { input: { ...transactional, numbers, defaultCountry: 'XX' } });
    expect(result.messagePreview).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    if (result.messagePreview.__typename !== 'ValidationError') return;
    expect(result.messagePreview.problems).toEqual([
      { field: 'numbers', message: expect.stringMatching(/At most 1000 numbers.*1001 given/) },
      { field: 'defaultCountry', message: expect.stringContaining('"XX"') },
    ]);

    const atLimit = await preview({ ...transactional, numbers: numbers.slice(0, 1000) });
    expect(atLimit.totals).toMatchObject({ numbers: 1000, accepted: 1000, cost: '45.00' });
  });

  it("reads national numbers in the account's country when no default country is given", async () => {
    const { defaultCountry: _given, ...withoutCountry } = transactional;
    const result = await preview({ ...withoutCountry, numbers: ['06 12 34 56 78', '+32 470 12 34 56'] });
    expect(result.recipients.map((recipient) => [recipient.e164, recipient.country])).toEqual([
      ['+33612345678', 'FR'],
      ['+32470123456', 'BE'],
    ]);
  });

  it('asks for authentication', async () => {
    const errors = await apiClient(platform.graphqlUrl).errors(MessagePreviewDocument, { input: transactional });
    expect(errors).toEqual([expect.objectContaining({ path: ['messagePreview'], extensions: { code: 'NOT_AUTHENTICATED' } })]);
  });

  it('refuses an ANALYST API key (cannot send messages) but serves a MANAGER one', async () => {
    const analyst = await apiKeyClient('ANALYST');
    const errors = await analyst.errors(MessagePreviewDocument, { input: transactional });
    expect(errors).toEqual([expect.objectContaining({ path: ['messagePreview'], extensions: { code: 'PERMISSION_DENIED' } })]);
    expect(errors[0]?.message).toMatch(/messages:send/);

    const manager = await apiKeyClient('MANAGER');
    expect((await preview(transactional, manager)).canSend).toBe(true);
  });
});
