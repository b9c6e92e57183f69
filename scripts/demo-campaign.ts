/**
 * `npm run demo`: a first campaign, end to end, against a platform started with `npm start`.
 *
 * Signs up a fresh account (the confirmation code is read back from the built-in carrier
 * simulator, which plays the customer's phone), tops up its credit, creates a campaign to a few
 * numbers (some of them the simulator's test numbers, which always end Delivered / Not issued /
 * Expired), previews it, subscribes to `campaignProgress` over graphql-ws, sends it, and prints
 * each progress event until the last final status is known.
 *
 *   npm start               # in one terminal
 *   npm run demo            # in another (GRAPHQL_URL and SIMULATOR_CONTROL_URL to point elsewhere)
 */
import { randomBytes } from 'node:crypto';
import { print } from 'graphql';
import { GraphQLClient } from 'graphql-request';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  CampaignPreviewDocument,
  CampaignProgressDocument,
  ConfirmMobileDocument,
  CreateCampaignDocument,
  SendCampaignDocument,
  SignUpDocument,
  TopUpCreditDocument,
} from '../codegen/generated/operations.js';

const graphqlUrl = process.env['GRAPHQL_URL'] ?? 'http://localhost:4000/graphql';
const simulatorControlUrl = process.env['SIMULATOR_CONTROL_URL'] ?? 'http://127.0.0.1:2776';

function fail(step: string, result: unknown): never {
  console.error(`${step} failed:`, JSON.stringify(result, null, 2));
  process.exit(1);
}

async function codeSentTo(mobile: string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const response = await fetch(`${simulatorControlUrl}/messages?limit=1000`);
    const messages = (await response.json()) as { to: string; text: string }[];
    const code = messages
      .filter((message) => message.to === mobile)
      .map((message) => /\b(\d{6})\b/.exec(message.text)?.[1])
      .findLast((found) => found !== undefined);
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no confirmation code reached the simulator for ${mobile} (is the platform running with its built-in simulator?)`);
}

const unique = randomBytes(4).toString('hex');
const mobile = `+33612${String(randomBytes(4).readUInt32BE() % 1_000_000).padStart(6, '0')}`;
const anonymous = new GraphQLClient(graphqlUrl);

console.log(`Signing up owner-${unique}@demo-${unique}.fr with mobile ${mobile} ...`);
const signedUp = await anonymous.request(SignUpDocument, {
  input: {
    email: `owner-${unique}@demo-${unique}.fr`,
    password: 'correct horse battery staple',
    firstName: 'Jeanne',
    lastName: 'Martin',
    mobile,
    companyName: `Démo ${unique}`,
    companyNumber: '73282932000074',
    address: { street: '1 rue de la Paix', postalCode: '75002', city: 'Paris', country: 'FR' },
    acceptServiceMessages: true,
  },
});
if (signedUp.signUp.__typename !== 'MutationSignUpSuccess') fail('signUp', signedUp);
const code = await codeSentTo(mobile);
console.log(`The confirmation SMS reached the simulator over SMPP: code ${code}`);
const confirmed = await anonymous.request(ConfirmMobileDocument, { input: { confirmationId: signedUp.signUp.data.confirmationId, code } });
if (confirmed.confirmMobile.__typename !== 'MutationConfirmMobileSuccess') fail('confirmMobile', confirmed);
const accessToken = confirmed.confirmMobile.data.accessToken;
const owner = new GraphQLClient(graphqlUrl, { headers: { authorization: `Bearer ${accessToken}` } });

const topUp = await owner.request(TopUpCreditDocument, { input: { amount: '20.00' } });
if (topUp.topUpCredit.__typename !== 'MutationTopUpCreditSuccess') fail('topUpCredit', topUp);
console.log('Credit topped up: 20.00 EUR');

const numbers = [
  ...Array.from({ length: 20 }, (_, i) => `06 12 ${String(40 + Math.floor(i / 10)).padStart(2, '0')} ${String(10 + (i % 10) * 7).padStart(2, '0')} 5${i % 10}`),
  '+33612340001', // always Delivered
  '+33612340002', // always Not issued
  '+33612340003', // always Expired
  '06 12 34 56', // invalid: listed by the preview, skipped
];
const created = await owner.request(CreateCampaignDocument, {
  input: {
    name: 'My first campaign',
    type: 'TRANSACTIONAL',
    sender: 'DEMO',
    text: 'Bonjour, votre commande est disponible en magasin.',
    recipients: { numbers, defaultCountry: 'FR' },
  },
});
if (created.createCampaign.__typename !== 'MutationCreateCampaignSuccess') fail('createCampaign', created);
const campaignId = created.createCampaign.data.id;

const preview = await owner.request(CampaignPreviewDocument, { id: campaignId });
if (preview.campaignPreview.__typename !== 'QueryCampaignPreviewSuccess') fail('campaignPreview', preview);
const figures = preview.campaignPreview.data;
console.log(
  `Preview: ${figures.recipients.accepted} recipients, ${figures.recipients.invalid} invalid (${figures.invalidNumbers
    .map((invalid) => `${invalid.number}: ${invalid.reason}`)
    .join('; ')}), ${figures.segments.total} SMS, cost ${figures.cost} EUR, balance covers it: ${figures.balance.covered}`,
);

const ws = createClient({ url: graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${accessToken}` } });
const finished = new Promise<void>((resolve, reject) => {
  ws.subscribe(
    { query: print(CampaignProgressDocument), variables: { campaignId } },
    {
      next: ({ data, errors }) => {
        if (errors) return reject(new Error(JSON.stringify(errors)));
        const progress = data?.['campaignProgress'] as Record<string, unknown> | undefined;
        if (!progress) return;
        console.log(
          `  campaignProgress: ${progress['status']} on hold ${progress['onHold']}, transmitted ${progress['transmitted']}, delivered ${progress['delivered']}, not issued ${progress['notIssued']}, expired ${progress['expired']}; charged ${progress['charged']} EUR${progress['final'] ? ' (final)' : ''}`,
        );
      },
      error: reject,
      complete: resolve,
    },
  );
});
await new Promise((resolve) => setTimeout(resolve, 300));

const sent = await owner.request(SendCampaignDocument, { input: { id: campaignId, idempotencyKey: `demo-${unique}` } });
if (sent.sendCampaign.__typename !== 'MutationSendCampaignSuccess') fail('sendCampaign', sent);
console.log(`Sent: ${sent.sendCampaign.data.reserved} EUR reserved; watching it over graphql-ws ...`);
await finished;
await ws.dispose();
console.log('Done: every message has its final status.');
