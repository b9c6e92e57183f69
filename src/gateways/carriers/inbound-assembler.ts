/**
 * Reassembly of inbound messages that arrive in several parts (UDH or SAR TLVs), whatever their
 * order, across the binds of a connection. A set that stays incomplete for `timeoutMs` is handed
 * over with what arrived, flagged incomplete, rather than lost. Time is passed in (milliseconds).
 */
import type { Concatenation } from './udh.js';

export interface PendingSet {
  key: string;
  total: number;
  texts: Array<string | undefined>;
  received: number;
  firstAt: number;
}

export interface AssembledMessage {
  key: string;
  text: string;
  parts: number;
  complete: boolean;
  firstAt: number;
  /** The set as it was, to put back with `restore` if the message could not be handled. */
  set: PendingSet;
}

export class InboundAssembler {
  private readonly sets = new Map<string, PendingSet>();

  constructor(private readonly timeoutMs: number) {}

  get pendingSets(): number {
    return this.sets.size;
  }

  /** Adds a part; returns the whole message when this part completes its set. A repeated part replaces the earlier copy. */
  add(key: string, part: Concatenation, text: string, now: number): AssembledMessage | null {
    let set = this.sets.get(key);
    if (!set) {
      set = { key, total: part.total, texts: new Array<string | undefined>(part.total), received: 0, firstAt: now };
      this.sets.set(key, set);
    }
    const slot = part.index - 1;
    if (set.texts[slot] === undefined) set.received++;
    set.texts[slot] = text;
    if (set.received < set.total) return null;
    this.sets.delete(key);
    return { key, text: set.texts.join(''), parts: set.total, complete: true, firstAt: set.firstAt, set };
  }

  /** Puts a completed set back (its handling failed), keeping parts that arrived again meanwhile. */
  restore(set: PendingSet): void {
    const current = this.sets.get(set.key);
    if (!current) {
      this.sets.set(set.key, { ...set, texts: [...set.texts] });
      return;
    }
    set.texts.forEach((text, slot) => {
      if (text !== undefined && current.texts[slot] === undefined) {
        current.texts[slot] = text;
        current.received++;
      }
    });
  }

  /** Removes and returns the sets older than the timeout, with the parts that did arrive joined in order. */
  expire(now: number): AssembledMessage[] {
    const expired: AssembledMessage[] = [];
    for (const set of this.sets.values()) {
      if (now - set.firstAt < this.timeoutMs) continue;
      this.sets.delete(set.key);
      expired.push({ key: set.key, text: set.texts.filter((text) => text !== undefined).join(''), parts: set.total, complete: false, firstAt: set.firstAt, set });
    }
    return expired;
  }
}
