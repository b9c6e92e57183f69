/**
 * The one written form of exact decimals (money, rates) that leaves the platform through the
 * API: plain notation (never an exponent), exact (never rounded), at least 2 decimals and no
 * trailing zero beyond them. "0.045", "10.00", "0.50", "-3.20", "0.000001".
 *
 * Database decimals (NUMERIC(18,6), read as "10.000000" or Decimal "10") and the domain's own
 * strings ("0.18", "0") all pass through here, so a client never sees "10" in one field and
 * "10.00" in another.
 */
const PLAIN_DECIMAL = /^(-)?(\d+)(?:\.(\d*))?$/;

export function canonicalDecimal(value: string): string {
  const match = PLAIN_DECIMAL.exec(value.trim());
  if (!match) throw new TypeError(`"${value}" is not a plain decimal number`);
  const [, sign, whole = '0', fraction = ''] = match;
  const decimals = fraction.replace(/0+$/, '').padEnd(2, '0');
  const integer = whole.replace(/^0+(?=\d)/, '');
  const isZero = /^0+$/.test(integer) && /^0+$/.test(decimals);
  return `${sign && !isZero ? '-' : ''}${integer}.${decimals}`;
}
