/**
 * The message each recipient of a campaign gets: personalised text (with the country's opt-out
 * mention for marketing), encoding, segments, price and the time it may go out. Pure: the
 * preview, the send and the materialisation job all plan recipients with this one class, so the
 * cost shown is the cost reserved and the cost charged.
 *
 * Per recipient it renders the template (`renderCounted`, which counts segments while it
 * renders) and adds the price. Everything that depends only on the country (the template with
 * the mention compiled, the sending time, and for a text without placeholders the whole
 * message) is computed once per country.
 */
import type { PhoneNumberType } from '../phone.js';
import { isMobileType } from '../phone.js';
import type { SmsEncoding } from '../messaging/encoding.js';
import { templateWithOptOutMention } from '../messaging/opt-out.js';
import { compileTemplate, renderCounted, type CompiledTemplate, type RenderedMessage } from '../messaging/personalisation.js';
import { messageCost, type Micros, type PriceList } from '../messaging/prices.js';
import { MAX_PARTS } from '../messaging/segments.js';
import { nextSendingTime, type MessageType, type SendingRules } from '../messaging/sending-windows.js';

export interface CampaignMessageSettings {
  text: string;
  type: MessageType;
  smartEncoding: boolean;
  /** Adds the two-way surcharge to every message. */
  twoWay: boolean;
  /** The account's dynamic field names by position (index 0 is field_1); null for a free position. */
  fieldNames: readonly (string | null)[];
  priceList: PriceList;
  rules: SendingRules;
  /** When the campaign asks to go out: its schedule when in the future, else now. */
  requestedAt: Date;
}

/** What a contact brings to the text; pasted numbers bring nothing (placeholders take their default). */
export interface RecipientValues {
  firstName: string | null;
  lastName: string | null;
  /** field_1..field_5. */
  fields: readonly (string | null)[];
}

export type InvalidReason = 'INVALID_NUMBER' | 'NOT_MOBILE' | 'TOO_LONG';

export interface PlannedMessage {
  outcome: 'SEND' | 'BLACKLISTED';
  recipient: string;
  country: string | null;
  text: string;
  encoding: SmsEncoding;
  segments: number;
  /** Charged when handed to the carrier; a BLACKLISTED message is never charged. */
  price: Micros;
  sendAfter: Date;
  /** Held after the requested time until the country's sending window opens. */
  held: boolean;
}

export interface RefusedRecipient {
  outcome: 'INVALID';
  /** As given: the E.164 of a contact, or the pasted text. */
  number: string;
  reason: InvalidReason;
  message: string;
}

export type RecipientPlan = PlannedMessage | RefusedRecipient;

interface CountryPlan {
  template: CompiledTemplate;
  /** The message itself when the template has no placeholder. */
  constant: RenderedMessage | null;
  sendAfter: Date;
  held: boolean;
}

export class CampaignMessagePlanner {
  readonly #settings: CampaignMessageSettings;
  readonly #byCountry = new Map<string | null, CountryPlan>();
  readonly #values: Record<string, string | null> = {};
  readonly #fieldKeys: (string | null)[];
  readonly #priceOptions: { twoWay: boolean };

  constructor(settings: CampaignMessageSettings) {
    this.#settings = settings;
    this.#priceOptions = { twoWay: settings.twoWay };
    this.#fieldKeys = [...settings.fieldNames];
  }

  /** Placeholders the text uses (canonical names), e.g. to read only the columns needed. */
  get placeholders(): readonly string[] {
    return this.#countryPlan(null).template.fields;
  }

  /**
   * The message of one valid number. `type` is the number's type (only mobiles receive SMS);
   * `values` null for a pasted number.
   */
  plan(e164: string, country: string | null, type: PhoneNumberType, values: RecipientValues | null, blacklisted: boolean): RecipientPlan {
    if (!isMobileType(type)) {
      return { outcome: 'INVALID', number: e164, reason: 'NOT_MOBILE', message: `${e164} is a ${type.toLowerCase().replace(/_/g, ' ')} number: it cannot receive SMS.` };
    }
    const plan = this.#countryPlan(country);
    const rendered = plan.constant ?? renderCounted(plan.template, this.#valuesOf(values), { smartEncoding: this.#settings.smartEncoding });
    if (rendered.count.segments > MAX_PARTS) {
      return {
        outcome: 'INVALID',
        number: e164,
        reason: 'TOO_LONG',
        message: `The message to ${e164} takes ${rendered.count.segments} SMS once personalised; a message has at most ${MAX_PARTS}.`,
      };
    }
    return {
      outcome: blacklisted ? 'BLACKLISTED' : 'SEND',
      recipient: e164,
      country,
      text: rendered.text,
      encoding: rendered.count.encoding,
      segments: rendered.count.segments,
      price: messageCost(country, rendered.count.segments, this.#priceOptions, this.#settings.priceList),
      sendAfter: plan.sendAfter,
      held: plan.held,
    };
  }

  #valuesOf(values: RecipientValues | null): Record<string, string | null> {
    const target = this.#values;
    target.firstname = values?.firstName ?? null;
    target.lastname = values?.lastName ?? null;
    for (let i = 0; i < this.#fieldKeys.length; i++) {
      const key = this.#fieldKeys[i];
      if (key) target[key] = values?.fields[i] ?? null;
    }
    return target;
  }

  #countryPlan(country: string | null): CountryPlan {
    let plan = this.#byCountry.get(country);
    if (plan === undefined) {
      const settings = this.#settings;
      const source = templateWithOptOutMention(settings.text, settings.type, country, settings.rules);
      const template = compileTemplate(source, { dynamicFields: settings.fieldNames.filter((name): name is string => name !== null) });
      const constant = template.fields.length === 0 ? renderCounted(template, {}, { smartEncoding: settings.smartEncoding }) : null;
      const sendAfter = nextSendingTime(settings.type, country, settings.requestedAt, settings.rules);
      plan = { template, constant, sendAfter, held: sendAfter.getTime() !== settings.requestedAt.getTime() };
      this.#byCountry.set(country, plan);
    }
    return plan;
  }
}
