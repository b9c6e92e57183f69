/**
 * Prices of SMS, in exact integer micro-euros (1 € = 1 000 000 µ€): integer arithmetic on
 * numbers is exact up to 2^53 µ€ (9 billion euros), fast in the per-recipient loop, and converts
 * exactly to and from the database's decimal strings. No floating point touches an amount.
 *
 * The price list is data (see default-price-list.ts): per-country price per segment, a default
 * for the other countries, and surcharges priced per message or per segment.
 */

/** An amount in micro-euros: always a safe integer. */
export type Micros = number;

export const MICROS_PER_EURO = 1_000_000;
const DECIMALS = 6;

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Exact conversion of a decimal string ("0.045", "12", "-3.5", "0.000001") to micro-euros.
 * Throws a RangeError on anything else, on more than 6 decimals (unless they are zeros) and
 * beyond the safe-integer range: prices come from configuration or the database, where such a
 * value is a defect to surface, not to round.
 */
export function parseEuros(decimal: string): Micros {
  const match = DECIMAL.exec(decimal.trim());
  if (match === null) throw new RangeError(`"${decimal}" is not a decimal amount.`);
  const [, sign, whole = '0', fraction = ''] = match;
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > DECIMALS) {
    throw new RangeError(`"${decimal}" has more than ${DECIMALS} decimals: it cannot be represented in micro-euros.`);
  }
  const digits = whole + significant.padEnd(DECIMALS, '0');
  const micros = Number(digits);
  if (!Number.isSafeInteger(micros)) throw new RangeError(`"${decimal}" is too large an amount.`);
  return sign === '-' && micros !== 0 ? -micros : micros;
}

export interface FormatEurosOptions {
  /** Drop trailing zeros of the decimals, keeping at least `minDecimals` (default 2). */
  trim?: boolean;
  minDecimals?: number;
}

/** 45000 -> "0.045000" ; with `trim` -> "0.045" ; 1_500_000 with `trim` -> "1.50". */
export function formatEuros(micros: Micros, options: FormatEurosOptions = {}): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`${micros} is not an integer amount of micro-euros.`);
  const negative = micros < 0;
  const absolute = Math.abs(micros);
  const whole = Math.floor(absolute / MICROS_PER_EURO);
  let fraction = String(absolute % MICROS_PER_EURO).padStart(DECIMALS, '0');
  if (options.trim === true) {
    const keep = Math.max(0, Math.min(DECIMALS, options.minDecimals ?? 2));
    let end = fraction.length;
    while (end > keep && fraction[end - 1] === '0') end--;
    fraction = fraction.slice(0, end);
  }
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

export type SurchargeUnit = 'MESSAGE' | 'SEGMENT';

export interface Surcharge {
  price: Micros;
  per: SurchargeUnit;
}

export interface PriceList {
  currency: 'EUR';
  /** SMS price per segment by ISO 3166 alpha-2 country. */
  smsPerCountry: Readonly<Record<string, Micros>>;
  /** Per segment, for countries not listed and numbers without a country. */
  smsDefault: Micros;
  /** Two-way (answer) surcharge by country; `twoWayDefault` elsewhere. */
  twoWayPerCountry: Readonly<Record<string, Surcharge>>;
  twoWayDefault: Surcharge;
  /** SMS 2.0 tracked link or shared-file link in the message. */
  trackedLink: Surcharge;
  /** OTP fee; while `waived`, priced 0 but kept so that invoices can show it. */
  otp: Surcharge & { waived: boolean };
}

export interface MessageOptionsForPrice {
  twoWay?: boolean;
  trackedLink?: boolean;
  otp?: boolean;
}

export function smsPricePerSegment(country: string | null, priceList: PriceList): Micros {
  if (country === null) return priceList.smsDefault;
  return priceList.smsPerCountry[country] ?? priceList.smsDefault;
}

function surchargeCost(surcharge: Surcharge, segments: number): Micros {
  return surcharge.per === 'MESSAGE' ? surcharge.price : surcharge.price * segments;
}

export interface MessageCostBreakdown {
  /** Price of one segment to that country. */
  pricePerSegment: Micros;
  sms: Micros;
  twoWay: Micros;
  trackedLink: Micros;
  otp: Micros;
  total: Micros;
}

export function messageCostBreakdown(
  country: string | null,
  segments: number,
  options: MessageOptionsForPrice,
  priceList: PriceList,
): MessageCostBreakdown {
  const pricePerSegment = smsPricePerSegment(country, priceList);
  const sms = pricePerSegment * segments;
  const twoWay =
    options.twoWay === true
      ? surchargeCost((country === null ? undefined : priceList.twoWayPerCountry[country]) ?? priceList.twoWayDefault, segments)
      : 0;
  const trackedLink = options.trackedLink === true ? surchargeCost(priceList.trackedLink, segments) : 0;
  const otp = options.otp === true && !priceList.otp.waived ? surchargeCost(priceList.otp, segments) : 0;
  return { pricePerSegment, sms, twoWay, trackedLink, otp, total: sms + twoWay + trackedLink + otp };
}

/** Total cost of one message of `segments` segments: the per-recipient hot path. */
export function messageCost(country: string | null, segments: number, options: MessageOptionsForPrice, priceList: PriceList): Micros {
  let cost = smsPricePerSegment(country, priceList) * segments;
  if (options.twoWay === true) {
    const surcharge = (country === null ? undefined : priceList.twoWayPerCountry[country]) ?? priceList.twoWayDefault;
    cost += surchargeCost(surcharge, segments);
  }
  if (options.trackedLink === true) cost += surchargeCost(priceList.trackedLink, segments);
  if (options.otp === true && !priceList.otp.waived) cost += surchargeCost(priceList.otp, segments);
  return cost;
}

export interface CountryCost {
  /** ISO alpha-2, or null for numbers without a country. */
  country: string | null;
  messages: number;
  segments: number;
  cost: Micros;
}

export interface BatchCost {
  messages: number;
  segments: number;
  total: Micros;
  /** Sorted by country code, numbers without a country last. */
  byCountry: CountryCost[];
}

/**
 * Adds messages one by one (a campaign streams its recipients) and sums per country.
 * Throws a RangeError if a total leaves the safe-integer range (over 9 billion euros).
 */
export class BatchCostAccumulator {
  readonly #byCountry = new Map<string | null, CountryCost>();
  #messages = 0;
  #segments = 0;
  #total = 0;

  readonly #priceList: PriceList;
  readonly #options: MessageOptionsForPrice;

  constructor(priceList: PriceList, options: MessageOptionsForPrice = {}) {
    this.#priceList = priceList;
    this.#options = options;
  }

  /** Records one message and returns its cost. */
  add(country: string | null, segments: number): Micros {
    const cost = messageCost(country, segments, this.#options, this.#priceList);
    let line = this.#byCountry.get(country);
    if (line === undefined) {
      line = { country, messages: 0, segments: 0, cost: 0 };
      this.#byCountry.set(country, line);
    }
    line.messages++;
    line.segments += segments;
    line.cost += cost;
    this.#messages++;
    this.#segments += segments;
    this.#total += cost;
    return cost;
  }

  result(): BatchCost {
    if (!Number.isSafeInteger(this.#total)) throw new RangeError('The batch total exceeds the exact range of amounts.');
    const byCountry = [...this.#byCountry.values()].map((line) => ({ ...line }));
    byCountry.sort((a, b) => (a.country === b.country ? 0 : a.country === null ? 1 : b.country === null ? -1 : a.country < b.country ? -1 : 1));
    return { messages: this.#messages, segments: this.#segments, total: this.#total, byCountry };
  }
}

export function batchCost(
  messages: Iterable<{ country: string | null; segments: number }>,
  options: MessageOptionsForPrice,
  priceList: PriceList,
): BatchCost {
  const accumulator = new BatchCostAccumulator(priceList, options);
  for (const message of messages) accumulator.add(message.country, message.segments);
  return accumulator.result();
}
