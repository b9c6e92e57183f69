import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AcceptInvitationDocument,
  ConfirmMobileDocument,
  CreditBalanceDocument,
  InviteMemberDocument,
  LedgerEntriesDocument,
  MessageStatusChangedDocument,
  MessagesDocument,
  NodeDocument,
  SendMessageDocument,
  SignUpDocument,
  TopUpCreditDocument,
} from '../../codegen/generated/operations.js';
import { createTenant, signUpInput } from '../support/fixtures.js';
import { apiClient, collect, startTestPlatform, wsClient, type TestPlatform } from '../support/platform.js';
import { sseSubscribe } from '../support/sse.js';

/**
 * The platform's own messages to users (confirmation codes) go out through the carrier: real
 * SMPP to the built-in simulator, from SERVICE_SENDER, on the transactional lane, never charged
 * and never shown to the account as its messages.
 */
const SERVICE_SENDER = 'Acme Codes';
let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ SERVICE_SENDER });
});

afterAll(async () => {
  await platform?.stop();
});

/** A French mobile the simulator always reports as delivered (last digits 0001). */
function deliveredMobile(): string {
  // 06 followed by 0-2 or 4-8 is an assigned mobile range in France.
  return `+336${'01245678'[randomInt(8)]}${String(randomInt(1000)).padStart(3, '0')}0001`;
}

/** What the carrier received for a number, once it has. */
async function smsTo(number: string, count = 1) {
  await expect.poll(() => platform.simulator!.messages().filter((sms) => sms.to === number).length, { timeout: 10_000 }).toBe(count);
  return platform.simulator!.messages().filter((sms) => sms.to === number);
}

function codeIn(text: string): string {
  const code = /^(\d{6}) is your confirmation code/.exec(text)?.[1];
  if (!code) throw new Error(`no code in "${text}"`);
  return code;
}

function messageGlobalId(id: string): string {
  return Buffer.from(`Message:${id}`).toString('base64');
}

interface StoredMessage {
  id: string;
  kind: string;
  priority: number;
  sender: string;
  price: string;
  reservation_id: string | null;
  status: string;
}

const storedMessagesTo = (number: string) =>
  platform.sql<StoredMessage>(
    `SELECT id::text, kind, priority, sender, price::text, reservation_id, status FROM message WHERE recipient = $1 ORDER BY id`,
    [number],
  );

describe('service messages', () => {
  it('sends the sign-up code over SMPP from SERVICE_SENDER, free of charge and hidden, and that code confirms the mobile', async () => {
    const mobile = deliveredMobile();
    const anonymous = apiClient(platform.graphqlUrl);
    const signedUp = (await anonymous.request(SignUpDocument, { input: signUpInput({ mobile }) })).signUp;
    if (signedUp.__typename !== 'MutationSignUpSuccess') throw new Error(JSON.stringify(signedUp));

    // The code reaches the handset through the carrier, not a table nobody reads.
    const [sms] = await smsTo(mobile);
    expect(sms).toMatchObject({ from: SERVICE_SENDER, parts: 1 });
    const confirmed = (await anonymous.request(ConfirmMobileDocument, { input: { confirmationId: signedUp.data.confirmationId, code: codeIn(sms!.text) } }))
      .confirmMobile;
    if (confirmed.__typename !== 'MutationConfirmMobileSuccess') throw new Error(JSON.stringify(confirmed));
    expect(confirmed.data.account.status).toBe('ACTIVE');

    // Stored with the account, on the transactional lane, priced 0 and held against nothing.
    await expect.poll(async () => (await storedMessagesTo(mobile)).map((row) => row.status), { timeout: 10_000 }).toEqual(['DELIVERED']);
    const [stored] = await storedMessagesTo(mobile);
    expect(stored).toMatchObject({ kind: 'SERVICE', priority: 0, sender: SERVICE_SENDER, price: '0.000000', reservation_id: null });

    // Never charged, never listed, never reachable by id.
    const owner = apiClient(platform.graphqlUrl, `Bearer ${confirmed.data.accessToken}`);
    expect((await owner.request(CreditBalanceDocument)).creditBalance).toMatchObject({ available: '0.00', reserved: '0.00' });
    expect((await owner.request(LedgerEntriesDocument, {})).ledgerEntries.edges).toEqual([]);
    expect((await owner.request(MessagesDocument, {})).messages.edges).toEqual([]);
    expect((await owner.request(NodeDocument, { id: messageGlobalId(stored!.id) })).node).toBeNull();
  });

  it('sends a fresh code when asked again, and only the fresh one works', async () => {
    const mobile = deliveredMobile();
    const anonymous = apiClient(platform.graphqlUrl);
    const signedUp = (await anonymous.request(SignUpDocument, { input: signUpInput({ mobile }) })).signUp;
    if (signedUp.__typename !== 'MutationSignUpSuccess') throw new Error(JSON.stringify(signedUp));
    const [first] = await smsTo(mobile);
    // Past the once-a-minute limit without waiting a minute.
    await platform.sql(`UPDATE mobile_confirmation SET created_at = now() - interval '2 minutes' WHERE id = $1`, [signedUp.data.confirmationId]);
    const resent = await fetch(platform.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation ($id: ID!) { resendMobileConfirmation(confirmationId: $id) { __typename } }',
        variables: { id: signedUp.data.confirmationId },
      }),
    });
    expect(await resent.json()).toEqual({ data: { resendMobileConfirmation: { __typename: 'MutationResendMobileConfirmationSuccess' } } });

    const [, second] = await smsTo(mobile, 2);
    expect(second!.from).toBe(SERVICE_SENDER);
    const input = { confirmationId: signedUp.data.confirmationId };
    if (codeIn(first!.text) !== codeIn(second!.text)) {
      const old = (await anonymous.request(ConfirmMobileDocument, { input: { ...input, code: codeIn(first!.text) } })).confirmMobile;
      expect(old).toMatchObject({ __typename: 'ConfirmationCodeError', reason: 'WRONG_CODE' });
    }
    const fresh = (await anonymous.request(ConfirmMobileDocument, { input: { ...input, code: codeIn(second!.text) } })).confirmMobile;
    expect(fresh.__typename).toBe('MutationConfirmMobileSuccess');
  });

  it("keeps service messages out of the account's live statuses, over WebSocket and SSE", async () => {
    const tenant = await createTenant(platform);
    const owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    expect((await owner.request(TopUpCreditDocument, { input: { amount: '10.00' } })).topUpCredit.__typename).toBe('MutationTopUpCreditSuccess');
    const socket = wsClient(platform.wsUrl, `Bearer ${tenant.accessToken}`);
    const overSocket = collect(socket, MessageStatusChangedDocument, {});
    const overSse = await sseSubscribe(platform.graphqlUrl, MessageStatusChangedDocument, {}, { authorization: `Bearer ${tenant.accessToken}` });
    await new Promise((resolve) => setTimeout(resolve, 500));

    // A new team member's confirmation code: a service message stored with this account.
    const email = `member-${randomBytes(5).toString('hex')}@example-corp.fr`;
    const invited = (await owner.request(InviteMemberDocument, { input: { email, role: 'AGENT' } })).inviteMember;
    expect(invited.__typename).toBe('MutationInviteMemberSuccess');
    const [invitation] = await platform.sql<{ body: string }>(`SELECT body FROM outbound_email WHERE recipient = $1 AND purpose = 'TEAM_INVITATION'`, [email]);
    const token = /token: (\S+)/.exec(invitation?.body ?? '')?.[1] ?? '';
    const memberMobile = deliveredMobile();
    const accepted = (
      await apiClient(platform.graphqlUrl).request(AcceptInvitationDocument, {
        input: { token, password: 'a long enough password', firstName: 'Paul', lastName: 'Durand', mobile: memberMobile },
      })
    ).acceptInvitation;
    if (accepted.__typename !== 'MutationAcceptInvitationSuccess') throw new Error(JSON.stringify(accepted));
    const [sms] = await smsTo(memberMobile);
    expect(sms!.from).toBe(SERVICE_SENDER);
    await expect.poll(async () => (await storedMessagesTo(memberMobile)).map((row) => [row.kind, row.status]), { timeout: 10_000 }).toEqual([
      ['SERVICE', 'DELIVERED'],
    ]);
    const [service] = await storedMessagesTo(memberMobile);

    // Then one of the account's own messages: its statuses are all the subscribers get.
    const sent = (await owner.request(SendMessageDocument, { input: { to: ['+33612770001'], text: 'Votre rendez-vous est confirmé.', sender: 'CLINIQUE' } }))
      .sendMessage;
    if (sent.__typename !== 'MutationSendMessageSuccess') throw new Error(JSON.stringify(sent));
    const own = sent.data.messages[0]!.id;
    await overSocket.next(2, 15_000);
    await overSse.next(2, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    overSocket.unsubscribe();
    overSse.close();
    await socket.dispose();

    const expected = [
      [own, 'TRANSMITTED'],
      [own, 'DELIVERED'],
    ];
    expect(overSocket.received.map((event) => [event.messageStatusChanged.id, event.messageStatusChanged.status])).toEqual(expected);
    expect(overSse.received.map((event) => [event.messageStatusChanged.id, event.messageStatusChanged.status])).toEqual(expected);
    // The same lookup by id finds the account's own message, not the service one.
    expect((await owner.request(NodeDocument, { id: own })).node).toMatchObject({ __typename: 'Message', id: own });
    expect((await owner.request(NodeDocument, { id: messageGlobalId(service!.id) })).node).toBeNull();
    expect((await owner.request(MessagesDocument, {})).messages.edges.map((edge) => edge.node.id)).toEqual([own]);
  });
});
