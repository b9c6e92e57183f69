import DataLoader from 'dataloader';
import { pool } from '../../db/client.js';

/**
 * Whether a message is one of the platform's own SERVICE messages (confirmation codes, security
 * alerts), which are stored with the account but never shown to it. Status events carry only
 * the message id; every live subscriber of an account asks about the same ids at the same
 * moment, so the questions of one tick go to the database as one query. Nothing is cached: a
 * message's kind never changes, but the answers are only needed once per event.
 */
const serviceMessageIds = new DataLoader<string, boolean>(
  async (ids) => {
    const { rows } = await pool.query<{ id: string }>(`SELECT id::text FROM message WHERE id = ANY($1::bigint[]) AND kind = 'SERVICE'`, [ids]);
    const service = new Set(rows.map((row) => row.id));
    return ids.map((id) => service.has(id));
  },
  { cache: false, maxBatchSize: 1000 },
);

export function isServiceMessage(messageId: string): Promise<boolean> {
  return serviceMessageIds.load(messageId);
}
