/**
 * Cursors of the `conversations` list, newest activity first. A cursor carries the position
 * itself (last activity, id) rather than the id alone: a conversation that moves up while a
 * client pages (a new message) does not shift the pages after it, and nothing is listed twice
 * (what moved up is announced live by `conversationUpdated`). Pure: no I/O.
 */
export interface ActivityPosition {
  lastMessageAt: Date;
  id: string;
}

const PREFIX = 'activity:';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeActivityCursor(position: ActivityPosition): string {
  return Buffer.from(`${PREFIX}${position.lastMessageAt.getTime()}:${position.id}`).toString('base64url');
}

/** The position a cursor names, or null when it is not a cursor of this list. */
export function decodeActivityCursor(cursor: string): ActivityPosition | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return null;
  const [millis = '', id = '', ...rest] = text.slice(PREFIX.length).split(':');
  if (rest.length > 0 || !/^\d{1,15}$/.test(millis) || !UUID.test(id)) return null;
  return { lastMessageAt: new Date(Number(millis)), id };
}
