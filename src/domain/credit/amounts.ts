import { ValidationError } from '../errors.js';
import { formatEuros, MICROS_PER_EURO, parseEuros, type Micros } from '../messaging/prices.js';

/**
 * Amounts typed by customers (top-ups, transfers): euros and cents, nothing finer, checked
 * exactly on the decimal string (never through a float).
 */
export interface AmountRules {
  /** Decimals allowed: 2 for amounts a customer types (cents). */
  maxDecimals: number;
  minimum?: Micros;
  maximum?: Micros;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const MICROS_PER_CENT = MICROS_PER_EURO / 100;

/** Returns the amount in micro-euros, or throws a ValidationError naming `field` and the rule broken. */
export function parseAmountInput(field: string, value: string, rules: AmountRules): Micros {
  const text = value.trim();
  if (!DECIMAL.test(text)) throw ValidationError.single(field, `"${value}" is not an amount in euros (e.g. "50" or "50.25")`);
  const decimals = text.split('.')[1]?.length ?? 0;
  if (decimals > rules.maxDecimals) {
    throw ValidationError.single(field, `at most ${rules.maxDecimals} decimals (cents); got "${value}"`);
  }
  let micros: Micros;
  try {
    micros = parseEuros(text);
  } catch {
    throw ValidationError.single(field, `"${value}" is too large`);
  }
  if (micros <= 0) throw ValidationError.single(field, `must be more than 0; got "${value}"`);
  if (rules.minimum !== undefined && micros < rules.minimum) {
    throw ValidationError.single(field, `must be at least ${formatEuros(rules.minimum, { trim: true })} €; got "${value}"`);
  }
  if (rules.maximum !== undefined && micros > rules.maximum) {
    throw ValidationError.single(field, `must be at most ${formatEuros(rules.maximum, { trim: true })} €; got "${value}"`);
  }
  return micros;
}

export interface InvoiceAmounts {
  excludingVat: Micros;
  vat: Micros;
  includingVat: Micros;
}

/**
 * VAT of an amount at `rate` (a decimal fraction string such as "0.20", up to 4 decimals),
 * rounded half up to the cent, computed in integers.
 */
export function invoiceAmounts(excludingVat: Micros, rate: string): InvoiceAmounts {
  const [whole = '0', fraction = ''] = rate.split('.');
  const rateTenThousandths = BigInt(whole) * 10_000n + BigInt(fraction.padEnd(4, '0').slice(0, 4) || '0');
  const exact = BigInt(excludingVat) * rateTenThousandths; // micro-euros × 10 000
  const cent = BigInt(MICROS_PER_CENT) * 10_000n;
  const vat = Number(((exact + cent / 2n) / cent) * BigInt(MICROS_PER_CENT));
  return { excludingVat, vat, includingVat: excludingVat + vat };
}
