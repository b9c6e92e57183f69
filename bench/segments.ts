/**
 * Per-recipient hot path of a campaign: render a personalised template (compiled once per
 * campaign, with the opt-out mention for the countries that need it), smart-encode when asked,
 * count segments and price, accumulating the per-country breakdown.
 *
 * Runs on one core (the main thread, nothing in parallel). Prints messages per second for the
 * full pipeline and, measured in the same run on the same contacts, for a baseline that only
 * renders the template by string concatenation, and the ratio between the two.
 *
 *   npm run bench:segments
 */
import { DEFAULT_PRICE_LIST } from '../src/domain/messaging/default-price-list.js';
import { DEFAULT_SENDING_RULES } from '../src/domain/messaging/default-sending-rules.js';
import { optOutMention, templateWithOptOutMention } from '../src/domain/messaging/opt-out.js';
import { compileTemplate, renderCounted, type CompiledTemplate } from '../src/domain/messaging/personalisation.js';
import { BatchCostAccumulator, formatEuros } from '../src/domain/messaging/prices.js';
import type { MessageType } from '../src/domain/messaging/sending-windows.js';

interface Contact {
  firstname: string;
  lastname: string;
  ville: string;
  points: string;
  link: string;
  country: string;
}

const FIRST_NAMES = ['Zoé', 'Anaïs', 'Hélène', 'François', 'Jérôme', 'Loïc', 'Gaëlle', 'Chloé', 'Noël', 'Léa', 'Inès', 'Mathéo', 'Camille', 'Lucas', 'Jean-Baptiste', 'Marie-Thérèse', 'Björn', 'Zoë', 'Agnès', 'Raphaël', 'Emma', 'Hugo', 'Maëlys', 'Céline', ''];
const LAST_NAMES = ['Lefèvre', 'Dubois', 'Martin', 'Müller', 'Da Silva', 'Gómez', 'Nguyễn', 'Bernard', 'Moreau', 'Rousseau', 'Fournier', 'Girard', 'Benoît', 'Lemaître', 'Ołowski', 'Ferré'];
const CITIES = ['Paris', 'Lyon', 'Nîmes', 'Besançon', 'Orléans', 'Saint-Étienne', 'Bruxelles', 'Genève', 'Montréal', 'Aix-en-Provence'];
const COUNTRIES = ['FR', 'FR', 'FR', 'FR', 'FR', 'FR', 'FR', 'FR', 'BE', 'CH', 'DE', 'ES', 'GB', 'US', 'MA', 'RE'];

interface Campaign {
  source: string;
  type: MessageType;
  smartEncoding: boolean;
  /** The same message by plain concatenation, for the baseline. */
  concatenate: (c: Contact) => string;
}

const dynamicFields = ['ville', 'points'];
const CAMPAIGNS: Campaign[] = [
  {
    source: 'Bonjour {firstname|Client}, votre commande est prête à {ville}. Suivi : {link}',
    type: 'TRANSACTIONAL',
    smartEncoding: false,
    concatenate: (c) => 'Bonjour ' + (c.firstname || 'Client') + ', votre commande est prête à ' + c.ville + '. Suivi : ' + c.link,
  },
  {
    source: '{firstname|Chère cliente, cher client}, -20€ sur toute la collection ce week-end avec le code ETE20 ! {link}',
    type: 'MARKETING',
    smartEncoding: false,
    concatenate: (c) => (c.firstname || 'Chère cliente, cher client') + ', -20€ sur toute la collection ce week-end avec le code ETE20 ! ' + c.link,
  },
  {
    source: 'Joyeux anniversaire {firstname} 🎂 ! Un cadeau vous attend en boutique à {ville} jusqu’à dimanche.',
    type: 'MARKETING',
    smartEncoding: false,
    concatenate: (c) => 'Joyeux anniversaire ' + c.firstname + ' 🎂 ! Un cadeau vous attend en boutique à ' + c.ville + ' jusqu’à dimanche.',
  },
  {
    source:
      'Bonjour {firstname} {lastname}, vous avez {points|0} points fidélité. Jusqu’au 30 juin, chaque achat de plus de 50 € vous en rapporte le double. ' +
      'Retrouvez toutes les offres de votre magasin de {ville} sur {link} – à très bientôt !',
    type: 'MARKETING',
    smartEncoding: true,
    concatenate: (c) =>
      'Bonjour ' + c.firstname + ' ' + c.lastname + ', vous avez ' + (c.points || '0') + ' points fidélité. Jusqu’au 30 juin, chaque achat de plus de 50 € vous en rapporte le double. ' +
      'Retrouvez toutes les offres de votre magasin de ' + c.ville + ' sur ' + c.link + ' – à très bientôt !',
  },
  {
    source: 'Rappel : RDV demain à {ville}. Répondez OUI pour confirmer.',
    type: 'TRANSACTIONAL',
    smartEncoding: false,
    concatenate: (c) => 'Rappel : RDV demain à ' + c.ville + '. Répondez OUI pour confirmer.',
  },
];

// Deterministic pseudo-random contacts (a small LCG, so runs are comparable).
let seed = 42;
const pick = <T>(items: readonly T[]): T => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return items[seed % items.length] as T;
};
const CONTACTS: Contact[] = Array.from({ length: 10_000 }, (_, i) => ({
  firstname: pick(FIRST_NAMES),
  lastname: pick(LAST_NAMES),
  ville: pick(CITIES),
  points: String(i % 7 === 0 ? '' : (i * 37) % 5000),
  link: `https://s.example/${(1_000_000 + i).toString(36)}`,
  country: pick(COUNTRIES),
}));

const MESSAGES = 2_000_000;
const RUNS = 5;

// What dispatch does once per campaign: compile the template, and the template with the opt-out
// mention for the countries that require it.
interface PreparedCampaign {
  plain: CompiledTemplate;
  withMention: CompiledTemplate;
}
function prepare(campaign: Campaign): PreparedCampaign {
  const options = { dynamicFields };
  return {
    plain: compileTemplate(campaign.source, options),
    withMention: compileTemplate(templateWithOptOutMention(campaign.source, campaign.type, 'FR', DEFAULT_SENDING_RULES), options),
  };
}

function runPipeline(): { ns: number; checksum: number; totalMicros: number; segments: number } {
  const start = process.hrtime.bigint();
  let checksum = 0;
  const prepared = CAMPAIGNS.map(prepare);
  const costs = CAMPAIGNS.map((c, k) => new BatchCostAccumulator(DEFAULT_PRICE_LIST, { trackedLink: prepared[k]!.plain.fields.includes('link') }));
  for (let i = 0; i < MESSAGES; i++) {
    const contact = CONTACTS[i % CONTACTS.length]!;
    const campaignIndex = i % CAMPAIGNS.length;
    const campaign = CAMPAIGNS[campaignIndex]!;
    const templates = prepared[campaignIndex]!;
    const template = optOutMention(campaign.type, contact.country, DEFAULT_SENDING_RULES) === null ? templates.plain : templates.withMention;
    const { count } = renderCounted(template, contact as unknown as Record<string, string>, { smartEncoding: campaign.smartEncoding });
    checksum += costs[campaignIndex]!.add(contact.country, count.segments) + count.units;
  }
  const ns = Number(process.hrtime.bigint() - start);
  const results = costs.map((c) => c.result());
  return {
    ns,
    checksum,
    totalMicros: results.reduce((sum, r) => sum + r.total, 0),
    segments: results.reduce((sum, r) => sum + r.segments, 0),
  };
}

function runBaseline(): { ns: number; checksum: number } {
  const start = process.hrtime.bigint();
  let checksum = 0;
  for (let i = 0; i < MESSAGES; i++) {
    const contact = CONTACTS[i % CONTACTS.length]!;
    const campaign = CAMPAIGNS[i % CAMPAIGNS.length]!;
    // Reading the last character makes V8 flatten the concatenation (a "rope" until then), as
    // any use of the text (sending it, storing it) would.
    const text = campaign.concatenate(contact);
    checksum += text.charCodeAt(text.length - 1);
  }
  return { ns: Number(process.hrtime.bigint() - start), checksum };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const perSecond = (ns: number) => Math.round((MESSAGES * 1e9) / ns);
const fmt = (n: number) => n.toLocaleString('en-US');

// Warm up both paths so that the JIT has optimised them before measuring.
runPipeline();
runBaseline();

const pipelineNs: number[] = [];
const baselineNs: number[] = [];
let last: ReturnType<typeof runPipeline> | undefined;
let sink = 0;
for (let run = 0; run < RUNS; run++) {
  // Alternate so that both see the same machine conditions.
  last = runPipeline();
  pipelineNs.push(last.ns);
  const baseline = runBaseline();
  baselineNs.push(baseline.ns);
  sink += last.checksum + baseline.checksum;
}

const pipelineRate = perSecond(median(pipelineNs));
const baselineRate = perSecond(median(baselineNs));
const TARGET = 1_000_000;

console.log(`bench:segments  Node ${process.version}, one core (main thread), ${fmt(MESSAGES)} messages x ${RUNS} runs, median`);
console.log(`  ${CAMPAIGNS.length} templates (GSM, euro sign, emoji, 2-segment with smart encoding), ${fmt(CONTACTS.length)} contacts, ${new Set(COUNTRIES).size} countries`);
console.log('');
console.log(`  full pipeline   render + STOP mention + smart encoding + segments + price : ${fmt(pipelineRate).padStart(12)} msg/s  (${(median(pipelineNs) / MESSAGES).toFixed(0)} ns/msg)`);
console.log(`  baseline        template by string concatenation only                   : ${fmt(baselineRate).padStart(12)} msg/s  (${(median(baselineNs) / MESSAGES).toFixed(0)} ns/msg)`);
console.log(`  ratio           pipeline time / baseline time                           : ${(median(pipelineNs) / median(baselineNs)).toFixed(2)}x`);
console.log('');
console.log(`  target ${fmt(TARGET)} msg/s: ${pipelineRate >= TARGET ? 'MET' : 'NOT MET'}`);
if (last) console.log(`  last run: ${fmt(last.segments)} segments, ${formatEuros(last.totalMicros, { trim: true })} EUR (checksum ${sink % 1000})`);
