import { describe, expect, it } from 'vitest';
import { nextStatus, statusOfParts } from '../../../src/domain/messages/delivery-status.js';
import type { MessageStatus } from '../../../src/generated/prisma/enums.js';

describe('the status of a message from the receipts of its parts', () => {
  it.each<[string, (MessageStatus | null)[], number, MessageStatus | null]>([
    ['one part delivered', ['DELIVERED'], 1, 'DELIVERED'],
    ['one part not issued', ['NOT_ISSUED'], 1, 'NOT_ISSUED'],
    ['one part expired', ['EXPIRED'], 1, 'EXPIRED'],
    ['no receipt yet', [], 3, null],
    ['two of three parts delivered: wait', ['DELIVERED', 'DELIVERED', null], 3, null],
    ['all three delivered', ['DELIVERED', 'DELIVERED', 'DELIVERED'], 3, 'DELIVERED'],
    ['a failed part ends it at once, before the others report', ['DELIVERED', 'NOT_ISSUED', null], 3, 'NOT_ISSUED'],
    ['an expired part ends it at once', [null, 'EXPIRED'], 3, 'EXPIRED'],
    ['the first failed part decides', ['EXPIRED', 'NOT_ISSUED', 'DELIVERED'], 3, 'EXPIRED'],
    ['a failed part wins over all others delivered', ['DELIVERED', 'DELIVERED', 'NOT_ISSUED'], 3, 'NOT_ISSUED'],
  ])('%s', (_, parts, count, expected) => {
    expect(statusOfParts(parts, count)).toBe(expected);
  });
});

describe('statuses only move forward', () => {
  it.each<[MessageStatus, MessageStatus, MessageStatus | null]>([
    ['ON_HOLD', 'TRANSMITTED', 'TRANSMITTED'],
    ['TRANSMITTED', 'DELIVERED', 'DELIVERED'],
    ['DELIVERED', 'NOT_ISSUED', null],
    ['BLACKLISTED', 'DELIVERED', null],
    ['CANCELLED', 'TRANSMITTED', null],
    ['TRANSMITTED', 'ON_HOLD', null],
    ['DELIVERED', 'TRANSMITTED', null],
  ])('%s then %s gives %s', (current, incoming, expected) => {
    expect(nextStatus(current, incoming)).toBe(expected);
  });
});
