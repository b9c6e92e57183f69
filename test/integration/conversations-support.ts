/**
 * Helpers of the two-way tests: accounts with credit, members who accepted an invitation, and
 * conversations started through the API, on the test platform given.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import {
  AcceptInvitationDocument,
  ConfirmMobileDocument,
  ConversationDocument,
  InviteMemberDocument,
  StartConversationDocument,
  TopUpCreditDocument,
  type Role,
  type StartConversationInput,
} from '../../codegen/generated/operations.js';
import { createTenant, databaseId, lastCodeSentTo, randomFrenchMobile, type Tenant } from '../support/fixtures.js';
import { apiClient, type ApiClient, type TestPlatform } from '../support/platform.js';

export const SHORT_CODE = '36111';

/** 06 10 xx 00 01 to 06 38 xx 00 01: ranges libphonenumber knows as assigned mobiles. */
const NUMBERS = 2_900;
let nextNumber = randomBytes(2).readUInt16BE(0) % NUMBERS;

/**
 * A French mobile the simulator always delivers to (ends in 0001), never given twice in a test
 * file (each file has a database of its own): 2,900 of them from a random start.
 */
export function deliveredNumber(): string {
  nextNumber = (nextNumber + 1) % NUMBERS;
  return `+336${10 + Math.floor(nextNumber / 100)}${String(nextNumber % 100).padStart(2, '0')}0001`;
}

export interface Org {
  tenant: Tenant;
  owner: ApiClient;
}

export interface Member {
  userId: string;
  token: string;
  api: ApiClient;
}

export function conversationHelpers(platform: () => TestPlatform) {
  const sql = <Row extends object>(text: string, values: unknown[] = []) => platform().sql<Row>(text, values);
  const client = (token: string) => apiClient(platform().graphqlUrl, `Bearer ${token}`);

  /** An account on the GOLD plan with 20 € of credit. */
  async function org(): Promise<Org> {
    const tenant = await createTenant(platform());
    await sql(`UPDATE account SET plan_code = 'GOLD' WHERE id = $1`, [tenant.accountUuid]);
    const owner = client(tenant.accessToken);
    const topUp = await owner.request(TopUpCreditDocument, { input: { amount: '20.00' } });
    expect(topUp.topUpCredit.__typename).toBe('MutationTopUpCreditSuccess');
    return { tenant, owner };
  }

  /** A member invited with that role, who accepted and confirmed their mobile. */
  async function addMember(inviter: ApiClient, role: Role): Promise<Member> {
    const email = `agent-${randomBytes(5).toString('hex')}@example-corp.fr`;
    const invited = (await inviter.request(InviteMemberDocument, { input: { email, role } })).inviteMember;
    if (invited.__typename !== 'MutationInviteMemberSuccess') throw new Error(JSON.stringify(invited));
    const [row] = await sql<{ body: string }>(`SELECT body FROM outbound_email WHERE recipient = $1 ORDER BY created_at DESC LIMIT 1`, [email]);
    const token = /token: (\S+)/.exec(row?.body ?? '')?.[1] ?? '';
    const mobile = randomFrenchMobile();
    const accepted = (
      await apiClient(platform().graphqlUrl).request(AcceptInvitationDocument, {
        input: { token, password: 'a long enough password', firstName: 'Ana', lastName: 'Gent', mobile },
      })
    ).acceptInvitation;
    if (accepted.__typename !== 'MutationAcceptInvitationSuccess' || !accepted.data.confirmationId) throw new Error(JSON.stringify(accepted));
    const confirmed = (
      await apiClient(platform().graphqlUrl).request(ConfirmMobileDocument, {
        input: { confirmationId: accepted.data.confirmationId, code: await lastCodeSentTo(platform(), mobile) },
      })
    ).confirmMobile;
    if (confirmed.__typename !== 'MutationConfirmMobileSuccess') throw new Error(JSON.stringify(confirmed));
    return { userId: confirmed.data.user.id, token: confirmed.data.accessToken, api: client(confirmed.data.accessToken) };
  }

  async function start(api: ApiClient, input: StartConversationInput) {
    const result = (await api.request(StartConversationDocument, { input })).startConversation;
    if (result.__typename !== 'MutationStartConversationSuccess') throw new Error(`start refused: ${JSON.stringify(result)}`);
    return result.data;
  }

  /** Waits until the message has been handed to the carrier (reply routing counts from then). */
  async function handedOver(messageGlobalId: string): Promise<void> {
    const id = databaseId(messageGlobalId);
    await expect
      .poll(async () => (await sql<{ submitted_at: Date | null }>(`SELECT submitted_at FROM message WHERE id = $1`, [id]))[0]?.submitted_at ?? null, { timeout: 10_000 })
      .not.toBeNull();
  }

  async function thread(api: ApiClient, id: string) {
    const { conversation } = await api.request(ConversationDocument, { id });
    return conversation;
  }

  async function inboundCount(from: string): Promise<number> {
    return Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM inbound_message WHERE from_number = $1`, [from]))[0]?.n ?? 0);
  }

  /**
   * Open conversations written straight into the database (through the shared short code), as
   * inbound replies would leave them: unassigned and waiting since `waitingSince` (oldest first),
   * or assigned. Returns their global ids in the order given.
   */
  async function seedConversations(accountUuid: string, rows: { assignedTo?: string | null; waitingSince?: Date | null; status?: 'OPEN' | 'CLOSED' }[]): Promise<string[]> {
    const ids: string[] = [];
    for (const row of rows) {
      const [inserted] = await sql<{ id: string }>(
        `INSERT INTO conversation (id, account_id, platform_number, contact_number, status, assigned_user_id, waiting_since)
         VALUES (uuidv7(), $1, $2, $3, $4::"ConversationStatus", $5, $6) RETURNING id::text`,
        [accountUuid, SHORT_CODE, deliveredNumber(), row.status ?? 'OPEN', row.assignedTo ? databaseId(row.assignedTo) : null, row.assignedTo ? null : (row.waitingSince ?? null)],
      );
      ids.push(Buffer.from(`Conversation:${inserted?.id}`).toString('base64'));
    }
    return ids;
  }

  return { sql, client, org, addMember, start, handedOver, thread, inboundCount, seedConversations };
}
