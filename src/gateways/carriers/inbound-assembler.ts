/**
 * Reassembly of inbound messages that arrive in several parts (UDH or SAR TLVs), whatever their
 * order, across the binds of a connection. A set that stays incomplete for `timeoutMs` is handed
 * over with what arrived, flagged incomplete, rather than lost. Time is passed in (milliseconds).
 * Each part's acknowledgement is kept with its set and sent only once the whole message is
 * handled: a process that dies with a set half received has acknowledged none of its parts, so
 * the carrier delivers them all again (to whichever process binds next).
 */
import type { Concatenation } from './udh.js';

export type Acknowledge = (commandStatus: number) => void;

export interface PendingSet {
  key: string;
  total: number;
  texts: Array<string | undefined>;
  received: number;
  firstAt: number;
  /** One per deliver_sm received for the set (a part delivered twice is answered twice). */
  acknowledgements: Acknowledge[];
}

export interface AssembledMessage {
  key: string;
  text: string;
  parts: number;
  complete: boolean;
  firstAt: number;
  /** Every part's acknowledgement, to send once the message is handled (or refused for redelivery). */
  acknowledgements: Acknowledge[];
}

export class InboundAssembler {
  private readonly sets = new Map<string, PendingSet>();

  constructor(private readonly timeoutMs: number) {}

  get pendingSets(): number {
    return this.sets.size;
  }

  /** Adds a part; returns the whole message when this part completes its set. A repeated part replaces the earlier copy. */
  add(key: string, part: Concatenation, text: string, now: number, acknowledge: Acknowledge | null = null): AssembledMessage | null {
    let set = this.sets.get(key);
    if (!set) {
      set = { key, total: part.total, texts: new Array<string | undefined>(part.total), received: 0, firstAt: now, acknowledgements: [] };
      this.sets.set(key, set);
    }
    const slot = part.index - 1;
    if (set.texts[slot] === undefined) set.received++;
    set.texts[slot] = text;
    if (acknowledge) set.acknowledgements.push(acknowledge);
    if (set.received < set.total) return null;
    this.sets.delete(key);
    return { key, text: set.texts.join(''), parts: set.total, complete: true, firstAt: set.firstAt, acknowledgements: set.acknowledgements };
  }

  /** Removes and returns the sets older than the timeout, with the parts that did arrive joined in order. */
  expire(now: number): AssembledMessage[] {
    const expired: AssembledMessage[] = [];
    for (const set of this.sets.values()) {
      if (now - set.firstAt < this.timeoutMs) continue;
      this.sets.delete(set.key);
      expired.push({
        key: set.key,
        text: set.texts.filter((text) => text !== undefined).join(''),
        parts: set.total,
        complete: false,
        firstAt: set.firstAt,
        acknowledgements: set.acknowledgements,
      });
    }
    return expired;
  }
}
