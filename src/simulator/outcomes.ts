/**
 * What the carrier simulator does with a submission: answer, and which delivery receipts follow.
 * Deterministic per destination number, so that tests and developers get the outcome they ask
 * for by choosing the number. Pure: no I/O.
 *
 * Numbers ending in (last four digits):
 *
 * | ending | submit_sm answer                                   | receipts                              |
 * |--------|----------------------------------------------------|---------------------------------------|
 * | 0001   | accepted                                           | DELIVRD (Delivered)                   |
 * | 0002   | accepted                                           | UNDELIV (Not issued)                  |
 * | 0003   | accepted                                           | EXPIRED (Expired)                     |
 * | 0004   | accepted                                           | none at all                           |
 * | 0005   | ESME_RINVDSTADR, always (permanent refusal)        | none                                  |
 * | 0006   | ESME_RTHROTTLED on the number's first submit_sm, then accepted | DELIVRD                   |
 * | 0007   | ESME_RMSGQFUL on the number's first submit_sm, then accepted   | DELIVRD                   |
 * | 0008   | accepted                                           | DELIVRD twice (duplicate receipt)     |
 * | 0009   | accepted                                           | DELIVRD, then a late ENROUTE (out of order) |
 *
 * Any other number gets the outcome mix (`CARRIER_SIMULATOR_OUTCOMES`, weights by receipt stat,
 * `NONE` for no receipt), also chosen from the number itself (a hash), not at random: the same
 * number always gets the same outcome.
 */
import { ESME_RINVDSTADR, ESME_RMSGQFUL, ESME_ROK, ESME_RTHROTTLED } from '../gateways/carriers/command-status.js';
import type { ReceiptStat } from '../gateways/carriers/delivery-receipt.js';

export const MIX_OUTCOMES = ['DELIVRD', 'UNDELIV', 'EXPIRED', 'NONE'] as const;
export type MixOutcome = (typeof MIX_OUTCOMES)[number];
/** Relative weights; they need not add up to 100. */
export type OutcomeMix = Readonly<Record<MixOutcome, number>>;

export const DEFAULT_OUTCOME_MIX: OutcomeMix = { DELIVRD: 96, UNDELIV: 3, EXPIRED: 1, NONE: 0 };

export interface SubmissionOutcome {
  /** command_status of submit_sm_resp (0: accepted). */
  commandStatus: number;
  /** Receipts to send, in this order, one per accepted part. */
  receipts: ReceiptStat[];
}

interface NumberPattern {
  ending: string;
  outcome(attempt: number): SubmissionOutcome;
}

const accepted = (...receipts: ReceiptStat[]): SubmissionOutcome => ({ commandStatus: ESME_ROK, receipts });

export const NUMBER_PATTERNS: readonly NumberPattern[] = [
  { ending: '0001', outcome: () => accepted('DELIVRD') },
  { ending: '0002', outcome: () => accepted('UNDELIV') },
  { ending: '0003', outcome: () => accepted('EXPIRED') },
  { ending: '0004', outcome: () => accepted() },
  { ending: '0005', outcome: () => ({ commandStatus: ESME_RINVDSTADR, receipts: [] }) },
  { ending: '0006', outcome: (attempt) => (attempt === 1 ? { commandStatus: ESME_RTHROTTLED, receipts: [] } : accepted('DELIVRD')) },
  { ending: '0007', outcome: (attempt) => (attempt === 1 ? { commandStatus: ESME_RMSGQFUL, receipts: [] } : accepted('DELIVRD')) },
  { ending: '0008', outcome: () => accepted('DELIVRD', 'DELIVRD') },
  { ending: '0009', outcome: () => accepted('DELIVRD', 'ENROUTE') },
];

const BY_ENDING = new Map(NUMBER_PATTERNS.map((pattern) => [pattern.ending, pattern]));

/**
 * @param destination the number as submitted (E.164 for international destinations)
 * @param attempt 1 for the first submit_sm the simulator sees for this number, 2 for the next...
 */
export function decideOutcome(destination: string, attempt: number, mix: OutcomeMix): SubmissionOutcome {
  const pattern = BY_ENDING.get(destination.slice(-4));
  if (pattern) return pattern.outcome(attempt);
  const chosen = pickFromMix(destination, mix);
  return chosen === 'NONE' ? accepted() : accepted(chosen);
}

/** The mix outcome of a number: its FNV-1a hash placed on the cumulated weights. */
export function pickFromMix(destination: string, mix: OutcomeMix): MixOutcome {
  const total = MIX_OUTCOMES.reduce((sum, outcome) => sum + mix[outcome], 0);
  if (total <= 0) return 'DELIVRD';
  let hash = 0x811c9dc5;
  for (let i = 0; i < destination.length; i++) {
    hash ^= destination.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  let point = ((hash >>> 0) / 0x1_0000_0000) * total;
  for (const outcome of MIX_OUTCOMES) {
    point -= mix[outcome];
    if (point < 0) return outcome;
  }
  return 'DELIVRD';
}

/** `DELIVRD=96,UNDELIV=3,EXPIRED=1,NONE=0` (missing outcomes weigh 0). Throws a message naming the problem. */
export function parseOutcomeMix(text: string): OutcomeMix {
  const mix: Record<MixOutcome, number> = { DELIVRD: 0, UNDELIV: 0, EXPIRED: 0, NONE: 0 };
  for (const item of text.split(',').map((entry) => entry.trim()).filter(Boolean)) {
    const match = /^([A-Z]+)\s*=\s*(\d+(?:\.\d+)?)$/.exec(item);
    if (!match) throw new Error(`"${item}" is not OUTCOME=weight (e.g. DELIVRD=96)`);
    const [, name = '', weight = '0'] = match;
    if (!(MIX_OUTCOMES as readonly string[]).includes(name)) throw new Error(`unknown outcome "${name}"; use ${MIX_OUTCOMES.join(', ')}`);
    mix[name as MixOutcome] = Number(weight);
  }
  if (MIX_OUTCOMES.every((outcome) => mix[outcome] === 0)) throw new Error('at least one outcome needs a weight above 0');
  return mix;
}
