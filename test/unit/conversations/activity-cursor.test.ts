import { describe, expect, it } from 'vitest';
import { decodeActivityCursor, encodeActivityCursor } from '../../../src/domain/conversations/activity-cursor.js';

describe('conversation list cursors', () => {
  it('carry the position exactly, to the millisecond', () => {
    const position = { lastMessageAt: new Date('2026-11-26T10:15:30.123Z'), id: '019abcde-1234-7abc-8def-0123456789ab' };
    const cursor = encodeActivityCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeActivityCursor(cursor)).toEqual(position);
  });

  it.each([
    ['empty', ''],
    ['not base64 of a cursor', 'bm9wZQ'],
    ['another list’s cursor', Buffer.from('GPC:S:019abcde-1234-7abc-8def-0123456789ab').toString('base64url')],
    ['a date that is not a number', Buffer.from('activity:yesterday:019abcde-1234-7abc-8def-0123456789ab').toString('base64url')],
    ['an id that is not a uuid', Buffer.from('activity:1795661555739:1; DROP TABLE conversation').toString('base64url')],
    ['extra parts', Buffer.from('activity:1795661555739:019abcde-1234-7abc-8def-0123456789ab:x').toString('base64url')],
  ])('refuses %s', (_case, cursor) => {
    expect(decodeActivityCursor(cursor)).toBeNull();
  });
});
