import { createHash } from 'node:crypto';
import { config } from '../config.js';
import { formatEuros, type Micros } from '../domain/messaging/prices.js';

/**
 * The card/SEPA payment provider behind top-ups. A real provider plugs in here; the default is
 * a deterministic simulator so that tests and development cover approvals and declines.
 */
export interface PaymentRequest {
  accountId: string;
  /** What the customer pays, VAT included, in micro-euros. */
  amount: Micros;
  /** The credit bought (the top-up amount, VAT excluded). */
  amountExcludingVat: Micros;
  currency: 'EUR';
  description: string;
  /**
   * Unique per top-up attempt: collecting a request id already collected must answer that
   * payment's result without collecting again (a retry, and the reconciliation of attempts left
   * pending, rely on it).
   */
  requestId: string;
}

export type PaymentResult = { status: 'APPROVED'; reference: string } | { status: 'DECLINED'; reason: string };

export interface PaymentProvider {
  readonly name: string;
  collect(request: PaymentRequest): Promise<PaymentResult>;
  /**
   * What became of a request, without collecting anything: its result when the provider has it,
   * UNKNOWN when it never reached the provider (the platform then never starts the payment itself).
   */
  status(requestId: string): Promise<PaymentResult | { status: 'UNKNOWN' }>;
}

/**
 * Simulator rule (documented in the README): a top-up whose amount excluding VAT has 13 cents
 * (e.g. 50.13 €) is declined as "card declined"; every other amount is approved. It decides on
 * the amount the customer typed, so the rule does not depend on the VAT rate.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly name = 'simulator';
  /** The requests it answered (in this process: a restart forgets them, as if they never came). */
  private readonly answered = new Map<string, PaymentResult>();

  collect(request: PaymentRequest): Promise<PaymentResult> {
    const known = this.answered.get(request.requestId);
    if (known) return Promise.resolve(known);
    const decided = request.amountExcludingVat;
    const cents = Math.floor(decided / 10_000) % 100;
    const result: PaymentResult =
      cents === 13
        ? { status: 'DECLINED', reason: `card declined (simulator: amounts ending in .13, here ${formatEuros(decided, { trim: true })} €)` }
        : { status: 'APPROVED', reference: `sim_${createHash('sha256').update(request.requestId).digest('hex').slice(0, 24)}` };
    this.answered.set(request.requestId, result);
    return Promise.resolve(result);
  }

  status(requestId: string): Promise<PaymentResult | { status: 'UNKNOWN' }> {
    return Promise.resolve(this.answered.get(requestId) ?? { status: 'UNKNOWN' });
  }
}

let provider: PaymentProvider | undefined;

export function paymentProvider(): PaymentProvider {
  provider ??= createProvider();
  return provider;
}

function createProvider(): PaymentProvider {
  switch (config.money.paymentProvider) {
    case 'simulator':
      return new SimulatedPaymentProvider();
  }
}
