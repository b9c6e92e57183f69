/**
 * What an account sends with: the senders it may use besides an alphanumeric id, the dynamic
 * fields its contacts carry, and the prices and sending rules that apply to it. Every send and
 * every preview reads it through `loadSendingProfile`, so that the rules come from one place.
 */
import { config } from '../../config.js';
import { prisma } from '../../db/client.js';
import { NotFoundError } from '../errors.js';
import { DEFAULT_PRICE_LIST } from './default-price-list.js';
import { DEFAULT_SENDING_RULES } from './default-sending-rules.js';
import type { PriceList } from './prices.js';
import type { SendingRules } from './sending-windows.js';

export interface SendingProfile {
  /** The account's country (ISO alpha-2): numbers typed in national format are read in it. */
  country: string;
  /** 5-digit short codes the account may send from (the platform's shared ones and its own). */
  shortCodes: string[];
  /** The account's virtual numbers, in E.164. */
  virtualNumbers: string[];
  /** Names of the account's contact dynamic fields, usable as `{name}` placeholders. */
  dynamicFields: string[];
  priceList: PriceList;
  sendingRules: SendingRules;
}

/**
 * Today every account sends with the platform defaults and nothing of its own. Later issues
 * plug in here, and only here:
 * - short codes: the platform's shared short code(s) from configuration, plus the account's own;
 * - virtual numbers: the numbers the account rents (SPEC section 9);
 * - dynamic fields: the account's contact field names (SPEC section 12);
 * - price list and sending rules: the account's negotiated prices and any operator overrides,
 *   falling back to the defaults below.
 * It is already async and keyed by account so that callers need not change when it reads the
 * database.
 */
export async function loadSendingProfile(accountId: string): Promise<SendingProfile> {
  // One round trip: it is on the path of every sendMessage. Numbers oldest first (the first
  // virtual number is a conversation's default).
  const [account] = await prisma.$queryRaw<{ country: string; numbers: { number: string; kind: string }[]; fields: string[] }[]>`
    SELECT a.country,
           coalesce((SELECT json_agg(json_build_object('number', n.number, 'kind', n.kind) ORDER BY n.created_at, n.id)
                       FROM account_number n WHERE n.account_id = a.id), '[]'::json) AS numbers,
           coalesce((SELECT array_agg(f.name ORDER BY f.position) FROM contact_field f WHERE f.account_id = a.id), '{}') AS fields
      FROM account a WHERE a.id = ${accountId}::uuid`;
  if (!account) throw new NotFoundError('Account');
  return {
    country: account.country,
    // Two-way (issue 7): the platform's shared short codes, then the account's own numbers.
    shortCodes: [
      ...config.twoWay.sharedShortCodes.map((entry) => entry.code),
      ...account.numbers.filter((owned) => owned.kind === 'SHORT_CODE').map((owned) => owned.number),
    ],
    virtualNumbers: account.numbers.filter((owned) => owned.kind === 'VIRTUAL_NUMBER').map((owned) => owned.number),
    dynamicFields: account.fields,
    priceList: DEFAULT_PRICE_LIST,
    sendingRules: DEFAULT_SENDING_RULES,
  };
}
