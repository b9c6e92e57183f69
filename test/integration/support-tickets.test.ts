import { createHash } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloseSupportTicketDocument,
  CommentSupportTicketDocument,
  CreateApiKeyDocument,
  CreateSupportTicketDocument,
  SupportTicketsDocument,
  type CreateSupportTicketMutation,
} from '../../codegen/generated/operations.js';
import { responseDueAt } from '../../src/domain/support/response-target.js';
import { createTenant, type Tenant } from '../support/fixtures.js';
import { apiClient, startTestPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform?.stop();
});

const sql = <Row extends object>(text: string, values: unknown[] = []) => platform.sql<Row>(text, values);

interface Upload {
  name: string;
  type: string;
  content: Buffer;
}

/** A GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec), as browsers send it. */
async function createTicket(authorization: string, input: Record<string, unknown>, files: Upload[] = []): Promise<CreateSupportTicketMutation['createSupportTicket']> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: print(CreateSupportTicketDocument), variables: { input: { ...input, attachments: files.map(() => null) } } }));
  form.append('map', JSON.stringify(Object.fromEntries(files.map((_, index) => [String(index), [`variables.input.attachments.${index}`]]))));
  files.forEach((file, index) => form.append(String(index), new Blob([new Uint8Array(file.content)], { type: file.type }), file.name));
  const response = await fetch(platform.graphqlUrl, { method: 'POST', headers: { authorization, 'x-graphql-yoga-csrf': '1' }, body: form });
  const json = (await response.json()) as { data?: CreateSupportTicketMutation; errors?: unknown };
  if (!json.data) throw new Error(JSON.stringify(json));
  return json.data.createSupportTicket;
}

const description = 'Messages to +33 6 12 34 56 78 stay in SUBMITTED since this morning.';

describe('support tickets', () => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await createTenant(platform);
  });

  it('opens a ticket with attachments and a payload sample, and sets the response target from the plan', async () => {
    const log = Buffer.from('2026-11-25 10:00:01 submit_sm resp status=0x00000045\n');
    const screenshot = Buffer.alloc(200_000, 7);
    const created = await createTicket(`Bearer ${tenant.accessToken}`, { category: 'DELIVERY', description, payloadSample: '{"to":"+33612345678"}' }, [
      { name: 'carrier.log', type: 'text/plain', content: log },
      { name: '../../etc/screen.png', type: 'image/png', content: screenshot },
    ]);
    if (created.__typename !== 'MutationCreateSupportTicketSuccess') throw new Error(JSON.stringify(created));
    const ticket = created.data;
    expect(ticket).toMatchObject({ category: 'DELIVERY', state: 'OPEN', contactEmail: tenant.email, payloadSample: '{"to":"+33612345678"}' });
    expect(ticket.attachments).toEqual([
      { fileName: 'carrier.log', contentType: 'text/plain', sizeBytes: log.length, sha256: createHash('sha256').update(log).digest('hex') },
      { fileName: 'screen.png', contentType: 'image/png', sizeBytes: screenshot.length, sha256: createHash('sha256').update(screenshot).digest('hex') },
    ]);
    // Standard plan: 48 working hours.
    expect(ticket.responseDueAt).toBe(responseDueAt(new Date(ticket.createdAt), 48).toISOString());

    const { attachmentStore } = await import('../../src/gateways/attachment-store.js');
    const [row] = await sql<{ storage_key: string }>(`SELECT storage_key FROM support_ticket_attachment WHERE file_name = 'carrier.log' AND sha256 = $1`, [
      createHash('sha256').update(log).digest('hex'),
    ]);
    expect(await attachmentStore.read(row?.storage_key ?? '')).toEqual(log);
  });

  it('uses the shorter target of a better plan', async () => {
    const gold = await createTenant(platform);
    await sql(`UPDATE account SET plan_code = 'GOLD' WHERE id = $1`, [gold.accountUuid]);
    const created = await createTicket(`Bearer ${gold.accessToken}`, { category: 'BILLING', description });
    if (created.__typename !== 'MutationCreateSupportTicketSuccess') throw new Error(JSON.stringify(created));
    expect(created.data.responseDueAt).toBe(responseDueAt(new Date(created.data.createdAt), 8).toISOString());
  });

  it('refuses an attachment over 10 MB, an empty one, and a too short description', async () => {
    const tooBig = await createTicket(`Bearer ${tenant.accessToken}`, { category: 'TECHNICAL', description }, [
      { name: 'big.bin', type: 'application/octet-stream', content: Buffer.alloc(10 * 1024 * 1024 + 1) },
      { name: 'empty.txt', type: 'text/plain', content: Buffer.alloc(0) },
    ]);
    if (tooBig.__typename !== 'ValidationError') throw new Error(JSON.stringify(tooBig));
    expect(tooBig.problems).toEqual([
      { field: 'attachments.0', message: expect.stringMatching(/big\.bin is over 10485760 bytes/) },
      { field: 'attachments.1', message: 'empty.txt is empty' },
    ]);
    const short = await createTicket(`Bearer ${tenant.accessToken}`, { category: 'TECHNICAL', description: 'help' });
    expect(short).toMatchObject({ __typename: 'ValidationError', problems: [{ field: 'description' }] });
  });

  it('accepts exactly 10 MB', async () => {
    const created = await createTicket(`Bearer ${tenant.accessToken}`, { category: 'TECHNICAL', description }, [
      { name: 'exact.bin', type: 'application/octet-stream', content: Buffer.alloc(10 * 1024 * 1024, 1) },
    ]);
    expect(created).toMatchObject({ data: { attachments: [{ sizeBytes: 10 * 1024 * 1024 }] } });
  });

  it('lists, comments and closes; a closed ticket takes no more comments; other accounts see nothing', async () => {
    const owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    const created = await createTicket(`Bearer ${tenant.accessToken}`, { category: 'ACCOUNT', description });
    if (created.__typename !== 'MutationCreateSupportTicketSuccess') throw new Error(JSON.stringify(created));
    const ticketId = created.data.id;
    const commented = (await owner.request(CommentSupportTicketDocument, { input: { ticketId, body: 'It works again since 11:00.' } })).commentSupportTicket;
    expect(commented).toMatchObject({ data: { comments: [{ body: 'It works again since 11:00.' }] } });
    const closed = (await owner.request(CloseSupportTicketDocument, { input: { ticketId } })).closeSupportTicket;
    expect(closed).toMatchObject({ data: { state: 'CLOSED' } });
    const late = (await owner.request(CommentSupportTicketDocument, { input: { ticketId, body: 'one more thing' } })).commentSupportTicket;
    expect(late).toMatchObject({ __typename: 'ValidationError' });
    const listed = (await owner.request(SupportTicketsDocument, { first: 20 })).supportTickets.edges.map(({ node }) => node.id);
    expect(listed[0]).toBe(ticketId);

    const other = apiClient(platform.graphqlUrl, `Bearer ${(await createTenant(platform)).accessToken}`);
    expect((await other.request(SupportTicketsDocument, {})).supportTickets.edges).toEqual([]);
    expect((await other.request(CloseSupportTicketDocument, { input: { ticketId } })).closeSupportTicket).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('lets an API key open a ticket answered at the owner e-mail', async () => {
    const owner = apiClient(platform.graphqlUrl, `Bearer ${tenant.accessToken}`);
    const key = (await owner.request(CreateApiKeyDocument, { input: { name: 'ops', role: 'AGENT' } })).createApiKey;
    if (key.__typename !== 'MutationCreateApiKeySuccess') throw new Error(JSON.stringify(key));
    const created = (await apiClient(platform.graphqlUrl, `Bearer ${key.data.secret}`).request(CreateSupportTicketDocument, {
      input: { category: 'OTHER', description },
    })).createSupportTicket;
    expect(created).toMatchObject({ data: { contactEmail: tenant.email } });
  });
});
