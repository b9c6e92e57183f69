import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignConversationDocument,
  CampaignPreviewDocument,
  CloseConversationDocument,
  ConfigureConversationAssignmentDocument,
  ConversationsDocument,
  ConversationUpdatedDocument,
  CreateApiKeyDocument,
  CreateCampaignDocument,
  InboxSummaryDocument,
  LatestConversationsDocument,
  MarkConversationReadDocument,
  MessageReceivedDocument,
  PlatformOperatorDocument,
  ReplyToConversationDocument,
  RouteUnroutedMessageDocument,
  SendCampaignDocument,
  SendMessageDocument,
  StartConversationDocument,
  UnroutedMessagesDocument,
  UpdateCampaignDocument,
} from '../../codegen/generated/operations.js';
import { MESSAGE_RECEIVED_TEXT_BYTES } from '../../src/events/channels.js';
import { apiClient, collect, startTestPlatform, wsClient, type ApiClient, type TestPlatform } from '../support/platform.js';
import { databaseId } from '../support/fixtures.js';
import { conversationHelpers, deliveredNumber, SHORT_CODE } from './conversations-support.js';

/**
 * Two-way SMS end to end: conversations started over real SMPP to the built-in simulator, replies
 * injected by the simulator as deliver_sm (several parts, any order), routed by the platform to
 * the right account and conversation, pushed live only to those who may see them.
 */
let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform?.stop();
});

const { sql, org, addMember, start, handedOver, thread, inboundCount } = conversationHelpers(() => platform);

const LONG_REPLY = 'Bonjour, je ne serai pas disponible jeudi matin. Pourriez-vous me proposer un autre créneau la semaine prochaine, plutôt en fin de journée ? Merci et bonne journée à toute l équipe. '.repeat(2);

describe('two-way conversations', () => {
  it('a reply to the shared short code reaches the account that last wrote to that number through it, and only that conversation', async () => {
    const a = await org();
    const b = await org();
    const contact = deliveredNumber();

    const fromA = await start(a.owner, { to: contact, text: 'Votre commande est prête. Répondez pour choisir un créneau.' });
    expect(fromA.message).toMatchObject({ sender: SHORT_CODE, recipient: contact, kind: 'TRANSACTIONAL', price: '0.075' });
    expect(fromA.reserved).toBe('0.075');
    await handedOver(fromA.message.id);
    const fromB = await start(b.owner, { to: contact, text: 'Rappel : votre rendez-vous est demain à 10h.' });
    await handedOver(fromB.message.id);

    // B wrote last: the reply (three parts, in reverse order) is B's.
    await platform.simulator!.injectInbound(contact, SHORT_CODE, LONG_REPLY, { partOrder: 'reverse' });
    await expect.poll(() => inboundCount(contact), { timeout: 10_000 }).toBe(1);
    const inB = await thread(b.owner, fromB.conversation.id);
    expect(inB?.messages.map((message) => [message.direction, message.text])).toEqual([
      ['OUTBOUND', 'Rappel : votre rendez-vous est demain à 10h.'],
      ['INBOUND', LONG_REPLY],
    ]);
    expect(inB?.unreadCount).toBe(1);
    const inA = await thread(a.owner, fromA.conversation.id);
    expect(inA?.messages.map((message) => message.direction)).toEqual(['OUTBOUND']);
    // A never sees B's conversation.
    expect(await thread(a.owner, fromB.conversation.id)).toBeNull();

    // A writes again: now the next reply is A's.
    const again = await (async () => {
      const replied = (await a.owner.request(ReplyToConversationDocument, { input: { conversationId: fromA.conversation.id, text: 'Nous sommes ouverts jusqu’à 19h.' } }))
        .replyToConversation;
      if (replied.__typename !== 'MutationReplyToConversationSuccess') throw new Error(JSON.stringify(replied));
      return replied.data;
    })();
    expect(again.message).toMatchObject({ sender: SHORT_CODE, price: '0.075' });
    await handedOver(again.message.id);
    await platform.simulator!.injectInbound(contact, SHORT_CODE, 'Merci, je passe ce soir');
    await expect.poll(() => inboundCount(contact), { timeout: 10_000 }).toBe(2);
    expect((await thread(a.owner, fromA.conversation.id))?.messages.map((message) => message.text).at(-1)).toBe('Merci, je passe ce soir');
    expect((await thread(b.owner, fromB.conversation.id))?.messages).toHaveLength(2);

    // Reading clears the unread count.
    const read = (await b.owner.request(MarkConversationReadDocument, { id: fromB.conversation.id })).markConversationRead;
    expect(read).toMatchObject({ __typename: 'MutationMarkConversationReadSuccess', data: { unreadCount: 0 } });
  });

  it('a reply nobody can be found for is kept unrouted; a STOP blacklists the number for the account it answers only', async () => {
    const stranger = deliveredNumber();
    await platform.simulator!.injectInbound(stranger, SHORT_CODE, 'Qui êtes-vous ?');
    await expect.poll(() => inboundCount(stranger), { timeout: 10_000 }).toBe(1);
    expect(await sql(`SELECT account_id, conversation_id FROM inbound_message WHERE from_number = $1`, [stranger])).toEqual([{ account_id: null, conversation_id: null }]);

    const a = await org();
    const b = await org();
    const contact = deliveredNumber();
    const fromA = await start(a.owner, { to: contact, text: 'Offre du jour : -20 % sur tout le magasin.' });
    await handedOver(fromA.message.id);
    const fromB = await start(b.owner, { to: contact, text: 'Votre colis arrive demain.' });
    await handedOver(fromB.message.id);

    await platform.simulator!.injectInbound(contact, SHORT_CODE, ' Arrêt ! ');
    await expect.poll(() => inboundCount(contact), { timeout: 10_000 }).toBe(1);
    expect(await sql(`SELECT account_id::text, source::text FROM blacklist_entry WHERE number = $1`, [contact])).toEqual([
      { account_id: b.tenant.accountUuid, source: 'STOP_REPLY' },
    ]);
    const last = (await thread(b.owner, fromB.conversation.id))?.messages.at(-1);
    expect(last).toMatchObject({ direction: 'INBOUND', text: ' Arrêt ! ', optOut: true });
  });

  it('platform operators list unrouted replies and hand one to its account; nobody else may', async () => {
    const strangers = [deliveredNumber(), deliveredNumber()];
    await platform.simulator!.injectInbound(strangers[0]!, SHORT_CODE, 'Bonjour, c’est pour le rendez-vous de jeudi.');
    await expect.poll(() => inboundCount(strangers[0]!), { timeout: 10_000 }).toBe(1);
    await platform.simulator!.injectInbound(strangers[1]!, SHORT_CODE, 'STOP');
    await expect.poll(() => inboundCount(strangers[1]!), { timeout: 10_000 }).toBe(1);

    const customer = await org();
    const staff = await org();
    // A customer, even the owner of an account, is no operator.
    expect((await customer.owner.request(PlatformOperatorDocument, {})).me.platformOperator).toBe(false);
    await expect(customer.owner.request(UnroutedMessagesDocument, {})).rejects.toThrow(/platform operator/);
    await sql(`INSERT INTO platform_operator (user_id) VALUES ($1)`, [staff.tenant.userUuid]);
    expect((await staff.owner.request(PlatformOperatorDocument, {})).me.platformOperator).toBe(true);

    const unrouted = (await staff.owner.request(UnroutedMessagesDocument, { first: 50 })).unroutedMessages.edges.map(({ node }) => node);
    const [question, stop] = strangers.map((number) => unrouted.find((node) => node.from === number)!);
    expect(question).toMatchObject({ to: SHORT_CODE, text: 'Bonjour, c’est pour le rendez-vous de jeudi.', complete: true, accountId: null, routedAt: null });
    expect(unrouted.indexOf(stop!)).toBeLessThan(unrouted.indexOf(question!)); // newest first

    const routed = (await staff.owner.request(RouteUnroutedMessageDocument, { input: { id: question!.id, accountId: customer.tenant.accountId } })).routeUnroutedMessage;
    if (routed.__typename !== 'MutationRouteUnroutedMessageSuccess') throw new Error(JSON.stringify(routed));
    expect(routed.data).toMatchObject({ accountId: customer.tenant.accountId, routedBy: staff.tenant.email });
    const { conversations } = await customer.owner.request(ConversationsDocument, {});
    const opened = conversations.edges.find(({ node }) => node.contactNumber === strangers[0])?.node;
    expect(opened).toMatchObject({ id: routed.data.conversationId, platformNumber: SHORT_CODE, status: 'OPEN', unreadCount: 1 });
    expect((await thread(customer.owner, opened!.id))?.messages.map((message) => [message.direction, message.text])).toEqual([
      ['INBOUND', 'Bonjour, c’est pour le rendez-vous de jeudi.'],
    ]);

    // A STOP handed to an account blacklists the number for that account.
    const stopped = (await staff.owner.request(RouteUnroutedMessageDocument, { input: { id: stop!.id, accountId: customer.tenant.accountId } })).routeUnroutedMessage;
    expect(stopped.__typename).toBe('MutationRouteUnroutedMessageSuccess');
    expect(await sql(`SELECT account_id::text, source::text FROM blacklist_entry WHERE number = $1`, [strangers[1]])).toEqual([
      { account_id: customer.tenant.accountUuid, source: 'STOP_REPLY' },
    ]);

    // Once only; unknown accounts and messages are not found; customers cannot route.
    expect((await staff.owner.request(RouteUnroutedMessageDocument, { input: { id: question!.id, accountId: staff.tenant.accountId } })).routeUnroutedMessage).toMatchObject({
      __typename: 'ValidationError',
      problems: [{ field: 'id', message: 'This reply already went to an account.' }],
    });
    const nowhere = Buffer.from('Account:00000000-0000-7000-8000-000000000000').toString('base64');
    expect((await staff.owner.request(RouteUnroutedMessageDocument, { input: { id: stop!.id, accountId: nowhere } })).routeUnroutedMessage).toMatchObject({
      __typename: 'NotFoundError',
    });
    await expect(customer.owner.request(RouteUnroutedMessageDocument, { input: { id: stop!.id, accountId: customer.tenant.accountId } })).rejects.toThrow(/platform operator/);

    const history = (await staff.owner.request(UnroutedMessagesDocument, { routed: true })).unroutedMessages.edges.map(({ node }) => node.from);
    expect(history).toEqual(expect.arrayContaining(strangers));
    const left = (await staff.owner.request(UnroutedMessagesDocument, { first: 50 })).unroutedMessages.edges.map(({ node }) => node.from);
    expect(left).not.toContain(strangers[0]);
    expect(left).not.toContain(strangers[1]);
  });

  it('a reply to a number the account owns goes to that account, whoever else wrote to the contact', async () => {
    const a = await org();
    const b = await org();
    const virtualNumber = `+3361${String(randomBytes(3).readUIntBE(0, 3) % 1000).padStart(3, '0')}9999`;
    await sql(`INSERT INTO account_number (id, account_id, number, kind, country) VALUES (uuidv7(), $1, $2, 'VIRTUAL_NUMBER', 'FR')`, [a.tenant.accountUuid, virtualNumber]);
    const contact = deliveredNumber();
    const fromA = await start(a.owner, { to: contact, text: 'Bonjour depuis notre numéro.', platformNumber: virtualNumber });
    expect(fromA.conversation.platformNumber).toBe(virtualNumber);
    expect(fromA.message).toMatchObject({ sender: virtualNumber, price: '0.075' });
    // B may not send from A's number.
    const refused = (await b.owner.request(StartConversationDocument, { input: { to: contact, text: 'Bonjour', platformNumber: virtualNumber } })).startConversation;
    expect(refused).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'sender' }] });
    const fromB = await start(b.owner, { to: contact, text: 'Bonjour de B.' });
    await handedOver(fromB.message.id);

    await platform.simulator!.injectInbound(contact, virtualNumber, 'Réponse au numéro de A');
    await expect.poll(() => inboundCount(contact), { timeout: 10_000 }).toBe(1);
    expect((await thread(a.owner, fromA.conversation.id))?.messages.map((message) => message.text)).toEqual(['Bonjour depuis notre numéro.', 'Réponse au numéro de A']);
    expect((await thread(b.owner, fromB.conversation.id))?.messages).toHaveLength(1);
  });

  it('agents see only their own and unassigned conversations, live, never another account’s', async () => {
    const a = await org();
    const b = await org();
    const agent1 = await addMember(a.owner, 'AGENT');
    const agent2 = await addMember(a.owner, 'AGENT');

    const ownerEvents = collect(wsClient(platform.wsUrl, `Bearer ${a.tenant.accessToken}`), MessageReceivedDocument, {});
    const agent1Events = collect(wsClient(platform.wsUrl, `Bearer ${agent1.token}`), MessageReceivedDocument, {});
    const agent2Events = collect(wsClient(platform.wsUrl, `Bearer ${agent2.token}`), MessageReceivedDocument, {});
    const agent2Updates = collect(wsClient(platform.wsUrl, `Bearer ${agent2.token}`), ConversationUpdatedDocument, {});
    const otherAccount = collect(wsClient(platform.wsUrl, `Bearer ${b.tenant.accessToken}`), MessageReceivedDocument, {});
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Agent 2 starts a conversation: it is theirs.
    const contact = deliveredNumber();
    const started = await start(agent2.api, { to: contact, text: 'Bonjour, ici votre conseiller.' });
    expect(started.conversation.assignedAgent?.id).toBe(agent2.userId);
    await handedOver(started.message.id);
    // Account B writes to another number; its reply must reach B only.
    const bContact = deliveredNumber();
    const fromB = await start(b.owner, { to: bContact, text: 'Bonjour de B.' });
    await handedOver(fromB.message.id);

    await platform.simulator!.injectInbound(contact, SHORT_CODE, 'Bonjour, merci !');
    await platform.simulator!.injectInbound(bContact, SHORT_CODE, 'Réponse pour B');
    await ownerEvents.next(1);
    await agent2Events.next(1);
    await otherAccount.next(1);
    expect(ownerEvents.received.map((event) => event.messageReceived.text)).toEqual(['Bonjour, merci !']);
    expect(agent2Events.received.map((event) => event.messageReceived.text)).toEqual(['Bonjour, merci !']);
    expect(otherAccount.received.map((event) => event.messageReceived.text)).toEqual(['Réponse pour B']);
    await agent2Updates.next(2);

    // Agent 1 sees neither the event nor the conversation, nor can they answer it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(agent1Events.received).toEqual([]);
    expect(await thread(agent1.api, started.conversation.id)).toBeNull();
    const foreign = (await agent1.api.request(ReplyToConversationDocument, { input: { conversationId: started.conversation.id, text: 'Je prends la main' } })).replyToConversation;
    expect(foreign).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const agent1List = (await agent1.api.request(ConversationsDocument, {})).conversations.edges;
    expect(agent1List).toEqual([]);
    expect(await agent2.api.request(ConversationsDocument, { filter: { assignedToMe: true, unread: true } })).toMatchObject({
      conversations: { edges: [{ node: { id: started.conversation.id, unreadCount: 1 } }] },
    });

    // Reassigned to agent 1: agent 2 is told it left them, then sees it no more.
    const moved = (await a.owner.request(AssignConversationDocument, { input: { conversationId: started.conversation.id, userId: agent1.userId } })).assignConversation;
    expect(moved).toMatchObject({ __typename: 'MutationAssignConversationSuccess', data: { assignedAgent: { id: agent1.userId } } });
    await agent2Updates.next(3);
    expect(await thread(agent2.api, started.conversation.id)).toBeNull();
    await platform.simulator!.injectInbound(contact, SHORT_CODE, 'Encore une question');
    await agent1Events.next(1);
    await ownerEvents.next(2);
    expect(agent1Events.received.map((event) => event.messageReceived.text)).toEqual(['Encore une question']);
    expect(agent2Events.received).toHaveLength(1);
    expect(otherAccount.received).toHaveLength(1);
  });

  it('agents watching the queue are told when a waiting conversation is taken', async () => {
    const a = await org();
    const agent1 = await addMember(a.owner, 'AGENT');
    const agent2 = await addMember(a.owner, 'AGENT');
    const agent2Updates = collect(wsClient(platform.wsUrl, `Bearer ${agent2.token}`), ConversationUpdatedDocument, {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = await start(a.owner, { to: deliveredNumber(), text: 'Bonjour, une question ?' });
    const id = started.conversation.id;
    const seen = (agent: string | null) =>
      agent2Updates.received.some((event) => event.conversationUpdated.id === id && (event.conversationUpdated.assignedAgent?.id ?? null) === agent);

    // Back to the queue: agent 2 sees it waiting.
    const queued = (await a.owner.request(AssignConversationDocument, { input: { conversationId: id, userId: null } })).assignConversation;
    expect(queued).toMatchObject({ __typename: 'MutationAssignConversationSuccess', data: { assignedAgent: null } });
    await expect.poll(() => seen(null), { timeout: 10_000 }).toBe(true);
    // Agent 1 takes it: agent 2 is told it left the queue (and sees it no more).
    await a.owner.request(AssignConversationDocument, { input: { conversationId: id, userId: agent1.userId } });
    await expect.poll(() => seen(agent1.userId), { timeout: 10_000 }).toBe(true);
    expect(await thread(agent2.api, id)).toBeNull();
    agent2Updates.unsubscribe();
  });

  it('a reply too long to travel with its event still reaches subscribers whole', async () => {
    const a = await org();
    const events = collect(wsClient(platform.wsUrl, `Bearer ${a.tenant.accessToken}`), MessageReceivedDocument, {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    const contact = deliveredNumber();
    const started = await start(a.owner, { to: contact, text: 'Décrivez-nous votre demande.' });
    await handedOver(started.message.id);
    // 9 parts: over the bytes a messageReceived event carries, so the subscriber loads it.
    const long = 'Voici le detail de ma demande, ligne apres ligne, pour que tout soit clair. '.repeat(18).trim();
    expect(Buffer.byteLength(long)).toBeGreaterThan(MESSAGE_RECEIVED_TEXT_BYTES);
    const short = 'Et merci !';
    await platform.simulator!.injectInbound(contact, SHORT_CODE, long);
    await expect.poll(() => inboundCount(contact), { timeout: 10_000 }).toBe(1);
    await platform.simulator!.injectInbound(contact, SHORT_CODE, short);
    await events.next(2);
    expect(events.received.map((event) => event.messageReceived)).toEqual([
      expect.objectContaining({ direction: 'INBOUND', text: long, optOut: false }),
      expect.objectContaining({ direction: 'INBOUND', text: short, optOut: false }),
    ]);
    expect((await thread(a.owner, started.conversation.id))?.messages.map((message) => message.id).slice(1)).toEqual(
      events.received.map((event) => event.messageReceived.id),
    );
  });

  it('sendMessage with twoWay goes out from the short code with the surcharge, and its reply opens a conversation', async () => {
    const a = await org();
    const contact = deliveredNumber();
    const send = async (input: { sender: string; twoWay?: boolean }) =>
      (await a.owner.request(SendMessageDocument, { input: { to: [contact], text: 'Votre colis arrive demain. Répondez 1 pour confirmer.', ...input } })).sendMessage;

    const refused = await send({ sender: 'BOUTIQUE', twoWay: true });
    expect(refused).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'sender' }] });
    const sent = await send({ sender: SHORT_CODE, twoWay: true });
    if (sent.__typename !== 'MutationSendMessageSuccess') throw new Error(JSON.stringify(sent));
    // SMS 0.045 + two-way surcharge 0.030 (the price a conversation's messages have).
    expect(sent.data).toMatchObject({ reserved: '0.075', messages: [{ sender: SHORT_CODE, recipient: contact, price: '0.075' }] });
    const plain = await send({ sender: 'BOUTIQUE' });
    expect(plain).toMatchObject({ __typename: 'MutationSendMessageSuccess', data: { reserved: '0.045' } });
    await handedOver(sent.data.messages[0]!.id);

    await platform.simulator!.injectInbound(contact, SHORT_CODE, '1');
    await expect.poll(() => inboundCount(contact), { timeout: 10_000 }).toBe(1);
    const { conversations } = await a.owner.request(ConversationsDocument, {});
    const opened = conversations.edges.find(({ node }) => node.contactNumber === contact)?.node;
    expect(opened).toMatchObject({ platformNumber: SHORT_CODE, status: 'OPEN', unreadCount: 1 });
    expect((await thread(a.owner, opened!.id))?.messages.map((message) => [message.direction, message.text])).toEqual([
      ['OUTBOUND', 'Votre colis arrive demain. Répondez 1 pour confirmer.'],
      ['INBOUND', '1'],
    ]);
  });

  it('a two-way campaign needs a number as sender, carries the surcharge, and its replies open conversations', async () => {
    const a = await org();
    const contacts = [deliveredNumber(), deliveredNumber()];
    const draft = async (sender: string) =>
      (
        await a.owner.request(CreateCampaignDocument, {
          input: { name: 'RDV', type: 'TRANSACTIONAL', sender, twoWay: true, text: 'Votre rendez-vous est demain à 10 h. Répondez OUI pour confirmer.', recipients: { numbers: contacts } },
        })
      ).createCampaign;

    expect(await draft('CABINET')).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'sender' }] });
    expect(await draft('12345')).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'sender' }] }); // not one of the platform's short codes
    const created = await draft(SHORT_CODE);
    if (created.__typename !== 'MutationCreateCampaignSuccess') throw new Error(JSON.stringify(created));
    expect(created.data).toMatchObject({ twoWay: true, sender: SHORT_CODE });
    // Turning two-way on for an alphanumeric draft is refused the same way.
    const oneWay = (await a.owner.request(CreateCampaignDocument, { input: { name: 'Info', type: 'TRANSACTIONAL', sender: 'CABINET', text: 'Info', recipients: { numbers: contacts } } })).createCampaign;
    if (oneWay.__typename !== 'MutationCreateCampaignSuccess') throw new Error(JSON.stringify(oneWay));
    expect((await a.owner.request(UpdateCampaignDocument, { input: { id: oneWay.data.id, twoWay: true } })).updateCampaign).toMatchObject({
      __typename: 'ValidationError',
      problems: [{ field: 'sender' }],
    });

    // Two recipients at SMS 0.045 + two-way 0.030.
    const preview = (await a.owner.request(CampaignPreviewDocument, { id: created.data.id })).campaignPreview;
    expect(preview).toMatchObject({ __typename: 'QueryCampaignPreviewSuccess', data: { cost: '0.15', canSend: true } });
    const sent = (await a.owner.request(SendCampaignDocument, { input: { id: created.data.id } })).sendCampaign;
    expect(sent).toMatchObject({ __typename: 'MutationSendCampaignSuccess', data: { reserved: '0.15' } });
    const campaignUuid = databaseId(created.data.id);
    await expect
      .poll(async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM message WHERE campaign_id = $1 AND charged AND submitted_at IS NOT NULL`, [campaignUuid]))[0]?.n, {
        timeout: 15_000,
      })
      .toBe(2);
    const charged = await sql<{ price: string }>(`SELECT price::text FROM message WHERE campaign_id = $1`, [campaignUuid]);
    expect(charged.map((row) => Number(row.price))).toEqual([0.075, 0.075]);

    await platform.simulator!.injectInbound(contacts[1]!, SHORT_CODE, 'OUI');
    await expect.poll(() => inboundCount(contacts[1]!), { timeout: 10_000 }).toBe(1);
    const { conversations } = await a.owner.request(ConversationsDocument, {});
    const opened = conversations.edges.find(({ node }) => node.contactNumber === contacts[1])?.node;
    expect(opened).toMatchObject({ platformNumber: SHORT_CODE, status: 'OPEN', unreadCount: 1 });
    expect((await thread(a.owner, opened!.id))?.messages.map((message) => [message.direction, message.text])).toEqual([
      ['OUTBOUND', 'Votre rendez-vous est demain à 10 h. Répondez OUI pour confirmer.'],
      ['INBOUND', 'OUI'],
    ]);
  }, 40_000);

  it('a campaign sender typed with spaces is kept and sent as the carrier takes it (E.164)', async () => {
    const a = await org();
    const virtualNumber = `+3361${String(randomBytes(3).readUIntBE(0, 3) % 1000).padStart(3, '0')}8888`;
    await sql(`INSERT INTO account_number (id, account_id, number, kind, country) VALUES (uuidv7(), $1, $2, 'VIRTUAL_NUMBER', 'FR')`, [a.tenant.accountUuid, virtualNumber]);
    const typed = `${virtualNumber.slice(0, 3)} ${virtualNumber.slice(3, 4)} ${virtualNumber.slice(4, 6)} ${virtualNumber.slice(6, 8)} ${virtualNumber.slice(8, 10)} ${virtualNumber.slice(10)}`;
    const contacts = [deliveredNumber(), deliveredNumber()];
    const created = (
      await a.owner.request(CreateCampaignDocument, {
        input: { name: 'Numéro', type: 'TRANSACTIONAL', sender: typed, twoWay: true, text: 'Répondez OUI.', recipients: { numbers: contacts } },
      })
    ).createCampaign;
    if (created.__typename !== 'MutationCreateCampaignSuccess') throw new Error(JSON.stringify(created));
    expect(created.data.sender).toBe(virtualNumber);
    // A draft saved as typed (before senders were stored normalised) is sent normalised too.
    const campaignUuid = databaseId(created.data.id);
    await sql(`UPDATE campaign SET sender = $2 WHERE id = $1`, [campaignUuid, typed]);
    const sent = (await a.owner.request(SendCampaignDocument, { input: { id: created.data.id } })).sendCampaign;
    expect(sent).toMatchObject({ __typename: 'MutationSendCampaignSuccess', data: { reserved: '0.15' } });
    await expect
      .poll(async () => (await sql<{ status: string }>(`SELECT status::text FROM message WHERE campaign_id = $1`, [campaignUuid])).map((row) => row.status), { timeout: 15_000 })
      .toEqual(['DELIVERED', 'DELIVERED']);
    expect(await sql(`SELECT DISTINCT sender FROM message WHERE campaign_id = $1`, [campaignUuid])).toEqual([{ sender: virtualNumber }]);
    expect(await sql(`SELECT sender FROM campaign WHERE id = $1`, [campaignUuid])).toEqual([{ sender: virtualNumber }]);
  }, 40_000);

  it('lists conversations by latest activity, and a cursor keeps its place while they move', async () => {
    const a = await org();
    const first = await start(a.owner, { to: deliveredNumber(), text: 'Premier' });
    const b = await start(a.owner, { to: deliveredNumber(), text: 'Deuxième' });
    const c = await start(a.owner, { to: deliveredNumber(), text: 'Troisième' });
    const reply = async (id: string, text: string) => {
      const result = (await a.owner.request(ReplyToConversationDocument, { input: { conversationId: id, text } })).replyToConversation;
      expect(result.__typename).toBe('MutationReplyToConversationSuccess');
    };
    const page = async (after?: string | null) => (await a.owner.request(ConversationsDocument, { first: 2, after })).conversations;
    const ids = (connection: Awaited<ReturnType<typeof page>>) => connection.edges.map(({ node }) => node.id);
    const [A, B, C] = [first.conversation.id, b.conversation.id, c.conversation.id];

    // Latest activity first: started A, B, C; then A answered.
    expect(ids(await page())).toEqual([C, B]);
    await reply(A, 'Une précision');
    const top = await page();
    expect(ids(top)).toEqual([A, C]);
    expect(top.pageInfo.hasNextPage).toBe(true);

    // C moves to the top while the client pages: the next page continues after C's old place
    // (B), without listing A again, as a cursor of the id alone would.
    await reply(C, 'Et une autre');
    const next = await page(top.pageInfo.endCursor);
    expect(ids(next)).toEqual([B]);
    expect(next.pageInfo.hasNextPage).toBe(false);
    expect(ids(await page())).toEqual([C, A]);

    // From the other end (`last`/`before`), and a cursor that is not one is refused by name.
    const { conversations: oldest } = await a.owner.request(LatestConversationsDocument, { last: 1 });
    expect(oldest.edges.map(({ node }) => node.id)).toEqual([B]);
    const { conversations: before } = await a.owner.request(LatestConversationsDocument, { last: 5, before: oldest.pageInfo.startCursor });
    expect(before.edges.map(({ node }) => node.id)).toEqual([C, A]);
    const wrong = await a.owner.errors(ConversationsDocument, { after: 'bm9wZQ' });
    expect(wrong[0]).toMatchObject({ message: expect.stringMatching(/after/), extensions: { code: 'VALIDATION_FAILED' } });
  });

  it('refuses bad input with typed errors', async () => {
    const a = await org();
    const b = await org();
    const analyst = await addMember(a.owner, 'ANALYST');
    const contact = deliveredNumber();
    const started = await start(a.owner, { to: contact, text: 'Bonjour !' });
    const conversationId = started.conversation.id;
    const reply = async (api: ApiClient, text: string, id = conversationId) =>
      (await api.request(ReplyToConversationDocument, { input: { conversationId: id, text } })).replyToConversation;

    expect(await reply(a.owner, '   ')).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'text' }] });
    const tooLong = await reply(a.owner, 'x'.repeat(153 * 10 + 1));
    expect(tooLong).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'text', message: expect.stringMatching(/10/) }] });
    // Another account's conversation does not exist for B.
    expect(await reply(b.owner, 'Bonjour')).toMatchObject({ __typename: 'NotFoundError' });

    const assign = async (userId: string) => (await a.owner.request(AssignConversationDocument, { input: { conversationId, userId } })).assignConversation;
    expect(await assign(b.tenant.userId)).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'userId', message: expect.stringMatching(/not a member/) }] });
    expect(await assign(analyst.userId)).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'userId', message: expect.stringMatching(/ANALYST/) }] });
    // An analyst has no conversations right at all.
    const denied = await analyst.api.errors(ConversationsDocument, {});
    expect(denied[0]?.message).toMatch(/conversations:read/);

    const closed = (await a.owner.request(CloseConversationDocument, { id: conversationId })).closeConversation;
    expect(closed).toMatchObject({ __typename: 'MutationCloseConversationSuccess', data: { status: 'CLOSED' } });
    expect(await reply(a.owner, 'Encore là ?')).toMatchObject({ __typename: 'ConversationClosedError', code: 'CONVERSATION_CLOSED' });
    // Nothing of the refused replies was sent or reserved.
    expect(await sql(`SELECT count(*)::int AS n FROM message WHERE account_id = $1 AND kind <> 'SERVICE'`, [a.tenant.accountUuid])).toEqual([{ n: 1 }]);
    // Starting it again reopens the same thread.
    const reopened = await start(a.owner, { to: contact, text: 'Nous revenons vers vous.' });
    expect(reopened.conversation).toMatchObject({ id: conversationId, status: 'OPEN' });
  });

  it('open conversations are limited by the plan', async () => {
    const a = await org();
    await sql(`UPDATE account SET plan_code = 'STANDARD' WHERE id = $1`, [a.tenant.accountUuid]);
    const [plan] = await sql<{ open_conversations: number }>(`SELECT open_conversations FROM plan WHERE code = 'STANDARD'`);
    await sql(
      `INSERT INTO conversation (id, account_id, platform_number, contact_number) SELECT uuidv7(), $1, '36111', '+33610' || lpad(n::text, 7, '0') FROM generate_series(1, $2::int) n`,
      [a.tenant.accountUuid, plan?.open_conversations],
    );
    const refused = (await a.owner.request(StartConversationDocument, { input: { to: deliveredNumber(), text: 'Bonjour' } })).startConversation;
    expect(refused).toMatchObject({ __typename: 'PlanLimitError', limit: 'openConversations', allowed: plan?.open_conversations });
    expect(await sql(`SELECT count(*)::int AS n FROM message WHERE account_id = $1 AND kind <> 'SERVICE'`, [a.tenant.accountUuid])).toEqual([{ n: 0 }]);
  });

  it('assigns new conversations automatically within capacity and hands waiting ones out oldest first when an agent frees up', async () => {
    const a = await org();
    const agent1 = await addMember(a.owner, 'AGENT');
    const agent2 = await addMember(a.owner, 'AGENT');
    const configured = (
      await a.owner.request(ConfigureConversationAssignmentDocument, {
        input: { mode: 'ROUND_ROBIN', agents: [{ userId: agent1.userId, capacity: 1 }, { userId: agent2.userId, capacity: 1 }] },
      })
    ).configureConversationAssignment;
    expect(configured).toMatchObject({ __typename: 'MutationConfigureConversationAssignmentSuccess', data: { mode: 'ROUND_ROBIN' } });

    // Three numbers the account wrote to through the short code as an API partner would (no agent).
    const contacts = [deliveredNumber(), deliveredNumber(), deliveredNumber()];
    for (const contact of contacts) {
      const started = await start(a.owner, { to: contact, text: 'Une question ? Répondez à ce message.' });
      // The owner started them: give them back to the queue, as a partner's two-way send would leave them.
      await sql(`UPDATE conversation SET assigned_user_id = NULL, waiting_since = NULL, status = 'CLOSED' WHERE id = $1`, [Buffer.from(started.conversation.id, 'base64').toString().split(':')[1]]);
      await handedOver(started.message.id);
    }
    for (const contact of contacts) {
      await platform.simulator!.injectInbound(contact, SHORT_CODE, `Réponse de ${contact}`);
      await expect.poll(() => inboundCount(contact), { timeout: 10_000 }).toBe(1);
    }
    const byContact = async () =>
      Object.fromEntries(
        (await a.owner.request(ConversationsDocument, { filter: { status: 'OPEN' } })).conversations.edges.map(({ node }) => [node.contactNumber, node.assignedAgent?.id ?? null]),
      );
    const assigned = await byContact();
    expect([assigned[contacts[0]!], assigned[contacts[1]!], assigned[contacts[2]!]]).toEqual([agent1.userId, agent2.userId, null]);

    // The inbox's badges: each agent's own and the queue's; per agent for the owner only.
    const one = { open: 1, unreadConversations: 1, unreadMessages: 1 };
    const none = { open: 0, unreadConversations: 0, unreadMessages: 0 };
    expect((await agent1.api.request(InboxSummaryDocument, {})).inboxSummary).toEqual({ mine: one, queue: one, agents: null });
    const overview = (await a.owner.request(InboxSummaryDocument, {})).inboxSummary;
    expect(overview).toMatchObject({ mine: none, queue: one });
    expect(overview.agents?.map((row) => [row.agent.id, row.open, row.unreadMessages]).sort()).toEqual(
      [
        [agent1.userId, 1, 1],
        [agent2.userId, 1, 1],
      ].sort(),
    );

    // Agent 1 closes theirs: the waiting one is theirs now.
    const first = (await agent1.api.request(ConversationsDocument, { filter: { assignedToMe: true } })).conversations.edges[0]?.node.id ?? '';
    expect((await agent1.api.request(CloseConversationDocument, { id: first })).closeConversation.__typename).toBe('MutationCloseConversationSuccess');
    expect((await byContact())[contacts[2]!]).toBe(agent1.userId);

    // A partner's API key starts a conversation: nobody starts it as a member, the rotation
    // hands it out at once when an agent has room (agent 2 closes theirs first).
    const second = (await agent2.api.request(ConversationsDocument, { filter: { assignedToMe: true } })).conversations.edges[0]?.node.id ?? '';
    expect((await agent2.api.request(CloseConversationDocument, { id: second })).closeConversation.__typename).toBe('MutationCloseConversationSuccess');
    const key = (await a.owner.request(CreateApiKeyDocument, { input: { name: 'CRM', role: 'AGENT' } })).createApiKey;
    if (key.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(key));
    const partner = apiClient(platform.graphqlUrl, `Bearer ${key.data.secret}`);
    const partnerContact = deliveredNumber();
    const fromPartner = await start(partner, { to: partnerContact, text: 'Votre devis est prêt. Des questions ? Répondez ici.' });
    expect(fromPartner.conversation.assignedAgent?.id).toBe(agent2.userId);
    expect((await byContact())[partnerContact]).toBe(agent2.userId);
    // Every agent is full now: the next one waits in the queue, in its turn (since it was started).
    const waiting = await start(partner, { to: deliveredNumber(), text: 'Votre devis est prêt. Des questions ? Répondez ici.' });
    expect(waiting.conversation.assignedAgent).toBeNull();
    expect(waiting.conversation.waitingSince).not.toBeNull();
  });
});
