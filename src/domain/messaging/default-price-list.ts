/**
 * Default price list (SPEC section 3). Data only: an operator can replace it with one loaded from
 * the database. Amounts are written as decimal strings in euros, as an operator reads them, and
 * converted exactly to micro-euros once at start-up.
 */
import { parseEuros, type PriceList } from './prices.js';

/** SMS price per segment, in euros, by ISO 3166 alpha-2 country. */
const SMS_PER_SEGMENT: Readonly<Record<string, string>> = {
  FR: '0.045',
  // French overseas departments and territories (their own country codes in E.164 parsing)
  GP: '0.085', MQ: '0.085', GF: '0.085', RE: '0.085', YT: '0.085', PM: '0.085', BL: '0.085', MF: '0.085',
  NC: '0.12', PF: '0.12', WF: '0.12',
  // Neighbours and the European Union
  MC: '0.075', BE: '0.072', LU: '0.065', DE: '0.079', CH: '0.058', IT: '0.062', ES: '0.058', PT: '0.039',
  AD: '0.09', NL: '0.089', AT: '0.085', IE: '0.065', DK: '0.048', SE: '0.055', FI: '0.072', PL: '0.032',
  CZ: '0.045', GR: '0.056', RO: '0.065', HU: '0.075',
  GB: '0.042', NO: '0.058',
  // Americas
  US: '0.018', CA: '0.018', BR: '0.045', MX: '0.052',
  // Africa and the Middle East, frequent destinations from France
  MA: '0.095', DZ: '0.14', TN: '0.12', SN: '0.065', CI: '0.075', CM: '0.085', IL: '0.11', AE: '0.045',
  // Asia-Pacific
  CN: '0.042', JP: '0.075', IN: '0.028', AU: '0.045',
};

export const DEFAULT_PRICE_LIST: PriceList = {
  currency: 'EUR',
  smsPerCountry: Object.fromEntries(Object.entries(SMS_PER_SEGMENT).map(([country, price]) => [country, parseEuros(price)])),
  smsDefault: parseEuros('0.10'),
  twoWayPerCountry: { FR: { price: parseEuros('0.03'), per: 'MESSAGE' } },
  twoWayDefault: { price: parseEuros('0.03'), per: 'MESSAGE' },
  trackedLink: { price: parseEuros('0.01'), per: 'MESSAGE' },
  otp: { price: parseEuros('0.001'), per: 'MESSAGE', waived: true },
};
